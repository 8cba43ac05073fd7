package dev.zerograd.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zerograd.kernels.Copy;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.tape.GradientTape;
import dev.zerograd.tape.Ops;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SGD, Adam and AdamW against updates computed by hand in double, three steps each on a 2-element parameter
 * whose gradient comes from the tape: loss = sum(a * p^2) / 2, so grad = a * p.
 */
class OptimizerTest {
    private static final double[] A = {0.5, 3.0};
    private static final double[] P0 = {1.0, -2.0};

    private final TensorArena params = TensorArena.ofConfined("params", 1 << 20);
    private final TensorArena step = TensorArena.ofConfined("step", 1 << 20);

    @AfterEach
    void close() {
        step.close();
        params.close();
    }

    private Tensor parameter(DType dtype) {
        return params.fromArray(dtype, P0.clone(), 2).requiresGrad();
    }

    /** One backward pass of the quadratic loss into p.grad(). */
    private void backward(Tensor p) {
        step.reset();
        Tensor a = step.fromArray(p.dtype(), A, 2);
        try (GradientTape tape = GradientTape.record(step)) {
            tape.backward(Ops.mul(Ops.sum(Ops.mul(Ops.mul(a, p), p)), 0.5));
        }
    }

    /** Runs three steps of the optimizer and compares with {@code reference}, which updates p (in double) given the step. */
    private void check(DType dtype, Function<List<Tensor>, Optimizer> make, Reference reference, double tol) {
        Tensor p = parameter(dtype);
        Optimizer opt = make.apply(List.of(p));
        double[] expected = P0.clone();
        for (int t = 1; t <= 3; t++) {
            backward(p);
            double[] g = {A[0] * expected[0], A[1] * expected[1]};
            assertArrayEquals(g, p.grad().toDoubleArray(), tol * 10, "gradient at step " + t);
            opt.step();
            opt.zeroGrad();
            reference.step(t, expected, g);
            assertArrayEquals(expected, p.toDoubleArray(), tol, "parameter after step " + t);
            assertArrayEquals(new double[2], p.grad().toDoubleArray(), 0, "zeroGrad");
        }
        assertEquals(3, opt.steps());
    }

    interface Reference {
        void step(int t, double[] p, double[] g);
    }

    @Test
    void sgdWithNesterovMomentumAndWeightDecay() {
        double lr = 0.1, mom = 0.9, wd = 0.01;
        double[] buf = new double[2];
        Reference ref = (t, p, g) -> {
            for (int i = 0; i < 2; i++) {
                double d = g[i] + wd * p[i];
                buf[i] = t == 1 ? d : mom * buf[i] + d;
                d = d + mom * buf[i];
                p[i] -= lr * d;
            }
        };
        check(DType.F64, ps -> new SGD(ps, lr, mom, 0, wd, true), ref, 1e-14);
        java.util.Arrays.fill(buf, 0);
        check(DType.F32, ps -> new SGD(ps, lr, mom, 0, wd, true), ref, 1e-6);
    }

    @Test
    void sgdWithDampenedMomentumAndPlainSgd() {
        double lr = 0.05, mom = 0.8, damp = 0.3;
        double[] buf = new double[2];
        check(DType.F64, ps -> new SGD(ps, lr, mom, damp, 0, false), (t, p, g) -> {
            for (int i = 0; i < 2; i++) {
                buf[i] = t == 1 ? g[i] : mom * buf[i] + (1 - damp) * g[i];
                p[i] -= lr * buf[i];
            }
        }, 1e-14);
        check(DType.F64, ps -> new SGD(ps, lr), (t, p, g) -> {
            for (int i = 0; i < 2; i++) {
                p[i] -= lr * g[i];
            }
        }, 1e-14);
    }

