package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loops of {@link Pool} as a unit task over (image, channel) planes: each unit reads one input plane
 * and writes one output plane, so planes run on the pool's threads without sharing a byte. One instance
 * per calling thread holds the geometry and operand addresses of the current call.
 *
 * <p>Window arithmetic: output position o of a dim covers the input indices {@code o * s - p + k * d} for
 * {@code k < kernel}; the valid k form one range {@code [ceil((p - o s) / d), floor((in - 1 + p - o s) / d)]},
 * computed once per position so the inner loops carry no bounds tests.
 *
 * <p>Note [Windows inside]: without padding every window lies inside the input (the output size is chosen
 * so), and max pooling skips the per-position range arithmetic (divisions) and the double-precision reads
 * of the general loop. The 2x2 window on F32 rows, the CNN's pooling, has a loop of its own.
 * Single thread, CPU time, x[64, 32, 28, 28] 2x2 / 2 with indices: 17-18 ms general loop, 8 ms without the
 * range arithmetic, 4-6 ms with the 2x2 loop (Note [Branch-free 2x2]).
 *
 * <p>Note [Branch-free 2x2]: on real activations the comparisons of a window are coin flips, and a
 * compare-and-branch chain mispredicts about twice per window. The 2x2 loop instead takes
 * {@code m = max(max(a, b), max(c, d))} ({@link Math#max} is branch-free and NaN-propagating), marks the
 * elements equal to m (the first of them is the first maximum: -0.0 == 0.0, so a signed-zero tie still
 * picks the first), and when m is NaN (no element equals it) the last NaN, which is what the sequential rule
 * {@code v > best || v != v} chooses. The value written is the chosen element itself, so the sign of a zero
 * and a NaN's payload are those of the input, as in the general loop.
 * Backward, a dense dx plane is zeroed in one copy and indexed without a division per element.
 *
 * <p>Note [Vector 2x2 pooling]: for the 2x2 window with stride 2 (the CNN's), L windows at a time: two
 * vectors of each input row are split into their even and odd lanes (a, b on top, c, d below), and the
 * sequential rule is applied as a tree, b over a and d over c when greater or NaN, then the bottom winner
 * over the top one likewise. That is the same choice (the first maximum; else the last NaN, which wins each
 * step it takes part in), and the value written is the chosen element. The index is
 * {@code 2 oh W + 2 ow + {0, 1, W, W + 1}}, formed in int lanes and widened to I64. A row's last vector ends at
 * the row's end and may overlap the one before (the same values are written twice). Single thread, CPU
 * time, x[64, 32, 28, 28]: 0.9-1.0 ms against 3.1-3.2 ms for the 2x2 loop.
 *
 * <p>Note [Pooling vector width]: the vector loops take whole output rows of at least L / 2 windows, and the
 * CNN's pooled rows are 14 and 7 windows wide. With AVX-512's 16 floats the second pooling fell to the 2x2
 * loop and the first to the short-row path; the loops therefore use at most 256-bit vectors (8 floats), the
 * width both layers fit, on every machine. On the Sapphire Rapids machine the forward pooling's share of the
 * CNN step's CPU samples went from 8.9 % to 6.4 % (the 2x2 loop's own share from 5.1 % to 0.8 %).
 *
 * <p>Note [Short pooling rows]: a row of {@code L / 2 <= Wo < L} windows (Wo = 7, the CNN's second pooling)
 * is one vector whose last lanes spill past the row: its loads read 2 (L - Wo) elements of the next input
 * row (which exists for every row but the plane's last, and whose values only reach the spilled lanes), and
 * its stores write L - Wo values and indices into the next output row, which the next row's store then
 * overwrites. So the output and index rows must be dense (row stride Wo, no gap another plane could own),
 * and the plane's last row, whose spill would cross into the next plane, runs the 2x2 loop. Masked loads
 * and stores would avoid the spill but are not intrinsics for these shapes on AVX2: the masked version
 * took 17 ms. Single thread, CPU time, x[64, 64, 14, 14] with indices, best of 40: 0.74-0.85 ms against
 * 3.1 ms for the 2x2 loop.
 */
final class PoolTask extends UnitTask {
    static final int MAX = 0;
    static final int MAX_BACKWARD = 1;
    static final int AVG = 2;
    static final int AVG_BACKWARD = 3;
    static final int MEAN = 4;
    static final int MEAN_BACKWARD = 5;

    /** At most 256 bits (Note [Pooling vector width]). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 256 ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Long> J = VectorSpecies.of(long.class, F.vectorShape());
    private static final int L = F.length();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.makeUnzip(F, 0);
    private static final VectorShuffle<Float> ODD = VectorShuffle.makeUnzip(F, 1);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final ThreadLocal<PoolTask> LOCAL = ThreadLocal.withInitial(PoolTask::new);

    static PoolTask get() {
        return LOCAL.get();
    }

    int mode;
    boolean f32;
    long channels, h, w, ho, wo;
    long kh, kw, sh, sw, ph, pw, dh, dw;
    boolean countIncludePad;

    /** The input plane tensor (x, or gy for backward rules) and the output (y or dx); strides in elements. */
    MemorySegment is, os, xs;
    long iBase, isN, isC, isH, isW;
    long oBase, osN, osC, osH, osW;
    /** Indices (I64) of max pooling, or absent (null segment). */
    long xBase, xsN, xsC, xsH, xsW;
    /** The tensor that indices are reported against for error messages. */
    Tensor indices;

    private PoolTask() {}

    void setIn(Tensor t) {
        is = t.segment();
        iBase = t.byteOffset();
        isN = t.stride(0);
        isC = t.stride(1);
        isH = t.rank() > 2 ? t.stride(2) : 0;
        isW = t.rank() > 3 ? t.stride(3) : 0;
    }

    void setOut(Tensor t) {
        os = t.segment();
        oBase = t.byteOffset();
        osN = t.stride(0);
        osC = t.stride(1);
        osH = t.rank() > 2 ? t.stride(2) : 0;
        osW = t.rank() > 3 ? t.stride(3) : 0;
    }

    void setIndices(Tensor t) {
        indices = t;
        xs = t == null ? null : t.segment();
        if (t != null) {
            xBase = t.byteOffset();
            xsN = t.stride(0);
            xsC = t.stride(1);
            xsH = t.stride(2);
            xsW = t.stride(3);
        }
    }

    void clear() {
        is = os = xs = null;
        indices = null;
    }

    @Override
    void runUnits(long from, long to) {
        for (long u = from; u < to; u++) {
            long n = u / channels, c = u % channels;
            switch (mode) {
                case MAX -> max(n, c);
                case MAX_BACKWARD -> maxBackward(n, c);
                case AVG -> avg(n, c, false);
                case AVG_BACKWARD -> avg(n, c, true);
                case MEAN -> mean(n, c);
                default -> meanBackward(n, c);
            }
        }
    }

    private static long lo(long o, long s, long p, long d, long kernel) {
        return Math.min(kernel, Math.max(0, Math.ceilDiv(p - o * s, d)));
    }

    private static long hi(long o, long s, long p, long d, long kernel, long in, long lo) {
        return Math.max(lo, Math.min(kernel, Math.floorDiv(in - 1 + p - o * s, d) + 1));
    }

    /**
     * {@code y = max over the window} (padding is -inf, so never chosen) and the flat index {@code ih * W + iw}
     * of the element chosen, as PyTorch chooses it: the first maximum, except that NaN propagates (a later
     * element replaces the current one when it is greater or NaN), and a window of -inf reports its first
     * element inside the image.
     */
    private void max(long n, long c) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        long out = oBase + (n * osN + c * osC) * esz;
        long ix = xBase + (n * xsN + c * xsC) * 8;
        if (ph == 0 && pw == 0) {
            maxInside(in, out, ix, esz);
            return;
        }
        for (long oh = 0; oh < ho; oh++) {
            long kiLo = lo(oh, sh, ph, dh, kh), kiHi = hi(oh, sh, ph, dh, kh, h, kiLo);
            for (long ow = 0; ow < wo; ow++) {
                long kjLo = lo(ow, sw, pw, dw, kw), kjHi = hi(ow, sw, pw, dw, kw, w, kjLo);
                double best = Double.NEGATIVE_INFINITY;
                long arg = -1;
                for (long ki = kiLo; ki < kiHi; ki++) {
                    long ih = oh * sh - ph + ki * dh;
                    for (long kj = kjLo; kj < kjHi; kj++) {
                        long iw = ow * sw - pw + kj * dw;
                        double v = SpatialRows.get(is, f32, in + (ih * isH + iw * isW) * esz);
                        long flat = ih * w + iw;
                        if (arg < 0) {
                            arg = flat;
                        }
                        if (v > best || v != v) {
                            best = v;
                            arg = flat;
                        }
                    }
                }
                SpatialRows.set(os, f32, out + (oh * osH + ow * osW) * esz, best);
                if (xs != null) {
                    xs.set(JAVA_LONG_UNALIGNED, ix + (oh * xsH + ow * xsW) * 8, arg);
                }
            }
        }
    }

    /**
     * {@link #max} without padding (Note [Windows inside]): the same choices, with the window ranges and the
     * index arithmetic hoisted out of the inner loops.
     */
    private void maxInside(long in, long out, long ix, int esz) {
        if (f32 && kh == 2 && kw == 2 && isW == 1 && osW == 1 && (xs == null || xsW == 1)) {
            boolean vector = SpatialRows.simd && sh == 2 && sw == 2 && dh == 1 && dw == 1 && xs != null && h * w <= Integer.MAX_VALUE;
            if (vector && wo >= L) {
                max2x2Stride2Vector(in, out, ix);
            } else if (vector && 2 * wo >= L && osH == wo && xsH == wo) {
                max2x2Stride2Short(in, out, ix);
            } else {
                max2x2F32(in, out, ix, 0);
            }
            return;
        }
        long rowStep = dh * isH * esz, colStep = dw * isW * esz;
        int kH = (int) kh, kW = (int) kw;
        for (long oh = 0; oh < ho; oh++) {
            long ih0 = oh * sh;
            for (long ow = 0; ow < wo; ow++) {
                long iw0 = ow * sw;
                long first = ih0 * w + iw0;
                long at = in + (ih0 * isH + iw0 * isW) * esz;
                double best = Double.NEGATIVE_INFINITY;
                long arg = first;
                for (int ki = 0; ki < kH; ki++, at += rowStep) {
                    long a = at;
                    for (int kj = 0; kj < kW; kj++, a += colStep) {
                        double v = SpatialRows.get(is, f32, a);
                        if (v > best || v != v) {
                            best = v;
                            arg = first + ki * dh * w + kj * dw;
                        }
                    }
                }
                SpatialRows.set(os, f32, out + (oh * osH + ow * osW) * esz, best);
                if (xs != null) {
                    xs.set(JAVA_LONG_UNALIGNED, ix + (oh * xsH + ow * xsW) * 8, arg);
                }
            }
        }
    }

    /** {@link #maxInside} for the common 2x2 window on F32 rows with unit column strides, from output row ohFrom on. */
    private void max2x2F32(long in, long out, long ix, long ohFrom) {
        MemorySegment src = is, dst = os, idx = xs;
        long colStep = dw * 4, below = dh * isH * 4, belowFlat = dh * w;
        int wOut = (int) wo;
        for (long oh = ohFrom; oh < ho; oh++) {
            long ih0 = oh * sh;
            long row = in + ih0 * isH * 4, o = out + oh * osH * 4, xo = ix + oh * xsH * 8;
            for (int ow = 0; ow < wOut; ow++) {
                long iw0 = ow * sw;
                long at = row + iw0 * 4;
                float a = src.get(JAVA_FLOAT_UNALIGNED, at);
                float b = src.get(JAVA_FLOAT_UNALIGNED, at + colStep);
                float c = src.get(JAVA_FLOAT_UNALIGNED, at + below);
                float d = src.get(JAVA_FLOAT_UNALIGNED, at + below + colStep);
                // The first maximum in the order a, b, c, d, or the last NaN (Note [Branch-free 2x2]).
                float m = Math.max(Math.max(a, b), Math.max(c, d));
                int eq = (a == m ? 1 : 0) | (b == m ? 2 : 0) | (c == m ? 4 : 0) | (d == m ? 8 : 0);
                int nan = (a != a ? 1 : 0) | (b != b ? 2 : 0) | (c != c ? 4 : 0) | (d != d ? 8 : 0);
                int k = eq != 0 ? Integer.numberOfTrailingZeros(eq) : 31 - Integer.numberOfLeadingZeros(nan);
                long off = (k >> 1) * below + (k & 1) * colStep;
                dst.set(JAVA_FLOAT_UNALIGNED, o + ow * 4L, src.get(JAVA_FLOAT_UNALIGNED, at + off));
                if (idx != null) {
                    idx.set(JAVA_LONG_UNALIGNED, xo + ow * 8L, ih0 * w + iw0 + (k >> 1) * belowFlat + (k & 1) * dw);
                }
            }
        }
    }

    /**
     * {@link #max2x2F32} for stride 2, in vectors of L windows (Note [Vector 2x2 pooling]): needs Wo >= L, a
     * plane of at most 2^31 elements and indices to write.
     */
    private void max2x2Stride2Vector(long in, long out, long ix) {
        MemorySegment src = is, dst = os, idx = xs;
        int width = (int) w, last = (int) wo - L, vectors = (int) Math.ceilDiv(wo, L);
        long below = isH * 4, vb = 4L * L;
        IntVector even = IntVector.zero(I).addIndex(2), zero = IntVector.zero(I), one = IntVector.broadcast(I, 1);
        IntVector down = IntVector.broadcast(I, width), downRight = IntVector.broadcast(I, width + 1);
        for (long oh = 0; oh < ho; oh++) {
            long r0 = in + 2 * oh * isH * 4, r1 = r0 + below, o = out + oh * osH * 4, xo = ix + oh * xsH * 8;
            int flat0 = (int) (2 * oh * w);
            for (int v = 0; v < vectors; v++) {
                int ow = Math.min(v * L, last); // the row's last vector may overlap the one before
                long at = ow * 8L;
                FloatVector t0 = FloatVector.fromMemorySegment(F, src, r0 + at, LE);
                FloatVector t1 = FloatVector.fromMemorySegment(F, src, r0 + at + vb, LE);
                FloatVector u0 = FloatVector.fromMemorySegment(F, src, r1 + at, LE);
                FloatVector u1 = FloatVector.fromMemorySegment(F, src, r1 + at + vb, LE);
                FloatVector a = t0.rearrange(EVEN, t1), b = t0.rearrange(ODD, t1);
                FloatVector c = u0.rearrange(EVEN, u1), d = u0.rearrange(ODD, u1);
                // Later replaces earlier when greater or NaN: within each row pair, then bottom pair over top.
                VectorMask<Float> takeB = b.compare(VectorOperators.GT, a).or(b.test(VectorOperators.IS_NAN));
                VectorMask<Float> takeD = d.compare(VectorOperators.GT, c).or(d.test(VectorOperators.IS_NAN));
                FloatVector ab = a.blend(b, takeB), cd = c.blend(d, takeD);
                VectorMask<Float> takeBottom = cd.compare(VectorOperators.GT, ab).or(cd.test(VectorOperators.IS_NAN));
                ab.blend(cd, takeBottom).intoMemorySegment(dst, o + ow * 4L, LE);
                IntVector top = zero.blend(one, takeB.cast(I)), bottom = down.blend(downRight, takeD.cast(I));
                IntVector flat = even.add(flat0 + 2 * ow).add(top.blend(bottom, takeBottom.cast(I)));
                ((LongVector) flat.convertShape(VectorOperators.I2L, J, 0)).intoMemorySegment(idx, xo + ow * 8L, LE);
                ((LongVector) flat.convertShape(VectorOperators.I2L, J, 1)).intoMemorySegment(idx, xo + ow * 8L + 8L * J.length(), LE);
            }
        }
    }

    /**
     * {@link #max2x2Stride2Vector} for rows of {@code L / 2 <= Wo < L} windows (the CNN's second pooling,
     * Wo = 7), one vector per output row (Note [Short pooling rows]); the plane's last row goes to the 2x2 loop.
     * Needs dense output and index rows ({@code osH = xsH = Wo}).
     */
    private void max2x2Stride2Short(long in, long out, long ix) {
        MemorySegment src = is, dst = os, idx = xs;
        int width = (int) w;
        long below = isH * 4, vb = 4L * L;
        IntVector even = IntVector.zero(I).addIndex(2), zero = IntVector.zero(I), one = IntVector.broadcast(I, 1);
        IntVector down = IntVector.broadcast(I, width), downRight = IntVector.broadcast(I, width + 1);
        for (long oh = 0; oh < ho - 1; oh++) {
            long r0 = in + 2 * oh * isH * 4, r1 = r0 + below, o = out + oh * wo * 4, xo = ix + oh * wo * 8;
            FloatVector t0 = FloatVector.fromMemorySegment(F, src, r0, LE);
            FloatVector t1 = FloatVector.fromMemorySegment(F, src, r0 + vb, LE);
            FloatVector u0 = FloatVector.fromMemorySegment(F, src, r1, LE);
            FloatVector u1 = FloatVector.fromMemorySegment(F, src, r1 + vb, LE);
            FloatVector a = t0.rearrange(EVEN, t1), b = t0.rearrange(ODD, t1);
            FloatVector c = u0.rearrange(EVEN, u1), d = u0.rearrange(ODD, u1);
            VectorMask<Float> takeB = b.compare(VectorOperators.GT, a).or(b.test(VectorOperators.IS_NAN));
            VectorMask<Float> takeD = d.compare(VectorOperators.GT, c).or(d.test(VectorOperators.IS_NAN));
            FloatVector ab = a.blend(b, takeB), cd = c.blend(d, takeD);
            VectorMask<Float> takeBottom = cd.compare(VectorOperators.GT, ab).or(cd.test(VectorOperators.IS_NAN));
            ab.blend(cd, takeBottom).intoMemorySegment(dst, o, LE);
            IntVector top = zero.blend(one, takeB.cast(I)), bottom = down.blend(downRight, takeD.cast(I));
            IntVector flat = even.add((int) (2 * oh * w)).add(top.blend(bottom, takeBottom.cast(I)));
            ((LongVector) flat.convertShape(VectorOperators.I2L, J, 0)).intoMemorySegment(idx, xo, LE);
            ((LongVector) flat.convertShape(VectorOperators.I2L, J, 1)).intoMemorySegment(idx, xo + 8L * J.length(), LE);
        }
        max2x2F32(in, out, ix, ho - 1);
    }

    /** dx plane = 0, then {@code dx[idx] += gy} for every output position. */
    private void maxBackward(long n, long c) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        long out = oBase + (n * osN + c * osC) * esz;
        long ix = xBase + (n * xsN + c * xsC) * 8;
        zeroPlane(out, esz);
        long plane = h * w;
        boolean dense = osW == 1 && (h == 1 || osH == w);
        if (f32 && dense) {
            maxBackwardDenseF32(n, c, in, out, ix, plane);
            return;
        }
        for (long oh = 0; oh < ho; oh++) {
            for (long ow = 0; ow < wo; ow++) {
                long idx = xs.get(JAVA_LONG_UNALIGNED, ix + (oh * xsH + ow * xsW) * 8);
                if (idx < 0 || idx >= plane) {
                    throw badIndex(idx, n, c, oh, ow, plane);
                }
                long at = out + (dense ? idx : (idx / w) * osH + (idx % w) * osW) * esz;
                double g = SpatialRows.get(is, f32, in + (oh * isH + ow * isW) * esz);
                SpatialRows.set(os, f32, at, SpatialRows.get(os, f32, at) + g);
            }
        }
    }

    /** {@link #maxBackward} on F32 into a dense dx plane: float reads and writes, one range test per index. */
    private void maxBackwardDenseF32(long n, long c, long in, long out, long ix, long plane) {
        MemorySegment g = is, dx = os, idx = xs;
        for (long oh = 0; oh < ho; oh++) {
            long gRow = in + oh * isH * 4, xRow = ix + oh * xsH * 8;
            for (long ow = 0; ow < wo; ow++) {
                long i = idx.get(JAVA_LONG_UNALIGNED, xRow + ow * xsW * 8);
                if ((i | (plane - 1 - i)) < 0) {
                    throw badIndex(i, n, c, oh, ow, plane);
                }
                long at = out + i * 4;
                dx.set(JAVA_FLOAT_UNALIGNED, at, dx.get(JAVA_FLOAT_UNALIGNED, at) + g.get(JAVA_FLOAT_UNALIGNED, gRow + ow * isW * 4));
            }
        }
    }

    private IllegalArgumentException badIndex(long idx, long n, long c, long oh, long ow, long plane) {
        return new IllegalArgumentException("Pool.maxPool2dBackward: index " + idx + " at [" + n + ", " + c + ", " + oh + ", " + ow
                + "] of indices " + indices.describe() + " is outside the input plane of " + h + " x " + w + " = " + plane
                + " elements");
    }

    private void zeroPlane(long out, int esz) {
        if (osW == 1 && (h == 1 || osH == w)) {
            Im2Col.zeroBytes(os, out, h * w * esz);
            return;
        }
        for (long ih = 0; ih < h; ih++) {
            SpatialRows.fill(os, out + ih * osH * esz, osW, w, 0, f32);
        }
    }

    /**
     * Average pooling, or its backward rule ({@code dx[window] += gy / divisor} after zeroing dx). The window
     * of output o is {@code [o s - p, min(o s - p + k, in + p))}: with countIncludePad its size before
     * clipping to the image is the divisor (as PyTorch), otherwise the number of elements inside the image.
     */
    private void avg(long n, long c, boolean backward) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        long out = oBase + (n * osN + c * osC) * esz;
        if (backward) {
            zeroPlane(out, esz);
        }
        for (long oh = 0; oh < ho; oh++) {
            long h0 = oh * sh - ph, h1 = Math.min(h0 + kh, h + ph);
            long hSpan = h1 - h0;
            h0 = Math.max(h0, 0);
            h1 = Math.min(h1, h);
            for (long ow = 0; ow < wo; ow++) {
                long w0 = ow * sw - pw, w1 = Math.min(w0 + kw, w + pw);
                long count = hSpan * (w1 - w0);
                w0 = Math.max(w0, 0);
                w1 = Math.min(w1, w);
                double divisor = countIncludePad ? count : (h1 - h0) * (w1 - w0);
                if (backward) {
                    double g = SpatialRows.get(is, f32, in + (oh * isH + ow * isW) * esz) / divisor;
                    for (long ih = h0; ih < h1; ih++) {
                        for (long iw = w0; iw < w1; iw++) {
                            long at = out + (ih * osH + iw * osW) * esz;
                            SpatialRows.set(os, f32, at, SpatialRows.get(os, f32, at) + g);
                        }
                    }
                } else {
                    double s = 0;
                    for (long ih = h0; ih < h1; ih++) {
                        for (long iw = w0; iw < w1; iw++) {
                            s += SpatialRows.get(is, f32, in + (ih * isH + iw * isW) * esz);
                        }
                    }
                    SpatialRows.set(os, f32, out + (oh * osH + ow * osW) * esz, s / divisor);
                }
            }
        }
    }

    /** {@code y[n, c] = mean of the plane}, summed in double. */
    private void mean(long n, long c) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        double s = 0;
        if (h <= 1 || isH == w * isW) {
            s = SpatialRows.sum(is, in, isW, h * w, f32);
        } else {
            for (long ih = 0; ih < h; ih++) {
                s += SpatialRows.sum(is, in + ih * isH * esz, isW, w, f32);
            }
        }
        SpatialRows.set(os, f32, oBase + (n * osN + c * osC) * esz, s / (h * w));
    }

    /** {@code dx[n, c, :, :] = gy[n, c] / (H W)}. */
    private void meanBackward(long n, long c) {
        int esz = f32 ? 4 : 8;
        double g = SpatialRows.get(is, f32, iBase + (n * isN + c * isC) * esz) / (h * w);
        long out = oBase + (n * osN + c * osC) * esz;
        for (long ih = 0; ih < h; ih++) {
            SpatialRows.fill(os, out + ih * osH * esz, osW, w, g, f32);
        }
    }
}
