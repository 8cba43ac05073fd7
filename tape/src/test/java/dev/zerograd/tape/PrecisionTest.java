package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The f32 paths against the f64 ones: every OpCases case evaluated in f32 gives the result and the
 * reverse-mode gradients of the f64 evaluation (on the same, f32-representable inputs) to f32 accuracy.
 * GradCheck runs in f64 only, so this is what covers the f32 kernels and rules of every op.
 */
class PrecisionTest {
    /** Relative to the magnitude of the f64 value (and at least 1): a few f32 roundings through a short chain. */
    private static final double TOLERANCE = 2e-4;

    /**
     * Copies of the inputs in {@code dtype}, with the same strides (a transposed or sliced input stays one):
     * float inputs converted through f32 values, so that both runs see the same numbers; others shared.
     */
    private static Tensor[] convert(Tensor[] in, DType dtype, TensorArena arena) {
        Tensor[] out = new Tensor[in.length];
        for (int i = 0; i < in.length; i++) {
            Tensor x = in[i];
            if (x.dtype() != DType.F64) {
                out[i] = x;
                continue;
            }
            long span = 1;
            for (int d = 0; d < x.rank(); d++) {
                span += (x.size(d) - 1) * x.stride(d);
            }
            Tensor t = arena.view(arena.zeros(dtype, span), x.rank(), x.shape(), x.strides(), 0);
            for (long k = 0; k < x.numel(); k++) {
                t.setDoubleFlat(k, (float) x.getDoubleFlat(k));
            }
            out[i] = x.needsGrad() ? t.requiresGrad() : t;
        }
        return out;
    }

    /** The result and the gradients of {@code <u, f(in)>} for the inputs that need one, as doubles. */
    private static double[][] resultAndGradients(String name, GradCheck.Fn f, Tensor[] in, DType dtype, long seed, TensorArena arena) {
        int n = 0;
        for (Tensor t : in) {
            n += t.needsGrad() ? 1 : 0;
        }
        Tensor[] sources = new Tensor[n];
        n = 0;
        for (Tensor t : in) {
            if (t.needsGrad()) {
                sources[n++] = t;
            }
        }
        double[][] out = new double[1 + sources.length][];
        Tensor[] grads = new Tensor[sources.length];
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor y = f.apply(in);
            assertEquals(dtype, y.dtype(), name + ": dtype of the result");
            out[0] = y.toDoubleArray();
            Tensor u = arena.randn(DType.F64, y.shape(), seed);
            double[] uv = u.toDoubleArray();
            for (int k = 0; k < uv.length; k++) {
                uv[k] = (float) uv[k];
            }
            tape.gradient(y, arena.fromArray(y.dtype(), uv, y.shape()), sources, grads, false);
        }
        for (int j = 0; j < sources.length; j++) {
            assertEquals(dtype, grads[j].dtype(), name + ": dtype of gradient " + j);
            out[1 + j] = grads[j].toDoubleArray();
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> f32AgreesWithF64ForEveryCase() {
        return Stream.concat(OpCases.all().stream(), OpCases.composites().stream()).map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (TensorArena arena = TensorArena.ofConfined("precision", 16 << 20)) {
                check(c, arena);
            } catch (RuntimeException e) {
                throw new AssertionError(c.name() + ": " + e.getMessage(), e);
            }
        }));
    }

    private static void check(OpCases.Case c, TensorArena arena) {
        Tensor[] base = c.inputs(arena);
        double[][] f64 = resultAndGradients(c.name(), c.fn(), convert(base, DType.F64, arena), DType.F64, c.seed(), arena);
        double[][] f32 = resultAndGradients(c.name(), c.fn(), convert(base, DType.F32, arena), DType.F32, c.seed(), arena);
        assertEquals(f64.length, f32.length, c.name());
        for (int k = 0; k < f64.length; k++) {
            String what = k == 0 ? "result" : "gradient " + (k - 1);
            assertEquals(f64[k].length, f32[k].length, c.name() + ": size of the " + what);
            for (int i = 0; i < f64[k].length; i++) {
                double e = f64[k][i];
                assertEquals(e, f32[k][i], TOLERANCE * Math.max(1, Math.abs(e)),
                        c.name() + ": f32 " + what + " [" + i + "] against f64");
            }
        }
    }
}
