package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The data movement of {@link Conv}: im2col, col2im and the bias fill, as a unit task over (image, channel)
 * pairs. One instance per calling thread holds the geometry of the current call; the pool's workers read it.
 *
 * <p>Note [Column layout]: row {@code (c, ki, kj)} of the columns (index {@code r = (c * kH + ki) * kW + kj})
 * of image b holds, at column {@code oh * Wo + ow}, the input element
 * {@code x[b, c, oh * sH - pH + ki * dH, ow * sW - pW + kj * dW]}, or 0 where that lies in the padding. The
 * row starts at element {@code b * cImage + r * cRow} of the buffer, in one of two layouts:
 * <ul>
 * <li>per image ({@code cImage = Cin kH kW Ho Wo}, {@code cRow = Ho Wo}): each image's columns are a
 *     row-major {@code [Cin kH kW, Ho Wo]} matrix;
 * <li>batched over a chunk of B images ({@code cImage = Ho Wo}, {@code cRow = B Ho Wo}): the chunk's columns
 *     are one {@code [Cin kH kW, B Ho Wo]} matrix whose column {@code b * Ho * Wo + p} belongs to image b.
 * </ul>
 * Either way the rows of group g are the block {@code [g K, (g + 1) K)}, K = (Cin / groups) kH kW: a
 * {@code [K, P]} matrix with leading dimension cRow, ready for GEMM.
 *
 * <p>Per kernel row {@code (ki, kj)} and output row oh, the output columns whose input lies inside the image
 * form one range {@code [owLo, owHi)}, the same for every oh; im2col copies that range and zeroes the rest.
 * When the input rows are contiguous and as wide as the output rows (stride 1, "same" padding), the ranges
 * of consecutive output rows are contiguous in both buffers, so the whole valid block moves in one copy
 * (or one vector add for col2im) and only the padding columns are fixed up afterwards.
 *
 * <p>Note [Masked block rows]: on F32, col2im adds each tap's block in vectors of {@code cols & mask}, the
 * mask of kernel column kj being {@code -1} where the output column lies in {@code [owLo, owHi)} and 0
 * elsewhere, so the wrapped-around padding columns add +0.0 without the two tiny zeroing calls per output
 * row (per tap, per channel) that the unmasked block path makes first. The mask depends only on
 * {@code ow = q mod Wo}, so one pattern of {@code Wo + L} ints per kj serves every row: the vector at
 * column q reads it from {@code q mod Wo}. The AND is exact (no arithmetic touches a padding entry that
 * may hold Inf or NaN), and the same +0.0 entries are added in the same tap order as on the scalar path,
 * so the two agree bit for bit. Single thread, CPU time, x[64, 32, 14, 14] * w[64, 32, 3, 3] in 2 MiB
 * chunks, best of 40, three alternating rounds: input gradient 10.2-10.4 ms unmasked, 8.7-8.9 ms masked
 * (its GEMMs alone take 6.8-7.5 ms). im2col keeps its block copy and zeroing: the same masking there (an
 * int-vector copy ANDed with the mask) was slower than the copy, forward 9.0-11.9 against 7.8-8.8 ms.
 */
final class Im2Col extends UnitTask {
    static final int IM2COL = 0;
    static final int COL2IM = 1;
    static final int FILL_BIAS = 2;
    static final int GATHER = 3;
    static final int SCATTER = 4;

    private static final ThreadLocal<Im2Col> LOCAL = ThreadLocal.withInitial(Im2Col::new);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final long ZERO_BYTES = 4096;
    private static final MemorySegment ZERO = Arena.global().allocate(ZERO_BYTES, 64);

    static Im2Col get() {
        return LOCAL.get();
    }

    // Geometry of the call, in elements (Conv fills these after validating them).
    long n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, groups;
    boolean f32;

    int mode;
    /** The image tensor: x for im2col, dx (contiguous) for col2im; strides in elements. */
    MemorySegment is;
    long iBase, isN, isC, isH, isW;
    /**
     * The column buffer: row r of image b of the current chunk starts at element {@code b * cImage + r * cRow}
     * (Note [Column layout]).
     */
    MemorySegment cs;
    long cBase, cRow, cImage;
    /** The output stage of a batched chunk: {@code [cout, images * ho * wo]}, contiguous. */
    MemorySegment ss;
    long sBase, images;
    /** y or gy ([n, cout, ho, wo], strides in elements) and bias[cout] (absent: null segment). */
    MemorySegment ys, bs;
    long yBase, ysN, ysC, ysH, ysW, bBase, bStride;
    /**
     * Whether the current col2im adds its blocks masked (Note [Masked block rows]), and the masks:
     * pattern kj at {@code kj * (wo + L)}, entry t is -1 when {@code owLo(kj) <= t mod wo < owHi(kj)}, else 0.
     * Grows, never shrinks (allocates only for a wider layer than any before on this thread).
     */
    private boolean masked;
    private int[] masks = new int[0];

