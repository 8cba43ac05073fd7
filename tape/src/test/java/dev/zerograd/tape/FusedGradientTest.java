package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Note [Fused first-order gradients]: a first-order backward through tanh, sigmoid or relu computes g * f' in
 * one kernel (one new tensor, as neg's backward makes), and gives the same gradient as the composed form that
 * create-graph runs, for small and large tensors in both float dtypes.
 */
class FusedGradientTest {
    private static final String[] NAMES = {"tanh", "sigmoid", "relu"};
    private static final UnaryOperator<Tensor>[] FNS = fns();

    @SuppressWarnings("unchecked")
    private static UnaryOperator<Tensor>[] fns() {
        return new UnaryOperator[] {(UnaryOperator<Tensor>) Ops::tanh, (UnaryOperator<Tensor>) Ops::sigmoid,
                (UnaryOperator<Tensor>) Ops::relu};
    }

    private static Tensor uniform(TensorArena arena, DType dt, long seed, double lo, double hi, long n) {
        Tensor src = GradCheck.uniform(arena, seed, lo, hi, n);
        Tensor t = arena.empty(dt, n);
        for (long i = 0; i < n; i++) {
            t.setDoubleFlat(i, src.getDoubleFlat(i));
        }
        return t;
    }

    /** Tensors the backward pass of sum(f(x) * w) makes. */
    private static long backwardAllocations(TensorArena arena, Tensor x, Tensor w, UnaryOperator<Tensor> f) {
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor l = Ops.sum(Ops.mul(f.apply(x), w));
            long before = arena.allocationCount();
            tape.backward(l);
            return arena.allocationCount() - before;
        }
    }

    @Test
    void firstOrderBackwardMakesOneTensorForTheProduct() {
        try (TensorArena arena = TensorArena.ofConfined("fused", 64L << 20)) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                for (long n : new long[] {37, 20_000}) {
                    Tensor xt = uniform(arena, dt, 3, -2, 2, n).requiresGrad();
                    Tensor w = uniform(arena, dt, 4, -1, 1, n);
                    backwardAllocations(arena, xt, w, Ops::neg); // the leaf's grad buffer is made here, once
                    long neg = backwardAllocations(arena, xt, w, Ops::neg);
                    for (int i = 0; i < NAMES.length; i++) {
                        assertEquals(neg, backwardAllocations(arena, xt, w, FNS[i]), NAMES[i] + " " + dt + " n=" + n
                                + ": tensors made by backward, against neg's");
                    }
                }
            }
        }
    }

    @Test
    void fusedAndComposedGradientsAgree() {
        try (TensorArena arena = TensorArena.ofConfined("fused", 64L << 20)) {
            for (DType dt : new DType[] {DType.F32, DType.F64}) {
                for (long n : new long[] {37, 20_000}) {
                    Tensor x = uniform(arena, dt, 5, -3, 3, n).requiresGrad();
                    Tensor w = uniform(arena, dt, 6, -1, 1, n);
                    for (int i = 0; i < NAMES.length; i++) {
                        try (GradientTape tape = GradientTape.persistent(arena)) {
                            Tensor l = Ops.sum(Ops.mul(FNS[i].apply(x), w));
                            Tensor fused = tape.gradient(l, x, false);
                            Tensor composed = tape.gradient(l, x, true);
                            double[] a = fused.toDoubleArray();
                            double[] b = composed.toDoubleArray();
                            double tol = dt == DType.F32 ? 1e-6 : 1e-15;
                            for (int k = 0; k < a.length; k++) {
                                assertEquals(b[k], a[k], tol * Math.max(1, Math.abs(b[k])), NAMES[i] + " " + dt + " n=" + n + " at " + k);
                            }
                        }
                    }
                }
            }
        }
    }
}
