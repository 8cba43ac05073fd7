package dev.zerograd.kernels;

import static dev.zerograd.kernels.EwFixtures.assertClose;
import static dev.zerograd.kernels.EwFixtures.assertSame;
import static dev.zerograd.kernels.EwFixtures.make;

import dev.zerograd.kernels.EwFixtures.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels against the scalar reference ({@link ElementwiseRef}, switched on with
 * {@link Elementwise#setScalarReference}): bit-identical where both round one exact result (see the caveat
 * on ElementwiseRef), within a few ulps elsewhere.
 */
class ElementwiseScalarRefTest {
    /** Single IEEE operations, selections and per-lane double-precision calls: identical in f32 and f64. */
    private static final Set<UnaryOp> EXACT_UNARY = EnumSet.of(UnaryOp.NEG, UnaryOp.SQRT, UnaryOp.ABS, UnaryOp.RELU,
            UnaryOp.SQUARE, UnaryOp.RECIPROCAL, UnaryOp.SIGN, UnaryOp.RELU_GRAD, UnaryOp.ABS_GRAD, UnaryOp.LEAKY_RELU_GRAD,
            UnaryOp.ERF, UnaryOp.GELU_ERF, UnaryOp.GELU_ERF_GRAD, UnaryOp.POW_SCALAR);
    /** Same sequence of double operations in both: identical in f64 only. */
    private static final Set<UnaryOp> EXACT_UNARY_F64 = EnumSet.of(UnaryOp.RSQRT, UnaryOp.LEAKY_RELU,
            UnaryOp.SIGMOID_GRAD_FROM_Y, UnaryOp.TANH_GRAD_FROM_Y);

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined(64 << 20);
    }

    @AfterEach
    void close() {
        Elementwise.setScalarReference(false);
        arena.close();
    }

    private static final long[][] SHAPES = {{3, 70}, {5, 1, 13}};

    @Test
    void unaryMatchesTheReference() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (UnaryOp op : UnaryOp.values()) {
                double[] dom = ElementwiseOpsTest.domain(op);
                double alpha = ElementwiseOpsTest.alphaFor(op);
                for (long[] shape : SHAPES) {
                    for (Layout layout : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.EXPANDED}) {
                        Tensor x = make(arena, dt, layout, shape, dom[0], dom[1], 40 + op.ordinal());
                        double[] vec = run(() -> {
                            Tensor out = arena.empty(dt, shape);
                            Elementwise.unary(op, x, alpha, out);
                            return out;
                        });
                        String what = op + " " + dt + " " + layout;
                        if (EXACT_UNARY.contains(op) || dt == DType.F64 && EXACT_UNARY_F64.contains(op)) {
                            assertSame(what, runRef(() -> {
                                Tensor out = arena.empty(dt, shape);
                                Elementwise.unary(op, x, alpha, out);
                                return out;
                            }), vec);
                        } else {
                            double[] ref = runRef(() -> {
                                Tensor out = arena.empty(dt, shape);
                                Elementwise.unary(op, x, alpha, out);
                                return out;
                            });
                            assertClose(what, ref, vec, dt == DType.F32 ? 4e-7 : 4e-15, dt == DType.F32 ? 1e-6 : 1e-15);
                        }
                    }
                }
            }
        }
    }

    @Test
    void binaryMatchesTheReference() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            for (BinaryOp op : BinaryOp.values()) {
                Tensor a = make(arena, dt, Layout.TRANSPOSED, new long[] {6, 37}, op == BinaryOp.POW ? 0.1 : -2, 2, 3);
                Tensor b = make(arena, dt, Layout.CONTIGUOUS, new long[] {37}, -2, 2, 4);
                Tensor c = make(arena, dt, Layout.CONTIGUOUS, new long[] {6, 1}, -2, 2, 5);
                for (Tensor[] pair : new Tensor[][] {{a, b}, {b, a}, {c, b}, {a, a}, {arena.scalar(dt, 0.75), a}}) {
                    double[] vec = run(() -> {
                        Tensor out = arena.empty(dt, 6, 37);
                        Elementwise.binary(op, pair[0], pair[1], out);
                        return out;
                    });
                    double[] ref = runRef(() -> {
                        Tensor out = arena.empty(dt, 6, 37);
                        Elementwise.binary(op, pair[0], pair[1], out);
                        return out;
                    });
                    if (op == BinaryOp.ATAN2) {
                        assertClose(op + " " + dt, ref, vec, dt == DType.F32 ? 4e-7 : 4e-16, 0);
                    } else {
                        assertSame(op + " " + dt, ref, vec);
                    }
                }
            }
        }
    }

    @Test
    void fusedKernelsAndWhereMatchTheReference() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = make(arena, dt, Layout.STEP2, new long[] {4, 29}, -2, 2, 6);
            Tensor y = make(arena, dt, Layout.EXPANDED, new long[] {4, 29}, -2, 2, 7);
            Tensor cond = arena.fromArray(new long[] {1, 0, 0, 5}, 4, 1);
            check("clamp", dt, true, () -> Elementwise.clamp(x, -0.7, 0.3, out(dt)));
            check("clampMask", dt, true, () -> Elementwise.clampMask(x, -0.7, 0.3, out(dt)));
            check("where", dt, true, () -> Elementwise.where(cond, x, y, out(dt)));
            check("affine", dt, dt == DType.F64, () -> Elementwise.affine(x, 0.3, -0.1, out(dt)));
            check("mulScaled", dt, dt == DType.F64, () -> Elementwise.mulScaled(x, y, 0.3, out(dt)));
            check("axpyInPlace", dt, dt == DType.F64, () -> {
                Tensor acc = arena.empty(dt, 4, 29);
                Copy.copy(y, acc);
                Elementwise.axpyInPlace(0.3, x, acc);
                last = acc;
            });
        }
    }

    private Tensor last;

    private Tensor out(DType dt) {
        last = arena.empty(dt, 4, 29);
        return last;
    }

    private void check(String what, DType dt, boolean exact, Runnable call) {
        Elementwise.setScalarReference(false);
        call.run();
        double[] vec = last.toDoubleArray();
        Elementwise.setScalarReference(true);
        call.run();
        double[] ref = last.toDoubleArray();
        Elementwise.setScalarReference(false);
        if (exact) {
            assertSame(what + " " + dt, ref, vec);
        } else {
            assertClose(what + " " + dt, ref, vec, dt == DType.F32 ? 2e-7 : 0, 1e-7);
        }
    }

    private interface Call {
        Tensor run();
    }

    private static double[] run(Call c) {
        Elementwise.setScalarReference(false);
        return c.run().toDoubleArray();
    }

    private static double[] runRef(Call c) {
        Elementwise.setScalarReference(true);
        try {
            return c.run().toDoubleArray();
        } finally {
            Elementwise.setScalarReference(false);
        }
    }
}