    private Im2Col() {}

    /** An instance outside the per-thread ones, for a slot of {@link ConvSlots}. */
    static Im2Col detached() {
        return new Im2Col();
    }

    /** Takes the geometry and the y and bias operands of {@code from}'s current call. */
    void copyCall(Im2Col from) {
        n = from.n;
        cin = from.cin;
        h = from.h;
        w = from.w;
        cout = from.cout;
        kh = from.kh;
        kw = from.kw;
        sh = from.sh;
        sw = from.sw;
        ph = from.ph;
        pw = from.pw;
        dh = from.dh;
        dw = from.dw;
        ho = from.ho;
        wo = from.wo;
        groups = from.groups;
        f32 = from.f32;
        ys = from.ys;
        yBase = from.yBase;
        ysN = from.ysN;
        ysC = from.ysC;
        ysH = from.ysH;
        ysW = from.ysW;
        bs = from.bs;
        bBase = from.bBase;
        bStride = from.bStride;
    }

    /** Drops the segments of the last call. */
    void clear() {
        is = cs = ss = ys = bs = null;
    }

    /** Runs the current mode over {@code images} images (units: image x channel), on the pool when large. */
    void runImages(int mode, long images) {
        this.mode = mode;
        boolean out = mode == FILL_BIAS || mode == GATHER || mode == SCATTER;
        long channels = out ? cout : cin;
        long work = out ? ho * wo : kh * kw * ho * wo;
        masked = mode == COL2IM && f32 && SpatialRows.simd && sh == 1 && sw == 1 && wo == w;
        if (masked) {
            fillMasks();
        }
        forUnits(images * channels, work);
    }

    /** The column masks of Note [Masked block rows], for the current geometry. */
    private void fillMasks() {
        int period = (int) wo + L;
        if (masks.length < kw * period) {
            masks = new int[Math.toIntExact(kw * period)];
        }
        for (long kj = 0; kj < kw; kj++) {
            long colShift = kj * dw - pw;
            long owLo = clamp(Math.ceilDiv(-colShift, sw), 0, wo);
            long owHi = clamp(Math.floorDiv(w - 1 - colShift, sw) + 1, owLo, wo);
            for (int t = 0; t < period; t++) {
                long ow = t % wo;
                masks[(int) kj * period + t] = ow >= owLo && ow < owHi ? -1 : 0;
            }
        }
    }

    @Override
    void runUnits(long from, long to) {
        for (long u = from; u < to; u++) {
            switch (mode) {
                case IM2COL -> im2col(u / cin, u % cin);
                case COL2IM -> col2im(u / cin, u % cin);
                case FILL_BIAS -> fillBias(u / cout, u % cout);
                case GATHER -> gather(u / cout, u % cout);
                default -> scatter(u / cout, u % cout);
            }
        }
    }

    // ---------------------------------------------------------------- im2col

