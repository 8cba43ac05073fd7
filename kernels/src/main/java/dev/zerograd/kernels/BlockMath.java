package dev.zerograd.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The arithmetic of the reduction, softmax, loss and indexing kernels, on blocks of doubles staged by
 * {@link RowKernels} (Note [Staged blocks]). Two entry points, {@link #reduce} and {@link #map}, dispatch on
 * an op code to one vector loop per op ({@code ...V}) or to the scalar references ({@code reduceS},
 * {@code mapS}); {@link #simd} selects which, and tests compare both.
 *
 * <p>Note [Vector compile units]: C2 keeps Vector API values in registers only when every vector operation
 * is intrinsified, which needs its operator and species to be constants where it is compiled, and when no
 * vector value flows through a control-flow merge. Otherwise it boxes vectors on the heap, kilobytes per
 * call, which breaks the zero-allocation contract. So: one small method per vector loop, with constant
 * operators and the one species {@link #D}, that ends by storing to an array or returning a double; the op
 * switch only selects which method to call, so no vector crosses it. F32 and F64 share the loops because
 * rows are staged as doubles, so no load depends on the dtype (a dtype-dependent load merges two vectors).
 * Until C2 has compiled them (a few thousand calls; longer on a busy machine) the loops run in C1 or the
 * interpreter, where vector operations are slow and do allocate. ReductionKernelsAllocationTest measures
 * the steady state.
 */
final class BlockMath {
    private BlockMath() {}

    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats that widen to exactly one {@link #D} vector. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int L = D.length();

    /**
     * True: the vector implementations; false: the scalar references. Initialised from the system property
     * {@code zerograd.kernels.scalar} (true selects the references); tests flip it.
     */
    static boolean simd = !Boolean.getBoolean("zerograd.kernels.scalar");

    /**
     * Note [Small calls stay scalar]: a kernel call over fewer than {@value #VECTOR_MIN} elements runs the
     * scalar loops. Vector code that C2 has not intrinsified (before compilation, or in a compilation whose
     * profile came from other shapes and dtypes) boxes vectors on the heap; for small tensors the vector
     * loops save little time, so they are not worth that risk to the zero-allocation contract.
     */
    static final long VECTOR_MIN = 16_384;

    /** True when the call in progress on this thread uses the vector loops. */
    static boolean vectorOn() {
        return simd && WalkScratch.get().vector;
    }

    /** Records at a kernel's entry whether a call over {@code elements} elements uses the vector loops. */
    static WalkScratch enter(long elements) {
        WalkScratch w = WalkScratch.get();
        w.vector = elements >= VECTOR_MIN;
        return w;
    }

    // Reductions. Identities: 0, except MAX -inf and MIN +inf.
    /** {@code sum a}. */
    static final int SUM = 0;
    /** {@code sum (a - c)^2}: squared deviations from the mean c. */
    static final int SQDEV = 1;
    /** {@code max a}, Math.max semantics: NaN wins, -0.0 < 0.0. */
    static final int MAX = 2;
    /** {@code min a}, Math.min semantics. */
    static final int MIN = 3;
    /** {@code sum exp(a - c)}. */
    static final int EXP_SUM = 4;
    /** {@code sum a * b}. */
    static final int DOT = 5;

    // Maps, o[i] = f(a[i], b[i]); o may be a or b. The last five also serve the blocked reductions of Reduce.
    /** {@code exp(a - c)}; map returns the sum of the outputs. */
    static final int EXP_SHIFT = 0;
    /** {@code a * c + c2}. */
    static final int AFFINE = 1;
    /** {@code b * (a - c)}: softmax backward with a = g, b = y, c = sum(g * y). */
    static final int SOFTMAX_BWD = 2;
    /** {@code a - exp(b) * c}: log-softmax backward with a = g, b = y, c = sum(g). */
    static final int LOG_SOFTMAX_BWD = 3;
    /** {@code c * exp(a) + c2}: cross-entropy backward with a = log-probabilities. */
    static final int SCALED_EXP = 4;
    /** {@code a + b}. */
    static final int ADD = 5;
    /** {@code a - b}. */
    static final int SUB = 6;
    /** {@code a + b * b}. */
    static final int ADD_SQUARE = 7;
    /** {@code max(a, b)}, Math.max semantics. */
    static final int MAXIMUM = 8;
    /** {@code min(a, b)}, Math.min semantics. */
    static final int MINIMUM = 9;

    static double identity(int op) {
        return op == MAX ? Double.NEGATIVE_INFINITY : op == MIN ? Double.POSITIVE_INFINITY : 0.0;
    }

    /** Combines two partial results of reduction {@code op}. */
    static double combine(int op, double x, double y) {
        return op == MAX ? Math.max(x, y) : op == MIN ? Math.min(x, y) : x + y;
    }

    // ---------------------------------------------------------------- entry points

    /** Reduction {@code op} over {@code a[0..n)} (and {@code b} for DOT), with parameter c. */
    static double reduce(int op, double[] a, double[] b, int n, double c) {
        if (!vectorOn()) {
            return reduceS(op, a, b, 0, n, c, identity(op));
        }
        return switch (op) {
            case SUM -> sumV(a, n);
            case SQDEV -> sqDevV(a, n, c);
            case MAX -> maxV(a, n);
            case MIN -> minV(a, n);
            case EXP_SUM -> expSumV(a, n, c);
            default -> dotV(a, b, n);
        };
    }

    /** {@code o[i] = f(a[i], b[i])} for map {@code mode}; returns the sum of the outputs for EXP_SHIFT, else 0. */
    static double map(int mode, double[] a, double[] b, double[] o, int n, double c, double c2) {
        if (!vectorOn()) {
            return mapS(mode, a, b, o, 0, n, c, c2);
        }
        switch (mode) {
            case EXP_SHIFT -> {
                return expShiftV(a, o, n, c);
            }
            case AFFINE -> affineV(a, o, n, c, c2);
            case SOFTMAX_BWD -> softmaxBwdV(a, b, o, n, c);
            case LOG_SOFTMAX_BWD -> logSoftmaxBwdV(a, b, o, n, c);
            case SCALED_EXP -> scaledExpV(a, o, n, c, c2);
            case ADD -> addV(a, b, o, n);
            case SUB -> subV(a, b, o, n);
            case ADD_SQUARE -> addSquareV(a, b, o, n);
            case MAXIMUM -> maximumV(a, b, o, n);
            default -> minimumV(a, b, o, n);
        }
        return 0;
    }

    // ---------------------------------------------------------------- scalar references

    /** Reduction {@code op} of {@code a[from..n)} continuing from partial result {@code r}. */
    static double reduceS(int op, double[] a, double[] b, int from, int n, double c, double r) {
        for (int i = from; i < n; i++) {
            double v = a[i];
            r = switch (op) {
                case SUM -> r + v;
                case SQDEV -> r + (v - c) * (v - c);
                case MAX -> Math.max(r, v);
                case MIN -> Math.min(r, v);
                case EXP_SUM -> r + Math.exp(v - c);
                default -> r + v * b[i];
            };
        }
        return r;
    }

    static double mapS(int mode, double[] a, double[] b, double[] o, int from, int n, double c, double c2) {
        double s = 0;
        for (int i = from; i < n; i++) {
            double v = switch (mode) {
                case EXP_SHIFT -> Math.exp(a[i] - c);
                case AFFINE -> a[i] * c + c2;
                case SOFTMAX_BWD -> b[i] * (a[i] - c);
                case LOG_SOFTMAX_BWD -> a[i] - Math.exp(b[i]) * c;
                case SCALED_EXP -> c * Math.exp(a[i]) + c2;
                case ADD -> a[i] + b[i];
                case SUB -> a[i] - b[i];
                case ADD_SQUARE -> a[i] + b[i] * b[i];
                case MAXIMUM -> Math.max(a[i], b[i]);
                default -> Math.min(a[i], b[i]);
            };
            o[i] = v;
            s += v;
        }
        return mode == EXP_SHIFT ? s : 0;
    }

    // ---------------------------------------------------------------- vector loops (Note [Vector compile units])

    private static double sumV(double[] a, int n) {
        // Four accumulators: independent add chains, and a 4L-way split of the rounding error.
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 4 * L; i += 4 * L) {
            s0 = s0.add(DoubleVector.fromArray(D, a, i));
            s1 = s1.add(DoubleVector.fromArray(D, a, i + L));
            s2 = s2.add(DoubleVector.fromArray(D, a, i + 2 * L));
            s3 = s3.add(DoubleVector.fromArray(D, a, i + 3 * L));
        }
        for (; i <= n - L; i += L) {
            s0 = s0.add(DoubleVector.fromArray(D, a, i));
        }
        return reduceS(SUM, a, a, i, n, 0, s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD));
    }

    private static double sqDevV(double[] a, int n, double c) {
        DoubleVector m = DoubleVector.broadcast(D, c), s0 = DoubleVector.zero(D), s1 = s0;
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            DoubleVector d0 = DoubleVector.fromArray(D, a, i).sub(m), d1 = DoubleVector.fromArray(D, a, i + L).sub(m);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; i <= n - L; i += L) {
            DoubleVector d = DoubleVector.fromArray(D, a, i).sub(m);
            s0 = d.fma(d, s0);
        }
        return reduceS(SQDEV, a, a, i, n, c, s0.add(s1).reduceLanes(VectorOperators.ADD));
    }

    private static double maxV(double[] a, int n) {
        DoubleVector m = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - L; i += L) {
            m = m.max(DoubleVector.fromArray(D, a, i));
        }
        return reduceS(MAX, a, a, i, n, 0, m.reduceLanes(VectorOperators.MAX));
    }

    private static double minV(double[] a, int n) {
        DoubleVector m = DoubleVector.broadcast(D, Double.POSITIVE_INFINITY);
        int i = 0;
        for (; i <= n - L; i += L) {
            m = m.min(DoubleVector.fromArray(D, a, i));
        }
        return reduceS(MIN, a, a, i, n, 0, m.reduceLanes(VectorOperators.MIN));
    }

    private static double expSumV(double[] a, int n, double c) {
        DoubleVector cv = DoubleVector.broadcast(D, c), s0 = DoubleVector.zero(D);
        int i = 0;
        for (; i <= n - L; i += L) {
            s0 = s0.add(DoubleVector.fromArray(D, a, i).sub(cv).lanewise(VectorOperators.EXP));
        }
        return reduceS(EXP_SUM, a, a, i, n, c, s0.reduceLanes(VectorOperators.ADD));
    }

    private static double dotV(double[] a, double[] b, int n) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            s0 = DoubleVector.fromArray(D, a, i).fma(DoubleVector.fromArray(D, b, i), s0);
            s1 = DoubleVector.fromArray(D, a, i + L).fma(DoubleVector.fromArray(D, b, i + L), s1);
        }
        for (; i <= n - L; i += L) {
            s0 = DoubleVector.fromArray(D, a, i).fma(DoubleVector.fromArray(D, b, i), s0);
        }
        return reduceS(DOT, a, b, i, n, 0, s0.add(s1).reduceLanes(VectorOperators.ADD));
    }

    private static double expShiftV(double[] a, double[] o, int n, double c) {
        DoubleVector cv = DoubleVector.broadcast(D, c), acc = DoubleVector.zero(D);
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector e = DoubleVector.fromArray(D, a, i).sub(cv).lanewise(VectorOperators.EXP);
            e.intoArray(o, i);
            acc = acc.add(e);
        }
        return acc.reduceLanes(VectorOperators.ADD) + mapS(EXP_SHIFT, a, a, o, i, n, c, 0);
    }

    private static void affineV(double[] a, double[] o, int n, double c, double c2) {
        DoubleVector cv = DoubleVector.broadcast(D, c), c2v = DoubleVector.broadcast(D, c2);
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).fma(cv, c2v).intoArray(o, i);
        }
        mapS(AFFINE, a, a, o, i, n, c, c2);
    }

    private static void softmaxBwdV(double[] a, double[] b, double[] o, int n, double c) {
        DoubleVector cv = DoubleVector.broadcast(D, c);
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).sub(cv).mul(DoubleVector.fromArray(D, b, i)).intoArray(o, i);
        }
        mapS(SOFTMAX_BWD, a, b, o, i, n, c, 0);
    }

    private static void logSoftmaxBwdV(double[] a, double[] b, double[] o, int n, double c) {
        DoubleVector neg = DoubleVector.broadcast(D, -c);
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, b, i).lanewise(VectorOperators.EXP).fma(neg, DoubleVector.fromArray(D, a, i)).intoArray(o, i);
        }
        mapS(LOG_SOFTMAX_BWD, a, b, o, i, n, c, 0);
    }

    private static void scaledExpV(double[] a, double[] o, int n, double c, double c2) {
        DoubleVector cv = DoubleVector.broadcast(D, c), c2v = DoubleVector.broadcast(D, c2);
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).lanewise(VectorOperators.EXP).fma(cv, c2v).intoArray(o, i);
        }
        mapS(SCALED_EXP, a, a, o, i, n, c, c2);
    }

    private static void addV(double[] a, double[] b, double[] o, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).add(DoubleVector.fromArray(D, b, i)).intoArray(o, i);
        }
        mapS(ADD, a, b, o, i, n, 0, 0);
    }

    private static void subV(double[] a, double[] b, double[] o, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).sub(DoubleVector.fromArray(D, b, i)).intoArray(o, i);
        }
        mapS(SUB, a, b, o, i, n, 0, 0);
    }

    private static void addSquareV(double[] a, double[] b, double[] o, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector v = DoubleVector.fromArray(D, b, i);
            v.fma(v, DoubleVector.fromArray(D, a, i)).intoArray(o, i);
        }
        mapS(ADD_SQUARE, a, b, o, i, n, 0, 0);
    }

    private static void maximumV(double[] a, double[] b, double[] o, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).max(DoubleVector.fromArray(D, b, i)).intoArray(o, i);
        }
        mapS(MAXIMUM, a, b, o, i, n, 0, 0);
    }

    private static void minimumV(double[] a, double[] b, double[] o, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, a, i).min(DoubleVector.fromArray(D, b, i)).intoArray(o, i);
        }
        mapS(MINIMUM, a, b, o, i, n, 0, 0);
    }

    // ---------------------------------------------------------------- F32 staging

    /** {@code dst[i] = (double) f32 element at off + 4i} for {@code i < n}; returns how many it did (a multiple of L). */
    static int widenV(MemorySegment s, long off, double[] dst, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            ((DoubleVector) FloatVector.fromMemorySegment(F, s, off + 4L * i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.F2D, D, 0)).intoArray(dst, i);
        }
        return i;
    }

    /** {@code f32 element at off + 4i = (float) src[i]} for {@code i < n}; returns how many it did (a multiple of L). */
    static int narrowV(double[] src, int n, MemorySegment s, long off) {
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector.fromArray(D, src, i).convertShape(VectorOperators.D2F, F, 0)
                    .intoMemorySegment(s, off + 4L * i, ByteOrder.LITTLE_ENDIAN);
        }
        return i;
    }
}
