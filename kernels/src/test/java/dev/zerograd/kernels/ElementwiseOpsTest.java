package dev.zerograd.kernels;

import static dev.zerograd.kernels.EwFixtures.assertClose;
import static dev.zerograd.kernels.EwFixtures.broadcastValues;
import static dev.zerograd.kernels.EwFixtures.make;
import static dev.zerograd.kernels.EwFixtures.round;

import dev.zerograd.kernels.EwFixtures.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every op against a double-precision formula written here (independently of {@link Formulas}), on random
 * data, f32 and f64, in every layout, for shapes from rank 0 and size 0 to rows with vector tails.
 */
class ElementwiseOpsTest {
    private static final long[][] SHAPES = {{}, {0, 3}, {7}, {3, 5}, {2, 3, 17}, {4, 33}};

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined(64 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    // ---------------------------------------------------------------- formulas

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double erf(double x) {
        return ErfTest.seriesErf(x);
    }

    /** The forward ops, written independently of the kernels. */
    static double forward(UnaryOp op, double x, double a) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> x > 0 ? x : 0;
            case LEAKY_RELU -> x > 0 ? x : a * x;
            case ELU -> x > 0 ? x : a * (Math.exp(x) - 1);
            case SILU -> x * sigmoid(x);
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case GELU_ERF -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case SOFTPLUS -> a * x > 20 ? x : Math.log(1 + Math.exp(a * x)) / a;
            case POW_SCALAR -> Math.pow(x, a);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1 / x;
            case SIGN -> Math.signum(x);
            case LOG1P -> Math.log1p(x);
            case EXPM1 -> Math.expm1(x);
            case ERF -> erf(x);
            case SIGMOID_GRAD_FROM_Y -> x * (1 - x);
            case TANH_GRAD_FROM_Y -> 1 - x * x;
            default -> throw new IllegalArgumentException(op + " is a derivative");
        };
    }

    /** The forward op whose derivative a *_GRAD op is, or null. */
    static UnaryOp forwardOf(UnaryOp g) {
        return switch (g) {
            case RELU_GRAD -> UnaryOp.RELU;
            case LEAKY_RELU_GRAD -> UnaryOp.LEAKY_RELU;
            case ELU_GRAD -> UnaryOp.ELU;
            case SILU_GRAD -> UnaryOp.SILU;
            case GELU_TANH_GRAD -> UnaryOp.GELU_TANH;
            case GELU_ERF_GRAD -> UnaryOp.GELU_ERF;
            case SOFTPLUS_GRAD -> UnaryOp.SOFTPLUS;
            case ABS_GRAD -> UnaryOp.ABS;
            default -> null;
        };
    }

    /** The expected value: the formula, or for a derivative op the central difference of its forward op. */
    static double expected(UnaryOp op, double x, double a) {
        UnaryOp f = forwardOf(op);
        if (f == null) {
            return forward(op, x, a);
        }
        double h = 1e-6 * Math.max(1, Math.abs(x));
        return (forward(f, x + h, a) - forward(f, x - h, a)) / (2 * h);
    }

    static double alphaFor(UnaryOp op) {
        return switch (op) {
            case LEAKY_RELU, LEAKY_RELU_GRAD -> 0.1;
            case ELU, ELU_GRAD -> 1.3;
            case SOFTPLUS, SOFTPLUS_GRAD -> 1.5;
            case POW_SCALAR -> 1.7;
            default -> 0;
        };
    }

    /** Inputs in the op's domain, away from kinks where a central difference is meaningless. */
    static double[] domain(UnaryOp op) {
        return switch (op) {
            case LOG, SQRT, RSQRT, POW_SCALAR, RECIPROCAL -> new double[] {0.05, 4};
            case LOG1P -> new double[] {-0.9, 3};
            case SIGMOID_GRAD_FROM_Y -> new double[] {0, 1};
            case TANH_GRAD_FROM_Y -> new double[] {-1, 1};
            case SOFTPLUS, SOFTPLUS_GRAD -> new double[] {-6, 16};
            default -> new double[] {-4, 4};
        };
    }

    static double binaryExpected(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case ATAN2 -> Math.atan2(a, b);
        };
    }

    // ---------------------------------------------------------------- unary

    @Test
    void everyUnaryOpInEveryLayout() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (UnaryOp op : UnaryOp.values()) {
                boolean grad = forwardOf(op) != null;
                double rel = grad ? 1e-6 : dt == DType.F32 ? 1e-5 : 1e-12;
                double abs = grad ? 1e-6 : dt == DType.F32 ? 2e-6 : 1e-13;
                if (grad && dt == DType.F32) {
                    rel = 1e-4;
                    abs = 1e-4;
                }
                double[] dom = domain(op);
                double alpha = alphaFor(op);
                for (long[] shape : SHAPES) {
                    for (Layout layout : Layout.values()) {
                        long mark = arena.mark();
                        Tensor x = make(arena, dt, layout, shape, dom[0], dom[1], 17 + op.ordinal());
                        Tensor out = arena.empty(dt, shape);
                        Elementwise.unary(op, x, alpha, out);
                        double[] xv = x.toDoubleArray();
                        double[] want = new double[xv.length];
                        for (int i = 0; i < xv.length; i++) {
                            want[i] = round(dt, expected(op, xv[i], alpha));
                        }
                        assertClose(op + " " + dt + " " + layout + " " + EwFixtures.str(shape), want, out.toDoubleArray(), rel, abs);
                        arena.reset(mark);
                    }
                }
            }
        }
    }

    @Test
    void powScalarSpecialExponents() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (double e : new double[] {0, 1, 2, -1, 0.5, 3}) {
                Tensor x = make(arena, dt, Layout.CONTIGUOUS, new long[] {37}, -3, 3, 5);
                Tensor out = arena.empty(dt, 37);
                Elementwise.unary(UnaryOp.POW_SCALAR, x, e, out);
                double[] xv = x.toDoubleArray();
                double[] want = new double[xv.length];
                for (int i = 0; i < xv.length; i++) {
                    want[i] = round(dt, Math.pow(xv[i], e));
                }
                assertClose("pow " + e + " " + dt, want, out.toDoubleArray(), dt == DType.F32 ? 1e-6 : 1e-15, 0);
            }
        }
    }

    @Test
    void specialValues() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        double[] in = {nan, inf, -inf, 0.0, -0.0, 1e-30, -1e-30, 30, -30, 100, -100};
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = arena.fromArray(dt, in, in.length);
            Tensor out = arena.empty(dt, in.length);
            check(UnaryOp.SIGMOID, x, out, new double[] {nan, 1, 0, 0.5, 0.5, 0.5, 0.5, 1, sigmoid(-30), 1, sigmoid(-100)});
            check(UnaryOp.RELU, x, out, new double[] {nan, inf, 0, 0, 0, 1e-30, 0, 30, 0, 100, 0});
            check(UnaryOp.SIGN, x, out, new double[] {nan, 1, -1, 0.0, -0.0, 1, -1, 1, -1, 1, -1});
            check(UnaryOp.ABS_GRAD, x, out, new double[] {nan, 1, -1, 0.0, -0.0, 1, -1, 1, -1, 1, -1});
            check(UnaryOp.RELU_GRAD, x, out, new double[] {0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0});
            check(UnaryOp.SOFTPLUS_GRAD, x, out, new double[] {nan, 1, 0, 0.5, 0.5, 0.5, 0.5, 1, sigmoid(-30), 1, sigmoid(-100)});
            check(UnaryOp.SILU, x, out, new double[] {nan, inf, nan, 0, -0.0, 1e-30 * 0.5, -1e-30 * 0.5, 30, -30 * sigmoid(-30), 100,
                    -100 * sigmoid(-100)});
        }
    }

    private void check(UnaryOp op, Tensor x, Tensor out, double[] want) {
        Elementwise.unary(op, x, 1.0, out);
        double[] w = want.clone();
        for (int i = 0; i < w.length; i++) {
            w[i] = round(x.dtype(), w[i]);
        }
        assertClose(op + " " + x.dtype() + " special values", w, out.toDoubleArray(), 1e-6, 1e-37);
    }

    // ---------------------------------------------------------------- binary

    /** Pairs of input shapes that broadcast, and their output shape. */
    private static final long[][][] PAIRS = {
            {{3, 5}, {3, 5}, {3, 5}},
            {{2, 3, 17}, {17}, {2, 3, 17}},
            {{2, 3, 17}, {3, 1}, {2, 3, 17}},
            {{2, 1, 17}, {3, 17}, {2, 3, 17}},
            {{}, {4, 5}, {4, 5}},
            {{4, 5}, {}, {4, 5}},
            {{5, 1}, {1, 6}, {5, 6}},
            {{0, 3}, {3}, {0, 3}},
            {{1}, {7}, {7}},
            {{9, 40}, {40}, {9, 40}},
            {{9, 40}, {9, 1}, {9, 40}},
    };

    @Test
    void everyBinaryOpWithBroadcastingInEveryLayout() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (BinaryOp op : BinaryOp.values()) {
                boolean cmp = op.ordinal() >= BinaryOp.GT.ordinal() && op != BinaryOp.ATAN2;
                double alo = op == BinaryOp.POW ? 0.1 : -3;
                double blo = op == BinaryOp.DIV ? 0.5 : -3;
                double rel = dt == DType.F32 ? 2e-6 : 1e-13;
                for (long[][] pair : PAIRS) {
                    for (Layout la : Layout.values()) {
                        Layout lb = Layout.values()[(la.ordinal() + 2) % Layout.values().length];
                        long mark = arena.mark();
                        Tensor a = make(arena, dt, la, pair[0], alo, 3, 3 + op.ordinal());
                        Tensor b = make(arena, dt, lb, pair[1], blo, 3, 7 + op.ordinal());
                        if (cmp) {
                            a = integers(a, dt);
                            b = integers(b, dt);
                        }
                        Tensor out = arena.empty(dt, pair[2]);
                        Elementwise.binary(op, a, b, out);
                        double[] av = broadcastValues(a, pair[2]);
                        double[] bv = broadcastValues(b, pair[2]);
                        double[] want = new double[av.length];
                        for (int i = 0; i < av.length; i++) {
                            want[i] = round(dt, binaryExpected(op, av[i], bv[i]));
                        }
                        assertClose(op + " " + dt + " " + la + "/" + lb + " " + EwFixtures.str(pair[0]) + " with "
                                + EwFixtures.str(pair[1]), want, out.toDoubleArray(), rel, 0);
                        arena.reset(mark);
                    }
                }
            }
        }
    }

    /** A copy of t (same layout) rounded to -3..3 integers, so that comparisons see ties. */
    private Tensor integers(Tensor t, DType dt) {
        Tensor r = arena.empty(dt, t.shape());
        Elementwise.unary(UnaryOp.SIGN, t, 0, r);
        double[] v = t.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            r.setDoubleFlat(i, Math.rint(v[i]));
        }
        return r;
    }

    @Test
    void comparisonsWithNaN() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor a = arena.fromArray(dt, new double[] {Double.NaN, 1, Double.NaN}, 3);
            Tensor b = arena.fromArray(dt, new double[] {1, Double.NaN, Double.NaN}, 3);
            Tensor out = arena.empty(dt, 3);
            for (BinaryOp op : new BinaryOp[] {BinaryOp.GT, BinaryOp.GE, BinaryOp.LT, BinaryOp.LE, BinaryOp.EQ}) {
                Elementwise.binary(op, a, b, out);
                assertClose(op + " NaN", new double[] {0, 0, 0}, out.toDoubleArray(), 0, 0);
            }
            Elementwise.binary(BinaryOp.NE, a, b, out);
            assertClose("NE NaN", new double[] {1, 1, 1}, out.toDoubleArray(), 0, 0);
            Elementwise.binary(BinaryOp.MAXIMUM, a, b, out);
            assertClose("MAXIMUM NaN", new double[] {Double.NaN, Double.NaN, Double.NaN}, out.toDoubleArray(), 0, 0);
        }
    }

    // ---------------------------------------------------------------- the other kernels

    /** tanhBackward, sigmoidBackward and reluBackward against their double formulas, rounded to out's dtype. */
    private static void checkGradProducts(Tensor g, Tensor y, Tensor out, double rel) {
        DType dt = out.dtype();
        double[] gv = g.toDoubleArray();
        double[] yv = y.toDoubleArray();
        double[] tanhWant = new double[gv.length];
        double[] sigmoidWant = new double[gv.length];
        double[] reluWant = new double[gv.length];
        for (int i = 0; i < gv.length; i++) {
            reluWant[i] = yv[i] > 0 ? gv[i] : 0;
            tanhWant[i] = round(dt, gv[i] * (1 - yv[i] * yv[i]));
            sigmoidWant[i] = round(dt, gv[i] * (yv[i] * (1 - yv[i])));
        }
        Elementwise.tanhBackward(g, y, out);
        assertClose("tanhBackward " + dt, tanhWant, out.toDoubleArray(), rel, 1e-6);
        Elementwise.sigmoidBackward(g, y, out);
        assertClose("sigmoidBackward " + dt, sigmoidWant, out.toDoubleArray(), rel, 1e-6);
        Elementwise.reluBackward(g, y, out);
        assertClose("reluBackward " + dt, reluWant, out.toDoubleArray(), 0, 0);
    }

    @Test
    void gradientProductsOnLargeTensors() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (Layout layout : Layout.values()) {
                long[] shape = {70, 131};
                Tensor g = make(arena, dt, layout, shape, -3, 3, 21);
                Tensor y = make(arena, dt, Layout.values()[(layout.ordinal() + 2) % 5], shape, -1, 1, 22);
                checkGradProducts(g, y, arena.empty(dt, shape), dt == DType.F32 ? 1e-6 : 1e-15);
            }
        }
    }

    @Test
    void whereClampAffineAxpyMulScaled() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (Layout layout : Layout.values()) {
                long[] shape = {6, 19};
                Tensor x = make(arena, dt, layout, shape, -3, 3, 11);
                Tensor y = make(arena, dt, Layout.values()[(layout.ordinal() + 1) % 5], shape, -3, 3, 12);
                double[] xv = x.toDoubleArray();
                double[] yv = y.toDoubleArray();
                double rel = dt == DType.F32 ? 1e-6 : 1e-15;
                Tensor out = arena.empty(dt, shape);

                Elementwise.clamp(x, -1.25, 0.5, out);
                assertClose("clamp", map(xv, v -> Math.min(Math.max(v, -1.25), 0.5)), out.toDoubleArray(), 0, 0);
                Elementwise.clamp(x, Double.NEGATIVE_INFINITY, 0.5, out);
                assertClose("clamp -inf", map(xv, v -> Math.min(v, 0.5)), out.toDoubleArray(), 0, 0);
                Elementwise.clampMask(x, -1.25, 0.5, out);
                assertClose("clampMask", map(xv, v -> v >= -1.25 && v <= 0.5 ? 1 : 0), out.toDoubleArray(), 0, 0);
                Elementwise.affine(x, 2.5, -0.75, out);
                assertClose("affine", map(xv, v -> round(dt, 2.5 * v - 0.75)), out.toDoubleArray(), rel, 1e-7);
                Elementwise.mulScaled(x, y, 0.3, out);
                double[] want = new double[xv.length];
                for (int i = 0; i < want.length; i++) {
                    want[i] = round(dt, xv[i] * yv[i] * 0.3);
                }
                assertClose("mulScaled", want, out.toDoubleArray(), rel, 1e-7);
                checkGradProducts(x, y, out, rel);

                Tensor acc = make(arena, dt, layout == Layout.EXPANDED ? Layout.SLICED : layout, shape, -3, 3, 13);
                double[] accv = acc.toDoubleArray();
                Tensor bias = make(arena, dt, Layout.CONTIGUOUS, new long[] {19}, -1, 1, 14);
                double[] bv = broadcastValues(bias, shape);
                Elementwise.axpyInPlace(-0.5, bias, acc);
                for (int i = 0; i < want.length; i++) {
                    want[i] = round(dt, accv[i] - 0.5 * bv[i]);
                }
                assertClose("axpyInPlace " + layout, want, acc.toDoubleArray(), rel, 1e-7);

                Tensor condF = make(arena, dt, Layout.CONTIGUOUS, new long[] {19}, -1, 1, 15);
                Elementwise.binary(BinaryOp.GT, condF, arena.scalar(dt, 0), condF);
                Tensor condI = arena.fromArray(new int[] {0, 3, -1, 0, 0, 7}, 6, 1);
                for (Tensor cond : new Tensor[] {condF, condI}) {
                    Elementwise.where(cond, x, y, out);
                    double[] cv = broadcastValues(cond, shape);
                    for (int i = 0; i < want.length; i++) {
                        want[i] = cv[i] != 0 ? xv[i] : yv[i];
                    }
                    assertClose("where " + cond.dtype() + " " + layout, want, out.toDoubleArray(), 0, 0);
                }
                Tensor scalarCond = arena.scalar(DType.I64, 1);
                Elementwise.where(scalarCond, x, arena.scalar(dt, 9), out);
                assertClose("where scalar", xv, out.toDoubleArray(), 0, 0);
            }
        }
    }

    private static double[] map(double[] v, java.util.function.DoubleUnaryOperator f) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = f.applyAsDouble(v[i]);
        }
        return r;
    }

    @Test
    void inPlaceAliasing() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (Layout layout : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.STEP2, Layout.SLICED}) {
                Tensor a = make(arena, dt, layout, new long[] {5, 21}, -2, 2, 3);
                Tensor b = make(arena, dt, Layout.CONTIGUOUS, new long[] {21}, -2, 2, 4);
                double[] av = a.toDoubleArray();
                double[] bv = broadcastValues(b, new long[] {5, 21});
                Elementwise.binary(BinaryOp.SUB, a, b, a);
                double[] want = new double[av.length];
                for (int i = 0; i < want.length; i++) {
                    want[i] = round(dt, av[i] - bv[i]);
                }
                assertClose("a -= b " + layout, want, a.toDoubleArray(), 0, 0);
                Elementwise.unary(UnaryOp.EXP, a, 0, a);
                for (int i = 0; i < want.length; i++) {
                    want[i] = round(dt, Math.exp(want[i]));
                }
                assertClose("a = exp(a) " + layout, want, a.toDoubleArray(), dt == DType.F32 ? 2e-7 : 1e-15, 0);
            }
        }
    }

    @Test
    void hasNonFinite() {
        for (DType dt : DType.values()) {
            Tensor t = arena.zeros(dt, 5, 37);
            assertEqualsBool(false, Elementwise.hasNonFinite(t), dt + " zeros");
            if (!dt.isFloatingPoint()) {
                continue;
            }
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                for (long[] at : new long[][] {{0, 0}, {4, 36}, {2, 33}, {3, 7}}) {
                    t.fill(0);
                    t.setDouble(at[0], at[1], bad);
                    assertEqualsBool(true, Elementwise.hasNonFinite(t), dt + " " + bad + " at " + EwFixtures.str(at));
                    assertEqualsBool(true, Elementwise.hasNonFinite(t.transpose(0, 1)), dt + " transposed");
                }
            }
            t.fill(0);
            t.setDouble(1, 0, Double.NaN);
            assertEqualsBool(false, Elementwise.hasNonFinite(t.slice(0, 2, 5)), dt + " NaN outside the slice");
            assertEqualsBool(true, Elementwise.hasNonFinite(t.slice(0, 1, 2).expand(4, 37)), dt + " expanded");
            assertEqualsBool(false, Elementwise.hasNonFinite(arena.scalar(dt, 3)), dt + " scalar");
        }
    }

    private static void assertEqualsBool(boolean want, boolean got, String what) {
        if (want != got) {
            throw new AssertionError(what + ": expected " + want + " got " + got);
        }
    }
}