    /** Writes the kh * kw column rows of channel c of image b (Note [Column layout]). */
    private void im2col(long b, long c) {
        int esz = f32 ? 4 : 8;
        long plane = iBase + (b * isN + c * isC) * esz;
        long rows = cBase + (b * cImage + c * kh * kw * cRow) * esz;
        boolean block = sh == 1 && sw == 1 && isW == 1 && isH == w && wo == w;
        for (long ki = 0; ki < kh; ki++) {
            long rowShift = ki * dh - ph;
            // Output rows oh with 0 <= oh * sh + rowShift < h.
            long ohLo = clamp(Math.ceilDiv(-rowShift, sh), 0, ho);
            long ohHi = clamp(Math.floorDiv(h - 1 - rowShift, sh) + 1, ohLo, ho);
            for (long kj = 0; kj < kw; kj++) {
                long colShift = kj * dw - pw;
                long owLo = clamp(Math.ceilDiv(-colShift, sw), 0, wo);
                long owHi = clamp(Math.floorDiv(w - 1 - colShift, sw) + 1, owLo, wo);
                long row = rows + (ki * kw + kj) * cRow * esz;
                zero(row, ohLo * wo * esz);
                zero(row + ohHi * wo * esz, (ho - ohHi) * wo * esz);
                if (ohLo == ohHi || owLo == owHi) {
                    zero(row + ohLo * wo * esz, (ohHi - ohLo) * wo * esz);
                    continue;
                }
                if (block) {
                    // One copy from (ohLo, owLo) to (ohHi - 1, owHi - 1); the padding columns of the rows in
                    // between received wrapped-around input and are zeroed next.
                    long len = (ohHi - ohLo - 1) * wo + (owHi - owLo);
                    long src = plane + ((ohLo + rowShift) * w + owLo + colShift) * esz;
                    MemorySegment.copy(is, src, cs, row + (ohLo * wo + owLo) * esz, len * esz);
                    for (long oh = ohLo; oh < ohHi; oh++) {
                        long d = row + oh * wo * esz;
                        zero(d, owLo * esz);
                        zero(d + owHi * esz, (wo - owHi) * esz);
                    }
                    continue;
                }
                for (long oh = ohLo; oh < ohHi; oh++) {
                    long d = row + oh * wo * esz;
                    long src = plane + ((oh * sh + rowShift) * isH + (owLo * sw + colShift) * isW) * esz;
                    zero(d, owLo * esz);
                    copy(src, sw * isW, d + owLo * esz, owHi - owLo, esz);
                    zero(d + owHi * esz, (wo - owHi) * esz);
                }
            }
        }
    }

    /** Copies n elements from the image tensor (stride in elements) to a contiguous run of columns. */
    private void copy(long src, long stride, long dst, long n, int esz) {
        if (stride == 1) {
            MemorySegment.copy(is, src, cs, dst, n * esz);
        } else if (f32) {
            for (long i = 0; i < n; i++, src += stride * 4, dst += 4) {
                cs.set(JAVA_FLOAT_UNALIGNED, dst, is.get(JAVA_FLOAT_UNALIGNED, src));
            }
        } else {
            for (long i = 0; i < n; i++, src += stride * 8, dst += 8) {
                cs.set(JAVA_DOUBLE_UNALIGNED, dst, is.get(JAVA_DOUBLE_UNALIGNED, src));
            }
        }
    }

    /** Zeroes {@code bytes} bytes of the column buffer at {@code at}. */
    private void zero(long at, long bytes) {
        zeroBytes(cs, at, bytes);
    }