    /** Adam by hand: decoupled selects AdamW's decay of p instead of the L2 term. */
    private static Reference adam(double lr, double b1, double b2, double eps, double wd, boolean decoupled, boolean amsgrad) {
        double[] m = new double[2];
        double[] v = new double[2];
        double[] vMax = new double[2];
        return (t, p, g) -> {
            for (int i = 0; i < 2; i++) {
                double gi = g[i];
                if (decoupled) {
                    p[i] *= 1 - lr * wd;
                } else {
                    gi += wd * p[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                vMax[i] = Math.max(vMax[i], v[i]);
                double mHat = m[i] / (1 - Math.pow(b1, t));
                double vHat = (amsgrad ? vMax[i] : v[i]) / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        };
    }

    @Test
    void adamWithL2WeightDecay() {
        check(DType.F64, ps -> new Adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.1, false), adam(0.1, 0.9, 0.999, 1e-8, 0.1, false, false), 1e-12);
        check(DType.F32, ps -> new Adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.1, false), adam(0.1, 0.9, 0.999, 1e-8, 0.1, false, false), 1e-6);
        check(DType.F64, ps -> new Adam(ps, 0.01), adam(0.01, 0.9, 0.999, 1e-8, 0, false, false), 1e-12);
    }

    @Test
    void adamWWithDecoupledWeightDecay() {
        check(DType.F64, ps -> new AdamW(ps, 0.1, 0.9, 0.999, 1e-8, 0.1, false), adam(0.1, 0.9, 0.999, 1e-8, 0.1, true, false), 1e-12);
        check(DType.F32, ps -> new AdamW(ps, 0.1, 0.9, 0.999, 1e-8, 0.1, false), adam(0.1, 0.9, 0.999, 1e-8, 0.1, true, false), 1e-6);
        check(DType.F64, ps -> new AdamW(ps, 0.01), adam(0.01, 0.9, 0.999, 1e-8, 0.01, true, false), 1e-12);
    }

    @Test
    void amsgradAndLowBeta1() {
        check(DType.F64, ps -> new Adam(ps, 0.2, 0.3, 0.5, 1e-3, 0, true), adam(0.2, 0.3, 0.5, 1e-3, 0, false, true), 1e-12);
        check(DType.F64, ps -> new AdamW(ps, 0.2, 0.3, 0.5, 1e-3, 0.05, true), adam(0.2, 0.3, 0.5, 1e-3, 0.05, true, true), 1e-12);
    }

    /**
     * The vector loops against the scalar reference on a parameter large enough to be split across the
     * intra-op pool and of a length that leaves a tail: equal to the last bit for finite values.
     */
    @Test
    void vectorLoopsMatchTheScalarReference() {
        List<Function<List<Tensor>, Optimizer>> makers = List.of(
                ps -> new SGD(ps, 0.1),
                ps -> new SGD(ps, 0.1, 0.9, 0.2, 0.01, false),
                ps -> new SGD(ps, 0.1, 0.9, 0, 0.01, true),
                ps -> new Adam(ps, 0.01, 0.9, 0.999, 1e-8, 0.1, false),
                ps -> new Adam(ps, 0.01, 0.3, 0.9, 1e-3, 0, true),
                ps -> new AdamW(ps, 0.01, 0.9, 0.999, 1e-8, 0.05, true));
        int n = 33_003;
        try (TensorArena big = TensorArena.ofConfined("big", 16 << 20)) {
            for (DType dtype : new DType[] {DType.F32, DType.F64}) {
                Tensor init = big.randn(dtype, new long[] {n}, 1);
                Tensor[] grads = new Tensor[3];
                for (int t = 0; t < 3; t++) {
                    grads[t] = big.randn(dtype, new long[] {n}, 10 + t);
                }
                long mark = big.mark();
                for (Function<List<Tensor>, Optimizer> make : makers) {
                    Tensor vec = big.empty(dtype, n).requiresGrad();
                    Tensor ref = big.empty(dtype, n).requiresGrad();
                    Copy.copy(init, vec);
                    Copy.copy(init, ref);
                    Optimizer vOpt = make.apply(List.of(vec));
                    Optimizer rOpt = make.apply(List.of(ref));
                    for (Tensor g : grads) {
                        vec.setGrad(g);
                        ref.setGrad(g);
                        vOpt.step();
                        Updates.setScalarReference(true);
                        try {
                            rOpt.step();
                        } finally {
                            Updates.setScalarReference(false);
                        }
                    }
                    assertArrayEquals(ref.toDoubleArray(), vec.toDoubleArray(), 0, dtype + " " + vOpt.getClass().getSimpleName());
                    big.reset(mark);
                }
                big.reset();
            }
        }
    }

    @Test
    void aParameterWithoutGradientIsSkipped() {
        Tensor used = parameter(DType.F64);
        Tensor unused = params.fromArray(new double[] {4, 5}, 2).requiresGrad();
        Adam opt = new Adam(List.of(used, unused), 0.1);
        backward(used);
        opt.step();
        assertNull(unused.grad());
        assertArrayEquals(new double[] {4, 5}, unused.toDoubleArray(), 0);
        assertEquals(0, opt.stepOf(1));
        assertEquals(1, opt.stepOf(0));
    }

    @Test
    void argumentsAreChecked() {
        Tensor p = parameter(DType.F64);
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), -1));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), 0.1, 0, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), 0.1, 0.9, 0.1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p), 0.1, 1.0, 0.999, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p, p), 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(), 0.1));
        Tensor frozen = params.zeros(DType.F64, 2);
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(frozen), 0.1));
        Tensor ints = params.zeros(DType.I32, 2);
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(ints), 0.1));
    }
}
