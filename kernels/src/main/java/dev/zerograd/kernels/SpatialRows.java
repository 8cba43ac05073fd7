package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row loops of the convolution, pooling and normalization kernels: one run of {@code n} F32 or F64
 * elements per operand, addressed by a byte offset into a segment and a stride in elements.
 *
 * <p>Every loop computes in double, for F32 too: an F32 run is loaded half a vector at a time and widened,
 * so one vector loop serves both dtypes and the sums behind batch and layer norm statistics accumulate
 * in double (a relative error of about n * 2^-53 rather than n * 2^-24). Results are rounded to the
 * output dtype once, when stored.
 *
 * <p>Each vector loop has a scalar reference beside it ({@code ...Scalar}); {@link #simd} selects between
 * them and the tests compare both. Vector loops run only when every operand of the run has unit stride;
 * the remainder of a run (fewer than one vector) goes through the scalar loop.
 *
 * <p>Note [Per-dtype vector loops]: C2 keeps Vector API values in registers only when no vector value flows
 * through a control-flow merge (see Note [Vector compile units] in {@link BlockMath}); a load that depends on
 * the dtype is such a merge, and boxes vectors on the heap, kilobytes per call. So each vector loop exists
 * twice, {@code ...F} loading F32 and widening it, {@code ...D} loading F64, with the same arithmetic; the
 * dtype selects the loop, and every loop ends by storing or by returning a double.
 *
 * <p>Optional operands: the normalization loops take a per-element weight row {@code w} and offset row
 * {@code b} that may be absent ({@code null} segment), meaning a weight of 1 and an offset of the scalar
 * given instead. An absent row is read as a constant row ({@link #ones} or {@link #ZERO}) with stride 0,
 * so one loop serves both cases.
 */
final class SpatialRows {
    private SpatialRows() {}

    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats that widen to exactly one {@link #D} vector. */
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int L = D.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final MemorySegment ONES_F = Arena.global().allocate(4L * L, 64);
    private static final MemorySegment ONES_D = Arena.global().allocate(8L * L, 64);
    /** One vector of zero bytes: 0.0 in both dtypes. */
    private static final MemorySegment ZERO = Arena.global().allocate(8L * L, 64);

    static {
        for (int i = 0; i < L; i++) {
            ONES_F.setAtIndex(JAVA_FLOAT_UNALIGNED, i, 1f);
            ONES_D.setAtIndex(JAVA_DOUBLE_UNALIGNED, i, 1.0);
        }
    }

    /**
     * True: unit-stride runs take the vector loops; false: the scalar references. Set from the system
     * property {@code zerograd.kernels.scalar} (true selects the references), as for the other kernels of
     * this module, and by tests.
     */
    static boolean simd = !Boolean.getBoolean("zerograd.kernels.scalar");

    /**
     * Rows shorter than this run the scalar loops (Note [Small calls stay scalar] in {@link BlockMath}). Not
     * lower: with 64, the CNN's 196-wide bias rows took the vector loops (2 to 3 % of its step's CPU samples
     * on AVX-512), but a 108-element row added once per call (the conv slots' partial weight gradients)
     * allocated 5 to 7.5 KB per call in about a third of SpatialAllocationTest's runs: the vector loop was
     * not always intrinsified.
     */
    static final long VECTOR_MIN_ROW = 256;

    static int bytes(boolean f32) {
        return f32 ? 4 : 8;
    }

    static double get(MemorySegment s, boolean f32, long off) {
        return f32 ? s.get(JAVA_FLOAT_UNALIGNED, off) : s.get(JAVA_DOUBLE_UNALIGNED, off);
    }

    static void set(MemorySegment s, boolean f32, long off, double v) {
        if (f32) {
            s.set(JAVA_FLOAT_UNALIGNED, off, (float) v);
        } else {
            s.set(JAVA_DOUBLE_UNALIGNED, off, v);
        }
    }

    /** A constant row of ones (read with stride 0) standing in for an absent weight row. */
    private static MemorySegment ones(boolean f32) {
        return f32 ? ONES_F : ONES_D;
    }

    private static DoubleVector ldF(MemorySegment s, long off) {
        return (DoubleVector) FloatVector.fromMemorySegment(F, s, off, LE).convertShape(VectorOperators.F2D, D, 0);
    }

    private static DoubleVector ldD(MemorySegment s, long off) {
        return DoubleVector.fromMemorySegment(D, s, off, LE);
    }

    private static void stF(DoubleVector v, MemorySegment s, long off) {
        v.convertShape(VectorOperators.D2F, F, 0).intoMemorySegment(s, off, LE);
    }

    private static void stD(DoubleVector v, MemorySegment s, long off) {
        v.intoMemorySegment(s, off, LE);
    }

    /** Elements of a run that the vector loop covers: a multiple of {@link #L}, 0 unless the strides allow. */
    private static long vectorPart(long n, boolean unit) {
        return simd && unit && n >= VECTOR_MIN_ROW ? n - n % L : 0;
    }

    /** A stride the vector loops accept for a row read as a whole vector per step: 1, or 0 for a constant row. */
    private static boolean rowStride(long st) {
        return st == 0 || st == 1;
    }

    // ---------------------------------------------------------------- sums of one run

    /** {@code sum x}. */
    static double sum(MemorySegment xs, long x, long xst, long n, boolean f32) {
        long v = vectorPart(n, xst == 1);
        double s = v == 0 ? 0 : f32 ? sumF(xs, x, v) : sumD(xs, x, v);
        return s + sumScalar(xs, x + v * bytes(f32), xst, n - v, f32);
    }

    private static double sumF(MemorySegment xs, long x, long v) {
        long vb = 4L * L;
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0;
        long i = 0;
        for (; i + 2L * L <= v; i += 2L * L, x += 2 * vb) {
            a0 = a0.add(ldF(xs, x));
            a1 = a1.add(ldF(xs, x + vb));
        }
        for (; i < v; i += L, x += vb) {
            a0 = a0.add(ldF(xs, x));
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    private static double sumD(MemorySegment xs, long x, long v) {
        long vb = 8L * L;
        DoubleVector a0 = DoubleVector.zero(D), a1 = a0;
        long i = 0;
        for (; i + 2L * L <= v; i += 2L * L, x += 2 * vb) {
            a0 = a0.add(ldD(xs, x));
            a1 = a1.add(ldD(xs, x + vb));
        }
        for (; i < v; i += L, x += vb) {
            a0 = a0.add(ldD(xs, x));
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    static double sumScalar(MemorySegment xs, long x, long xst, long n, boolean f32) {
        long step = xst * bytes(f32);
        double s = 0;
        for (long i = 0; i < n; i++, x += step) {
            s += get(xs, f32, x);
        }
        return s;
    }

    /** {@code sum (x - mu)^2}: the second pass of a two-pass variance. */
    static double sqdev(MemorySegment xs, long x, long xst, long n, double mu, boolean f32) {
        long v = vectorPart(n, xst == 1);
        double s = v == 0 ? 0 : f32 ? sqdevF(xs, x, v, mu) : sqdevD(xs, x, v, mu);
        return s + sqdevScalar(xs, x + v * bytes(f32), xst, n - v, mu, f32);
    }

    private static double sqdevF(MemorySegment xs, long x, long v, double mu) {
        long vb = 4L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), a = DoubleVector.zero(D);
        for (long i = 0; i < v; i += L, x += vb) {
            DoubleVector d = ldF(xs, x).sub(m);
            a = d.fma(d, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    private static double sqdevD(MemorySegment xs, long x, long v, double mu) {
        long vb = 8L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), a = DoubleVector.zero(D);
        for (long i = 0; i < v; i += L, x += vb) {
            DoubleVector d = ldD(xs, x).sub(m);
            a = d.fma(d, a);
        }
        return a.reduceLanes(VectorOperators.ADD);
    }

    static double sqdevScalar(MemorySegment xs, long x, long xst, long n, double mu, boolean f32) {
        long step = xst * bytes(f32);
        double s = 0;
        for (long i = 0; i < n; i++, x += step) {
            double d = get(xs, f32, x) - mu;
            s += d * d;
        }
        return s;
    }

    /**
     * Two sums of the normalization backward rules, {@code out[0] += sum g*w} and
     * {@code out[1] += sum g*w*(x - mu)} (w = 1 when {@code ws} is null).
     */
    static void gradSums(MemorySegment gs, long g, long gst, MemorySegment xs, long x, long xst, MemorySegment ws, long w,
                         long wst, long n, double mu, boolean f32, double[] out) {
        if (ws == null) {
            ws = ones(f32);
            w = 0;
            wst = 0;
        }
        long v = vectorPart(n, gst == 1 && xst == 1 && rowStride(wst));
        if (v > 0) {
            if (f32) {
                gradSumsF(gs, g, xs, x, ws, w, wst * 4L * L, v, mu, out);
            } else {
                gradSumsD(gs, g, xs, x, ws, w, wst * 8L * L, v, mu, out);
            }
        }
        int esz = bytes(f32);
        gradSumsScalar(gs, g + v * esz, gst, xs, x + v * esz, xst, ws, w + v * wst * esz, wst, n - v, mu, f32, out);
    }

    private static void gradSumsF(MemorySegment gs, long g, MemorySegment xs, long x, MemorySegment ws, long w, long wStep,
                                  long v, double mu, double[] out) {
        long vb = 4L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), a = DoubleVector.zero(D), b = a;
        for (long i = 0; i < v; i += L, g += vb, x += vb, w += wStep) {
            DoubleVector gv = ldF(gs, g).mul(ldF(ws, w));
            a = a.add(gv);
            b = gv.fma(ldF(xs, x).sub(m), b);
        }
        out[0] += a.reduceLanes(VectorOperators.ADD);
        out[1] += b.reduceLanes(VectorOperators.ADD);
    }

    private static void gradSumsD(MemorySegment gs, long g, MemorySegment xs, long x, MemorySegment ws, long w, long wStep,
                                  long v, double mu, double[] out) {
        long vb = 8L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), a = DoubleVector.zero(D), b = a;
        for (long i = 0; i < v; i += L, g += vb, x += vb, w += wStep) {
            DoubleVector gv = ldD(gs, g).mul(ldD(ws, w));
            a = a.add(gv);
            b = gv.fma(ldD(xs, x).sub(m), b);
        }
        out[0] += a.reduceLanes(VectorOperators.ADD);
        out[1] += b.reduceLanes(VectorOperators.ADD);
    }

    static void gradSumsScalar(MemorySegment gs, long g, long gst, MemorySegment xs, long x, long xst, MemorySegment ws,
                               long w, long wst, long n, double mu, boolean f32, double[] out) {
        int esz = bytes(f32);
        double a = 0, b = 0;
        for (long i = 0; i < n; i++, g += gst * esz, x += xst * esz, w += wst * esz) {
            double gv = get(gs, f32, g) * (ws == null ? 1 : get(ws, f32, w));
            a += gv;
            b += gv * (get(xs, f32, x) - mu);
        }
        out[0] += a;
        out[1] += b;
    }

    // ---------------------------------------------------------------- maps of one run

    /**
     * {@code o = a * (x - mu) * w + b + bias}: normalization and its affine part in one pass (w = 1 when
     * {@code ws} is null, b = 0 when {@code bs} is null). o may be x itself.
     */
    static void normalize(MemorySegment xs, long x, long xst, double mu, double a, MemorySegment ws, long w, long wst,
                          MemorySegment bs, long b, long bst, double bias, MemorySegment os, long o, long ost, long n,
                          boolean f32) {
        if (ws == null) {
            ws = ones(f32);
            w = 0;
            wst = 0;
        }
        if (bs == null) {
            bs = ZERO;
            b = 0;
            bst = 0;
        }
        long v = vectorPart(n, xst == 1 && ost == 1 && rowStride(wst) && rowStride(bst));
        if (v > 0) {
            if (f32) {
                normalizeF(xs, x, mu, a, ws, w, wst * 4L * L, bs, b, bst * 4L * L, bias, os, o, v);
            } else {
                normalizeD(xs, x, mu, a, ws, w, wst * 8L * L, bs, b, bst * 8L * L, bias, os, o, v);
            }
        }
        int esz = bytes(f32);
        normalizeScalar(xs, x + v * esz, xst, mu, a, ws, w + v * wst * esz, wst, bs, b + v * bst * esz, bst, bias, os,
                o + v * esz, ost, n - v, f32);
    }

    private static void normalizeF(MemorySegment xs, long x, double mu, double a, MemorySegment ws, long w, long wStep,
                                   MemorySegment bs, long b, long bStep, double bias, MemorySegment os, long o, long v) {
        long vb = 4L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), av = DoubleVector.broadcast(D, a), c = DoubleVector.broadcast(D, bias);
        for (long i = 0; i < v; i += L, x += vb, w += wStep, b += bStep, o += vb) {
            stF(ldF(xs, x).sub(m).fma(av.mul(ldF(ws, w)), ldF(bs, b).add(c)), os, o);
        }
    }

    private static void normalizeD(MemorySegment xs, long x, double mu, double a, MemorySegment ws, long w, long wStep,
                                   MemorySegment bs, long b, long bStep, double bias, MemorySegment os, long o, long v) {
        long vb = 8L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), av = DoubleVector.broadcast(D, a), c = DoubleVector.broadcast(D, bias);
        for (long i = 0; i < v; i += L, x += vb, w += wStep, b += bStep, o += vb) {
            stD(ldD(xs, x).sub(m).fma(av.mul(ldD(ws, w)), ldD(bs, b).add(c)), os, o);
        }
    }

    static void normalizeScalar(MemorySegment xs, long x, long xst, double mu, double a, MemorySegment ws, long w, long wst,
                                MemorySegment bs, long b, long bst, double bias, MemorySegment os, long o, long ost, long n,
                                boolean f32) {
        int esz = bytes(f32);
        for (long i = 0; i < n; i++, x += xst * esz, w += wst * esz, b += bst * esz, o += ost * esz) {
            double s = ws == null ? a : a * get(ws, f32, w);
            double off = (bs == null ? 0 : get(bs, f32, b)) + bias;
            set(os, f32, o, Math.fma(get(xs, f32, x) - mu, s, off));
        }
    }

    /**
     * {@code o = a * g * w + c * (x - mu) + k}: the input gradient of batch and layer norm (w = 1 when
     * {@code ws} is null). Written with {@code x - mu} rather than expanded, so that a large mean does not
     * cancel. o may be g itself.
     */
    static void gradInput(MemorySegment gs, long g, long gst, MemorySegment ws, long w, long wst, MemorySegment xs, long x,
                          long xst, double mu, double a, double c, double k, MemorySegment os, long o, long ost, long n,
                          boolean f32) {
        if (ws == null) {
            ws = ones(f32);
            w = 0;
            wst = 0;
        }
        long v = vectorPart(n, gst == 1 && xst == 1 && ost == 1 && rowStride(wst));
        if (v > 0) {
            if (f32) {
                gradInputF(gs, g, ws, w, wst * 4L * L, xs, x, mu, a, c, k, os, o, v);
            } else {
                gradInputD(gs, g, ws, w, wst * 8L * L, xs, x, mu, a, c, k, os, o, v);
            }
        }
        int esz = bytes(f32);
        gradInputScalar(gs, g + v * esz, gst, ws, w + v * wst * esz, wst, xs, x + v * esz, xst, mu, a, c, k, os, o + v * esz,
                ost, n - v, f32);
    }

    private static void gradInputF(MemorySegment gs, long g, MemorySegment ws, long w, long wStep, MemorySegment xs, long x,
                                   double mu, double a, double c, double k, MemorySegment os, long o, long v) {
        long vb = 4L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), av = DoubleVector.broadcast(D, a);
        DoubleVector cv = DoubleVector.broadcast(D, c), kv = DoubleVector.broadcast(D, k);
        for (long i = 0; i < v; i += L, g += vb, w += wStep, x += vb, o += vb) {
            DoubleVector r = ldF(xs, x).sub(m).fma(cv, kv);
            stF(ldF(gs, g).fma(av.mul(ldF(ws, w)), r), os, o);
        }
    }

    private static void gradInputD(MemorySegment gs, long g, MemorySegment ws, long w, long wStep, MemorySegment xs, long x,
                                   double mu, double a, double c, double k, MemorySegment os, long o, long v) {
        long vb = 8L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), av = DoubleVector.broadcast(D, a);
        DoubleVector cv = DoubleVector.broadcast(D, c), kv = DoubleVector.broadcast(D, k);
        for (long i = 0; i < v; i += L, g += vb, w += wStep, x += vb, o += vb) {
            DoubleVector r = ldD(xs, x).sub(m).fma(cv, kv);
            stD(ldD(gs, g).fma(av.mul(ldD(ws, w)), r), os, o);
        }
    }

    static void gradInputScalar(MemorySegment gs, long g, long gst, MemorySegment ws, long w, long wst, MemorySegment xs,
                                long x, long xst, double mu, double a, double c, double k, MemorySegment os, long o, long ost,
                                long n, boolean f32) {
        int esz = bytes(f32);
        for (long i = 0; i < n; i++, g += gst * esz, w += wst * esz, x += xst * esz, o += ost * esz) {
            double s = ws == null ? a : a * get(ws, f32, w);
            double r = Math.fma(get(xs, f32, x) - mu, c, k);
            set(os, f32, o, Math.fma(get(gs, f32, g), s, r));
        }
    }

    /**
     * Column sums of layer norm's affine gradients over one row: {@code dw[j] += g_j * (x_j - mu) * s} and
     * {@code db[j] += g_j} for {@code j0 <= j < j0 + n}, into double accumulators.
     */
    static void accumulateAffine(MemorySegment gs, long g, long gst, MemorySegment xs, long x, long xst, double mu, double s,
                                 double[] dw, double[] db, int j0, int n, boolean f32) {
        int v = (int) vectorPart(n, gst == 1 && xst == 1);
        if (v > 0) {
            if (f32) {
                accumulateAffineF(gs, g, xs, x, mu, s, dw, db, j0, v);
            } else {
                accumulateAffineD(gs, g, xs, x, mu, s, dw, db, j0, v);
            }
        }
        int esz = bytes(f32);
        accumulateAffineScalar(gs, g + (long) v * esz, gst, xs, x + (long) v * esz, xst, mu, s, dw, db, j0 + v, n - v, f32);
    }

    private static void accumulateAffineF(MemorySegment gs, long g, MemorySegment xs, long x, double mu, double s, double[] dw,
                                          double[] db, int j0, int v) {
        long vb = 4L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), sv = DoubleVector.broadcast(D, s);
        for (int j = j0; j < j0 + v; j += L, g += vb, x += vb) {
            DoubleVector gv = ldF(gs, g);
            gv.mul(sv).fma(ldF(xs, x).sub(m), DoubleVector.fromArray(D, dw, j)).intoArray(dw, j);
            gv.add(DoubleVector.fromArray(D, db, j)).intoArray(db, j);
        }
    }

    private static void accumulateAffineD(MemorySegment gs, long g, MemorySegment xs, long x, double mu, double s, double[] dw,
                                          double[] db, int j0, int v) {
        long vb = 8L * L;
        DoubleVector m = DoubleVector.broadcast(D, mu), sv = DoubleVector.broadcast(D, s);
        for (int j = j0; j < j0 + v; j += L, g += vb, x += vb) {
            DoubleVector gv = ldD(gs, g);
            gv.mul(sv).fma(ldD(xs, x).sub(m), DoubleVector.fromArray(D, dw, j)).intoArray(dw, j);
            gv.add(DoubleVector.fromArray(D, db, j)).intoArray(db, j);
        }
    }

    static void accumulateAffineScalar(MemorySegment gs, long g, long gst, MemorySegment xs, long x, long xst, double mu,
                                       double s, double[] dw, double[] db, int j0, int n, boolean f32) {
        int esz = bytes(f32);
        for (int j = j0; j < j0 + n; j++, g += gst * esz, x += xst * esz) {
            double gv = get(gs, f32, g);
            dw[j] = Math.fma(gv * s, get(xs, f32, x) - mu, dw[j]);
            db[j] += gv;
        }
    }

    /** {@code d += s} over a run (col2im and pooling gradients). */
    static void addInto(MemorySegment ds, long d, long dst, MemorySegment ss, long s, long sst, long n, boolean f32) {
        long v = vectorPart(n, dst == 1 && sst == 1);
        if (v > 0) {
            // -0.0 is the exact neutral element of addition (x + -0.0 == x, signed zeros included).
            if (f32) {
                addScalarF(ds, d, 4L * L, ss, s, 4L * L, -0.0, ds, d, v);
            } else {
                addScalarD(ds, d, 8L * L, ss, s, 8L * L, -0.0, ds, d, v);
            }
        }
        int esz = bytes(f32);
        addIntoScalar(ds, d + v * esz, dst, ss, s + v * esz, sst, n - v, f32);
    }

    static void addIntoScalar(MemorySegment ds, long d, long dst, MemorySegment ss, long s, long sst, long n, boolean f32) {
        int esz = bytes(f32);
        for (long i = 0; i < n; i++, d += dst * esz, s += sst * esz) {
            set(ds, f32, d, get(ds, f32, d) + get(ss, f32, s));
        }
    }

    /** {@code o = x + c} over two contiguous runs. */
    static void addScalar(MemorySegment xs, long x, MemorySegment os, long o, long n, double c, boolean f32) {
        long v = vectorPart(n, true);
        if (v > 0) {
            if (f32) {
                addScalarF(xs, x, 4L * L, ZERO, 0, 0, c, os, o, v);
            } else {
                addScalarD(xs, x, 8L * L, ZERO, 0, 0, c, os, o, v);
            }
        }
        int esz = bytes(f32);
        addScalarScalar(xs, x + v * esz, os, o + v * esz, n - v, c, f32);
    }

    /** {@code o = x + y + c}, x and y read with byte steps xStep, yStep per vector (0: a constant row). */
    private static void addScalarF(MemorySegment xs, long x, long xStep, MemorySegment ys, long y, long yStep, double c,
                                   MemorySegment os, long o, long v) {
        long vb = 4L * L;
        DoubleVector cv = DoubleVector.broadcast(D, c);
        for (long i = 0; i < v; i += L, x += xStep, y += yStep, o += vb) {
            stF(ldF(xs, x).add(ldF(ys, y)).add(cv), os, o);
        }
    }

    private static void addScalarD(MemorySegment xs, long x, long xStep, MemorySegment ys, long y, long yStep, double c,
                                   MemorySegment os, long o, long v) {
        long vb = 8L * L;
        DoubleVector cv = DoubleVector.broadcast(D, c);
        for (long i = 0; i < v; i += L, x += xStep, y += yStep, o += vb) {
            stD(ldD(xs, x).add(ldD(ys, y)).add(cv), os, o);
        }
    }

    static void addScalarScalar(MemorySegment xs, long x, MemorySegment os, long o, long n, double c, boolean f32) {
        int esz = bytes(f32);
        for (long i = 0; i < n; i++, x += esz, o += esz) {
            set(os, f32, o, get(xs, f32, x) + c);
        }
    }

    /** {@code o = value} over a run. */
    static void fill(MemorySegment os, long o, long ost, long n, double value, boolean f32) {
        long v = vectorPart(n, ost == 1);
        if (v > 0) {
            if (f32) {
                addScalarF(ZERO, 0, 0, ZERO, 0, 0, value, os, o, v);
            } else {
                addScalarD(ZERO, 0, 0, ZERO, 0, 0, value, os, o, v);
            }
        }
        fillScalar(os, o + v * bytes(f32), ost, n - v, value, f32);
    }

    static void fillScalar(MemorySegment os, long o, long ost, long n, double value, boolean f32) {
        int esz = bytes(f32);
        for (long i = 0; i < n; i++, o += ost * esz) {
            set(os, f32, o, value);
        }
    }

    /** {@code o = x} over a run (no arithmetic: the bits of the dtype are moved as they are). */
    static void copy(MemorySegment xs, long x, long xst, MemorySegment os, long o, long ost, long n, boolean f32) {
        int esz = bytes(f32);
        if (xst == 1 && ost == 1) {
            MemorySegment.copy(xs, x, os, o, n * esz);
            return;
        }
        for (long i = 0; i < n; i++, x += xst * esz, o += ost * esz) {
            if (f32) {
                os.set(JAVA_FLOAT_UNALIGNED, o, xs.get(JAVA_FLOAT_UNALIGNED, x));
            } else {
                os.set(JAVA_DOUBLE_UNALIGNED, o, xs.get(JAVA_DOUBLE_UNALIGNED, x));
            }
        }
    }
}