    /** Zeroes {@code bytes} bytes (a multiple of 4) of s at {@code at}, without a slice per call. */
    static void zeroBytes(MemorySegment s, long at, long bytes) {
        if (bytes <= 32) {
            for (long i = 0; i < bytes; i += 4) {
                s.set(JAVA_FLOAT_UNALIGNED, at + i, 0f);
            }
            return;
        }
        while (bytes > 0) {
            long k = Math.min(bytes, ZERO_BYTES);
            MemorySegment.copy(ZERO, 0, s, at, k);
            at += k;
            bytes -= k;
        }
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    // ---------------------------------------------------------------- col2im

    /**
     * {@code dx[b, c] = sum over the kh * kw column rows of channel c of their values scattered back to the
     * input positions they were read from}: the adjoint of {@link #im2col}. Overwrites the plane; padding
     * positions are dropped. dx is contiguous. Modifies the column rows too (their padding entries are zeroed
     * on the unmasked block path, Note [Masked block rows]).
     */
    private void col2im(long b, long c) {
        int esz = f32 ? 4 : 8;
        long plane = iBase + (b * isN + c * isC) * esz;
        long rows = cBase + (b * cImage + c * kh * kw * cRow) * esz;
        if (f32) {
            zeroBytes(is, plane, h * w * 4);
        } else {
            SpatialRows.fill(is, plane, 1, h * w, 0, f32);
        }
        boolean block = sh == 1 && sw == 1 && wo == w;
        for (long ki = 0; ki < kh; ki++) {
            long rowShift = ki * dh - ph;
            long ohLo = clamp(Math.ceilDiv(-rowShift, sh), 0, ho);
            long ohHi = clamp(Math.floorDiv(h - 1 - rowShift, sh) + 1, ohLo, ho);
            for (long kj = 0; kj < kw; kj++) {
                long colShift = kj * dw - pw;
                long owLo = clamp(Math.ceilDiv(-colShift, sw), 0, wo);
                long owHi = clamp(Math.floorDiv(w - 1 - colShift, sw) + 1, owLo, wo);
                if (ohLo == ohHi || owLo == owHi) {
                    continue;
                }
                long row = rows + (ki * kw + kj) * cRow * esz;
                if (masked) {
                    maskedAdd(plane + (rowShift * w + colShift) * 4, row, ohLo * wo + owLo, (ohHi - 1) * wo + owHi, (int) kj);
                    continue;
                }
                if (block) {
                    // Zero the padding columns of the valid rows, then add the block in one pass: the zeroed
                    // entries land on wrapped-around positions and add nothing.
                    for (long oh = ohLo; oh < ohHi; oh++) {
                        long d = row + oh * wo * esz;
                        zero(d, owLo * esz);
                        zero(d + owHi * esz, (wo - owHi) * esz);
                    }
                    long len = (ohHi - ohLo - 1) * wo + (owHi - owLo);
                    long dst = plane + ((ohLo + rowShift) * w + owLo + colShift) * esz;
                    SpatialRows.addInto(is, dst, 1, cs, row + (ohLo * wo + owLo) * esz, 1, len, f32);
                    continue;
                }
                for (long oh = ohLo; oh < ohHi; oh++) {
                    long dst = plane + ((oh * sh + rowShift) * w + owLo * sw + colShift) * esz;
                    SpatialRows.addInto(is, dst, sw, cs, row + (oh * wo + owLo) * esz, 1, owHi - owLo, f32);
                }
            }
        }
    }

    /**
     * {@code dx[dst + q] += cols[row + q] & mask_kj[q mod wo]} (F32) for columns q in {@code [start, end)}
     * (byte bases; Note [Masked block rows]).
     */
    private void maskedAdd(long dst, long row, long start, long end, int kj) {
        int period = (int) wo + L, base = kj * period;
        int[] m = masks;
        int phase = (int) (start % wo);
        // The whole vectors on slices of exactly their bytes, with an int index (Note [Dense loops] in VecF32).
        int whole = (int) ((end - start) / L * L);
        MemorySegment src = cs.asSlice(row + start * 4, whole * 4L);
        MemorySegment out = is.asSlice(dst + start * 4, whole * 4L);
        for (int i = 0; i < whole; i += L) {
            long k = 4L * i;
            FloatVector c = IntVector.fromMemorySegment(I, src, k, LE).and(IntVector.fromArray(I, m, base + phase)).reinterpretAsFloats();
            FloatVector.fromMemorySegment(F, out, k, LE).add(c).intoMemorySegment(out, k, LE);
            phase += L;
            while (phase >= wo) {
                phase -= (int) wo;
            }
        }
        for (long q = start + whole; q < end; q++) {
            float c = Float.intBitsToFloat(cs.get(JAVA_INT_UNALIGNED, row + q * 4) & m[base + (int) (q % wo)]);
            is.set(JAVA_FLOAT_UNALIGNED, dst + q * 4, is.get(JAVA_FLOAT_UNALIGNED, dst + q * 4) + c);
        }
    }

    // ---------------------------------------------------------------- bias

    /** {@code y[b, c, :, :] = bias[c]} (y contiguous), before a GEMM that accumulates onto it (beta = 1). */
    private void fillBias(long b, long c) {
        int esz = f32 ? 4 : 8;
        double v = SpatialRows.get(bs, f32, bBase + c * bStride * esz);
        SpatialRows.fill(ys, yBase + (b * cout + c) * ho * wo * esz, 1, ho * wo, v, f32);
    }

    /**
     * {@code stage[c, b * P + p] = gy[b, c, p]}: the chunk's gradient as one {@code [cout, images * P]} matrix
     * (Note [Batched GEMM] in {@link Conv}); gy may have any strides.
     */
    private void gather(long b, long c) {
        int esz = f32 ? 4 : 8;
        long p = ho * wo;
        long src = yBase + (b * ysN + c * ysC) * esz;
        long dst = sBase + (c * images + b) * p * esz;
        if (ho == 1 || ysH == wo * ysW) {
            SpatialRows.copy(ys, src, ysW, ss, dst, 1, p, f32);
        } else {
            for (long i = 0; i < ho; i++) {
                SpatialRows.copy(ys, src + i * ysH * esz, ysW, ss, dst + i * wo * esz, 1, wo, f32);
            }
        }
    }

    /** {@code y[b, c, p] = stage[c, b * P + p] + bias[c]} (y contiguous): the inverse of {@link #gather}. */
    private void scatter(long b, long c) {
        int esz = f32 ? 4 : 8;
        long p = ho * wo;
        double v = bs == null ? 0 : SpatialRows.get(bs, f32, bBase + c * bStride * esz);
        SpatialRows.addScalar(ss, sBase + (c * images + b) * p * esz, ys, yBase + (b * cout + c) * p * esz, p, v, f32);
    }
}
