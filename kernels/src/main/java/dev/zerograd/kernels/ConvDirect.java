package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct F32 convolution of single-channel images (Cin = 1, groups 1, stride 1, dilation 1): the forward
 * and the weight gradient of {@link Conv} without columns or GEMM (Note [Direct single-channel conv]).
 *
 * <p>Note [Direct single-channel conv]: with one input channel the columns are kH kW copies of the image
 * and the GEMMs have K = kH kW (9 for the CNN's first layer), far too short for BLAS to reach its speed;
 * the im2col pass moved more bytes than the GEMM computed. Here the images of a chunk are copied once into
 * the workspace with their zero padding ({@code [b, H + 2 pH, W + 2 pW]}), and every output row is a sum of
 * kH kW shifted input rows times a weight, in vectors over the row:
 * <pre>
 * y[n, o, i, j .. j + L) = bias[o] + sum_{ki, kj} w[o, 0, ki, kj] * xp[n, i + ki, j + kj .. j + kj + L)
 * dw[o, 0, ki, kj]       = sum_{n, i, j} gy[n, o, i, j] * xp[n, i + ki, j + kj]
 * </pre>
 * A row of Wo outputs takes floor(Wo / L) vectors and, when L does not divide Wo, one more vector ending at
 * the row's end: the forward writes its overlapping lanes twice with the same values; the weight gradient
 * multiplies them out of gy (by 0). Rows shorter than one vector (Wo < L) stay on the im2col path. The padded rows are
 * exactly as wide as the reads reach ({@code Wo - L + kW - 1 + L - 1 = W + 2 pW - 1}). The weight gradient
 * sums each image's products of one tap in a float vector (at most H W / L terms per lane) and adds the
 * reduced value into a double per (o, tap), so it is at least as accurate as the GEMM's float sums.
 * The 3x3 kernel has loops of its own: with the tap loop inside, one accumulator made every FMA wait for
 * the one before (4 cycles on Zen 3) and the weight gradient ran 4x slower than im2col + GEMM; unrolled,
 * the nine weights stay in registers and independent accumulators keep the FMA units busy. Single thread,
 * CPU time, x[64, 1, 28, 28] * w[32, 1, 3, 3], best of 40: forward 1.5-1.7 ms and weight gradient
 * 1.0-1.1 ms, against 2.0 and 1.4 ms for im2col + GEMM (chunks of 2 MiB). The forward is bound by writing y.
 */
final class ConvDirect extends UnitTask {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** L zeros, then L ones: read at offset r, lanes {@code >= L - r} are 1. */
    private static final float[] TAIL = new float[2 * L];
    private static final int PAD = 0;
    private static final int FORWARD = 1;
    private static final int WEIGHT = 2;

    /** {@code -Dzerograd.conv.direct=false} sends every convolution through im2col and GEMM. */
    private static volatile boolean enabled = !"false".equals(System.getProperty("zerograd.conv.direct"));

    private static final ThreadLocal<ConvDirect> LOCAL = ThreadLocal.withInitial(ConvDirect::new);

    static {
        java.util.Arrays.fill(TAIL, L, 2 * L, 1f);
    }

    static ConvDirect get() {
        return LOCAL.get();
    }

    /** Turns the direct path on or off (tests compare it with im2col + GEMM). */
    static void setEnabled(boolean on) {
        enabled = on;
    }

    /** Whether the geometry in t (F32, validated by Conv) takes the direct path. */
    static boolean applies(Im2Col t) {
        return enabled && t.f32 && t.cin == 1 && t.groups == 1 && t.sh == 1 && t.sw == 1 && t.dh == 1 && t.dw == 1 && t.wo >= L
                && t.n > 0;
    }

    private int mode;
    private long n0, images, cout, h, w, hp, wp, ho, wo, kh, kw, ph, pw;
    /** The chunk's padded images: image b at {@code pBase + b * hp * wp * 4} (floats, rows of wp). */
    private MemorySegment ps;
    private long pBase;
    /** x (the images; strides in elements). */
    private MemorySegment xs;
    private long xBase, xsN, xsH, xsW;
    /** The bias (null segment when absent); stride in elements. */
    private MemorySegment bs;
    private long bBase, bStride;
    /** y (contiguous) for the forward; gy (unit column stride) for the weight gradient. */
    private MemorySegment ys;
    private long yBase, ysN, ysC, ysH;
    /** The weight gradient's sums per (o, tap), across chunks. */
    private double[] sums = new double[0];
    /** The forward's weights, {@code [o * kH kW + tap]}, and the taps' byte offsets in a padded image. */
    private float[] weights = new float[0];
    private int[] tapShifts = new int[0];
    private int taps;

    private ConvDirect() {}

    private void geometry(Im2Col t) {
        cout = t.cout;
        h = t.h;
        w = t.w;
        ho = t.ho;
        wo = t.wo;
        kh = t.kh;
        kw = t.kw;
        ph = t.ph;
        pw = t.pw;
        hp = h + 2 * ph;
        wp = w + 2 * pw;
    }

    private void input(MemorySegment s, long base, long sN, long sH, long sW, MemorySegment ws, long wsBase) {
        xs = s;
        xBase = base;
        xsN = sN;
        xsH = sH;
        xsW = sW;
        ps = ws;
        pBase = wsBase;
    }

    /** Images per chunk: as many padded images as the workspace of {@code wsElements} floats holds. */
    private long chunk(long n, long wsElements) {
        long most = Math.max(1, wsElements / (hp * wp));
        return Math.ceilDiv(n, Math.ceilDiv(n, most));
    }

    /** Copies images {@code [n0, n0 + images)} of x into the padded chunk, on the pool. */
    private void pad(long from, long count) {
        n0 = from;
        images = count;
        mode = PAD;
        forUnits(count, hp * wp);
    }

    /**
     * {@code y = conv2d(x, w) + bias} for the geometry in t (which {@link #applies}); the workspace holds at
     * least one padded image (Conv's workspace for one image always does).
     */
    void forward(Im2Col t, MemorySegment xSeg, long xb, long xN, long xH, long xW, MemorySegment wSeg, long wb, long wO, long wH,
                 long wW, MemorySegment bSeg, long bb, long bSt, MemorySegment ws, long wsb, long wsElements, MemorySegment ySeg,
                 long yb) {
        geometry(t);
        input(xSeg, xb, xN, xH, xW, ws, wsb);
        bs = bSeg;
        bBase = bb;
        bStride = bSt;
        ys = ySeg;
        yBase = yb;
        int taps = (int) (kh * kw);
        if (weights.length < cout * taps) {
            weights = new float[(int) (cout * taps)];
        }
        for (int o = 0; o < cout; o++) {
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    weights[o * taps + ki * (int) kw + kj] = wSeg.get(JAVA_FLOAT_UNALIGNED, wb + (o * wO + ki * wH + kj * wW) * 4);
                }
            }
        }
        shifts(taps);
        try {
            long b = chunk(t.n, wsElements);
            for (long from = 0; from < t.n; from += b) {
                long count = Math.min(b, t.n - from);
                pad(from, count);
                mode = FORWARD;
                forUnits(count * cout, kh * kw * ho * wo);
            }
        } finally {
            clear();
        }
    }

    /**
     * {@code dw[o, 0, ki, kj] = sum gy[n, o, i, j] * x[n, 0, i + ki - pH, j + kj - pW]} for the geometry in t;
     * gy has a unit column stride; dw is contiguous.
     */
    void weightGrad(Im2Col t, MemorySegment gySeg, long gyb, long gN, long gC, long gH, MemorySegment xSeg, long xb, long xN,
                    long xH, long xW, MemorySegment ws, long wsb, long wsElements, MemorySegment dwSeg, long dwb) {
        geometry(t);
        input(xSeg, xb, xN, xH, xW, ws, wsb);
        ys = gySeg;
        yBase = gyb;
        ysN = gN;
        ysC = gC;
        ysH = gH;
        shifts((int) (kh * kw));
        if (sums.length < cout * taps) {
            sums = new double[(int) (cout * taps)];
        }
        java.util.Arrays.fill(sums, 0, (int) (cout * taps), 0);
        try {
            long b = chunk(t.n, wsElements);
            for (long from = 0; from < t.n; from += b) {
                long count = Math.min(b, t.n - from);
                pad(from, count);
                mode = WEIGHT;
                forUnits(cout, count * taps * ho * wo);
            }
            for (long i = 0; i < cout * taps; i++) {
                dwSeg.set(JAVA_FLOAT_UNALIGNED, dwb + i * 4, (float) sums[(int) i]);
            }
        } finally {
            clear();
        }
    }

    /** Byte offsets of the taps in a padded image: {@code (ki * wp + kj) * 4}. */
    private void shifts(int taps) {
        if (tapShifts.length < taps) {
            tapShifts = new int[taps];
        }
        this.taps = taps;
        for (int t = 0; t < taps; t++) {
            tapShifts[t] = (int) (((t / kw) * wp + t % kw) * 4);
        }
    }

    private void clear() {
        ps = xs = bs = ys = null;
    }

    @Override
    void runUnits(long from, long to) {
        for (long u = from; u < to; u++) {
            switch (mode) {
                case PAD -> padImage(u);
                case FORWARD -> {
                    if (kh == 3 && kw == 3) {
                        forward3x3(u / cout, u % cout);
                    } else {
                        forwardPlane(u / cout, u % cout);
                    }
                }
                default -> {
                    if (kh == 3 && kw == 3) {
                        weight3x3(u);
                    } else {
                        weightRow(u);
                    }
                }
            }
        }
    }

    /** Padded image b of the chunk: zeros, then the rows of x[n0 + b, 0] at (pH, pW). */
    private void padImage(long b) {
        long at = pBase + b * hp * wp * 4;
        Im2Col.zeroBytes(ps, at, hp * wp * 4);
        long src = xBase + (n0 + b) * xsN * 4;
        for (long i = 0; i < h; i++) {
            long d = at + ((i + ph) * wp + pw) * 4, s = src + i * xsH * 4;
            if (xsW == 1) {
                MemorySegment.copy(xs, s, ps, d, w * 4);
            } else {
                for (long j = 0; j < w; j++) {
                    ps.set(JAVA_FLOAT_UNALIGNED, d + j * 4, xs.get(JAVA_FLOAT_UNALIGNED, s + j * xsW * 4));
                }
            }
        }
    }

    /** {@code y[n0 + b, o] = bias[o] + sum of the kH kW taps} (Note [Direct single-channel conv]). */
    private void forwardPlane(long b, long o) {
        MemorySegment p = ps, y = ys;
        float[] wv = weights;
        int[] shifts = tapShifts;
        int taps = this.taps, w0 = (int) (o * taps);
        long img = pBase + b * hp * wp * 4;
        long out = yBase + ((n0 + b) * cout + o) * ho * wo * 4;
        float bias = bs == null ? 0f : bs.get(JAVA_FLOAT_UNALIGNED, bBase + o * bStride * 4);
        int rowBytes = (int) wp * 4, last = (int) wo - L, rows = (int) ho, vectors = (int) Math.ceilDiv(wo, L), outRow = (int) wo * 4;
        for (int i = 0; i < rows; i++) {
            long in = img + (long) i * rowBytes, dst = out + (long) i * outRow;
            for (int v = 0; v < vectors; v++) {
                int j = Math.min(v * L, last) * 4; // the row's last vector may overlap the one before
                FloatVector acc = FloatVector.broadcast(S, bias);
                for (int t = 0; t < taps; t++) {
                    FloatVector xv = FloatVector.fromMemorySegment(S, p, in + j + shifts[t], LE);
                    acc = xv.fma(FloatVector.broadcast(S, wv[w0 + t]), acc);
                }
                acc.intoMemorySegment(y, dst + j, LE);
            }
        }
    }

    /** {@code sums[o, tap] += sum over the chunk of gy[n, o] * shifted padded image} (Note [Direct single-channel conv]). */
    private void weightRow(long o) {
        MemorySegment p = ps, g = ys;
        int[] shifts = tapShifts;
        int taps = this.taps, rows = (int) ho, full = (int) (wo / L) * L * 4, last = (int) (wo - L) * 4, rowBytes = (int) wp * 4;
        long gRow = ysH * 4;
        // The row's last vector starts at wo - L; only its last wo % L lanes are new (none when L divides wo).
        FloatVector tail = FloatVector.fromArray(S, TAIL, (int) (wo % L));
        double[] s = sums;
        for (long b = 0; b < images; b++) {
            long img = pBase + b * hp * wp * 4;
            long gp = yBase + ((n0 + b) * ysN + o * ysC) * 4;
            for (int t = 0; t < taps; t++) {
                long shift = img + shifts[t];
                FloatVector acc = FloatVector.zero(S);
                for (int i = 0; i < rows; i++) {
                    long gr = gp + i * gRow, xr = shift + (long) i * rowBytes;
                    for (int j = 0; j < full; j += L * 4) {
                        FloatVector gv = FloatVector.fromMemorySegment(S, g, gr + j, LE);
                        acc = gv.fma(FloatVector.fromMemorySegment(S, p, xr + j, LE), acc);
                    }
                    FloatVector gv = FloatVector.fromMemorySegment(S, g, gr + last, LE);
                    acc = gv.mul(tail).fma(FloatVector.fromMemorySegment(S, p, xr + last, LE), acc);
                }
                s[(int) o * taps + t] += acc.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /**
     * {@link #forwardPlane} for a 3x3 kernel: the nine weights stay in registers, and each kernel row sums
     * into its own accumulator, so three FMA chains of three run side by side instead of one chain of nine.
     */
    private void forward3x3(long b, long o) {
        MemorySegment p = ps, y = ys;
        float[] wt = weights;
        int w0 = (int) o * 9;
        FloatVector w00 = FloatVector.broadcast(S, wt[w0]), w01 = FloatVector.broadcast(S, wt[w0 + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[w0 + 2]), w10 = FloatVector.broadcast(S, wt[w0 + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[w0 + 4]), w12 = FloatVector.broadcast(S, wt[w0 + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[w0 + 6]), w21 = FloatVector.broadcast(S, wt[w0 + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[w0 + 8]);
        float bias = bs == null ? 0f : bs.get(JAVA_FLOAT_UNALIGNED, bBase + o * bStride * 4);
        FloatVector bv = FloatVector.broadcast(S, bias);
        long img = pBase + b * hp * wp * 4;
        long out = yBase + ((n0 + b) * cout + o) * ho * wo * 4;
        int rowBytes = (int) wp * 4, last = (int) wo - L, rows = (int) ho, vectors = (int) Math.ceilDiv(wo, L), outRow = (int) wo * 4;
        for (int i = 0; i < rows; i++) {
            long r0 = img + (long) i * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, dst = out + (long) i * outRow;
            for (int v = 0; v < vectors; v++) {
                long j = Math.min(v * L, last) * 4L; // the row's last vector may overlap the one before
                FloatVector a0 = FloatVector.fromMemorySegment(S, p, r0 + j, LE).fma(w00, bv);
                FloatVector a1 = FloatVector.fromMemorySegment(S, p, r1 + j, LE).mul(w10);
                FloatVector a2 = FloatVector.fromMemorySegment(S, p, r2 + j, LE).mul(w20);
                a0 = FloatVector.fromMemorySegment(S, p, r0 + j + 4, LE).fma(w01, a0);
                a1 = FloatVector.fromMemorySegment(S, p, r1 + j + 4, LE).fma(w11, a1);
                a2 = FloatVector.fromMemorySegment(S, p, r2 + j + 4, LE).fma(w21, a2);
                a0 = FloatVector.fromMemorySegment(S, p, r0 + j + 8, LE).fma(w02, a0);
                a1 = FloatVector.fromMemorySegment(S, p, r1 + j + 8, LE).fma(w12, a1);
                a2 = FloatVector.fromMemorySegment(S, p, r2 + j + 8, LE).fma(w22, a2);
                a0.add(a1).add(a2).intoMemorySegment(y, dst + j, LE);
            }
        }
    }

    /**
     * {@link #weightRow} for a 3x3 kernel: each vector of gy is read once and feeds nine accumulators, one per
     * tap, so the FMAs do not wait on one another.
     */
    private void weight3x3(long o) {
        MemorySegment p = ps, g = ys;
        int rows = (int) ho, vectors = (int) Math.ceilDiv(wo, L), last = (int) (wo - L), rowBytes = (int) wp * 4;
        long gRow = ysH * 4;
        FloatVector tail = FloatVector.fromArray(S, TAIL, (int) (wo % L));
        FloatVector ones = FloatVector.broadcast(S, 1f);
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00, a20 = a00, a21 = a00, a22 = a00;
        for (long b = 0; b < images; b++) {
            long img = pBase + b * hp * wp * 4;
            long gp = yBase + ((n0 + b) * ysN + o * ysC) * 4;
            for (int i = 0; i < rows; i++) {
                long gr = gp + i * gRow, r0 = img + (long) i * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes;
                for (int v = 0; v < vectors; v++) {
                    // The row's last vector starts at wo - L; only its last wo % L lanes are new.
                    int jv = v * L;
                    long j = Math.min(jv, last) * 4L;
                    FloatVector gv = FloatVector.fromMemorySegment(S, g, gr + j, LE).mul(jv > last ? tail : ones);
                    a00 = gv.fma(FloatVector.fromMemorySegment(S, p, r0 + j, LE), a00);
                    a01 = gv.fma(FloatVector.fromMemorySegment(S, p, r0 + j + 4, LE), a01);
                    a02 = gv.fma(FloatVector.fromMemorySegment(S, p, r0 + j + 8, LE), a02);
                    a10 = gv.fma(FloatVector.fromMemorySegment(S, p, r1 + j, LE), a10);
                    a11 = gv.fma(FloatVector.fromMemorySegment(S, p, r1 + j + 4, LE), a11);
                    a12 = gv.fma(FloatVector.fromMemorySegment(S, p, r1 + j + 8, LE), a12);
                    a20 = gv.fma(FloatVector.fromMemorySegment(S, p, r2 + j, LE), a20);
                    a21 = gv.fma(FloatVector.fromMemorySegment(S, p, r2 + j + 4, LE), a21);
                    a22 = gv.fma(FloatVector.fromMemorySegment(S, p, r2 + j + 8, LE), a22);
                }
            }
            // One image's products per lane (at most H W / L of them) in float, then into the double sums.
            double[] s = sums;
            int at = (int) o * 9;
            s[at] += a00.reduceLanes(VectorOperators.ADD);
            s[at + 1] += a01.reduceLanes(VectorOperators.ADD);
            s[at + 2] += a02.reduceLanes(VectorOperators.ADD);
            s[at + 3] += a10.reduceLanes(VectorOperators.ADD);
            s[at + 4] += a11.reduceLanes(VectorOperators.ADD);
            s[at + 5] += a12.reduceLanes(VectorOperators.ADD);
            s[at + 6] += a20.reduceLanes(VectorOperators.ADD);
            s[at + 7] += a21.reduceLanes(VectorOperators.ADD);
            s[at + 8] += a22.reduceLanes(VectorOperators.ADD);
            a00 = FloatVector.zero(S);
            a01 = a00;
            a02 = a00;
            a10 = a00;
            a11 = a00;
            a12 = a00;
            a20 = a00;
            a21 = a00;
            a22 = a00;
        }
    }
}
