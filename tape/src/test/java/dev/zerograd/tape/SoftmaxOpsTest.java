package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SoftmaxOpsTest {
    private static final GradCheck.Options SECOND = GradCheck.Options.defaults().withSecondOrder(true);

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("softmax-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** Reference softmax (or log-softmax) of a [rows, cols] array along dim 1, in double. */
    private static double[] reference(double[] x, int rows, int cols, boolean log) {
        double[] out = new double[x.length];
        for (int i = 0; i < rows; i++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                m = Math.max(m, x[i * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(x[i * cols + j] - m);
            }
            for (int j = 0; j < cols; j++) {
                double v = x[i * cols + j] - m - Math.log(s);
                out[i * cols + j] = log ? v : Math.exp(v);
            }
        }
        return out;
    }

    @Test
    void forwardMatchesReferenceAlongEachDim() {
        Tensor x = GradCheck.uniform(arena, 1, -3, 3, 3, 4);
        double[] xv = x.toDoubleArray();
        assertArrayEquals(reference(xv, 3, 4, false), Ops.softmax(x, 1).toDoubleArray(), 1e-12);
        assertArrayEquals(reference(xv, 3, 4, true), Ops.logSoftmax(x, -1).toDoubleArray(), 1e-12);
        // dim 0 is dim 1 of the transpose
        Tensor xt = Ops.contiguous(x.transpose(0, 1));
        double[] expected = reference(xt.toDoubleArray(), 4, 3, false);
        Tensor y = Ops.softmax(x, 0);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(expected[j * 3 + i], y.getDouble(i, j), 1e-12);
            }
        }
    }

    @Test
    void largeLogitsStayFinite() {
        Tensor x = arena.fromArray(new double[] {1000, -1000, 0, 999, -1000, -999}, 2, 3);
        double[] p = Ops.softmax(x, 1).toDoubleArray();
        double[] lp = Ops.logSoftmax(x, 1).toDoubleArray();
        assertArrayEquals(reference(x.toDoubleArray(), 2, 3, false), p, 1e-12);
        assertArrayEquals(reference(x.toDoubleArray(), 2, 3, true), lp, 1e-9);
        assertEquals(-2000, lp[1], 1e-9); // finite where the probability underflows to 0
        Tensor xf = arena.fromArray(new float[] {1000, -1000, 0, 999, -1000, -999}, 2, 3);
        assertArrayEquals(reference(x.toDoubleArray(), 2, 3, true), toDoubles(Ops.logSoftmax(xf, 1).toFloatArray()), 1e-3);
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void rankZeroIsARowOfOne() {
        Tensor x = arena.scalar(DType.F64, 3.5);
        assertEquals(1, Ops.softmax(x, 0).item(), 0);
        assertEquals(0, Ops.logSoftmax(x, -1).item(), 0);
    }

    @Test
    void gradcheckSoftmaxAndLogSoftmaxToSecondOrder() {
        Tensor x = GradCheck.uniform(arena, 2, -2, 2, 3, 4).requiresGrad();
        Tensor w = GradCheck.uniform(arena, 3, -1, 1, 3, 4); // weights make the second derivative non-trivial
        for (int dim : new int[] {0, 1, -1}) {
            GradCheck.check("softmax dim " + dim, SECOND, in -> Ops.softmax(in[0], dim), x);
            GradCheck.check("log_softmax dim " + dim, SECOND, in -> Ops.logSoftmax(in[0], dim), x);
            GradCheck.check("sum(w * log_softmax) dim " + dim, SECOND, in -> Ops.sum(Ops.mul(Ops.logSoftmax(in[0], dim), w)), x);
        }
    }

    @Test
    void gradcheckOnTransposedAndRank3Inputs() {
        Tensor xt = GradCheck.uniform(arena, 4, -2, 2, 4, 3).transpose(0, 1).requiresGrad();
        GradCheck.check("softmax of a transposed view", SECOND, in -> Ops.softmax(in[0], 1), xt);
        GradCheck.check("log_softmax of a transposed view", SECOND, in -> Ops.logSoftmax(in[0], 0), xt);
        Tensor x3 = GradCheck.uniform(arena, 5, -2, 2, 2, 3, 2).requiresGrad();
        GradCheck.check("softmax rank 3 dim 1", SECOND, in -> Ops.softmax(in[0], 1), x3);
        GradCheck.check("log_softmax rank 3 dim 2", SECOND, in -> Ops.logSoftmax(in[0], 2), x3);
    }

    @Test
    void gradcheckBackwardOpsInBothInputs() {
        Tensor g = GradCheck.uniform(arena, 6, -1, 1, 2, 3).requiresGrad();
        Tensor y = GradCheck.uniform(arena, 7, 0.1, 0.9, 2, 3).requiresGrad();
        Tensor ly = GradCheck.uniform(arena, 8, -2, -0.1, 2, 3).requiresGrad();
        GradCheck.check("softmax_backward", SECOND, in -> SoftmaxOps.softmaxBackward(in[0], in[1], 1), g, y);
        GradCheck.check("softmax_backward dim 0", SECOND, in -> SoftmaxOps.softmaxBackward(in[0], in[1], 0), g, y);
        GradCheck.check("log_softmax_backward", SECOND, in -> SoftmaxOps.logSoftmaxBackward(in[0], in[1], 1), g, ly);
        GradCheck.check("log_softmax_backward dim 0", SECOND, in -> SoftmaxOps.logSoftmaxBackward(in[0], in[1], 0), g, ly);
    }

    @Test
    void backwardIsOneFusedRecordPerSoftmax() {
        Tensor x = GradCheck.uniform(arena, 9, -1, 1, 2, 3).requiresGrad();
        Tensor w = GradCheck.uniform(arena, 10, -1, 1, 2, 3);
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor l = Ops.sum(Ops.mul(Ops.softmax(x, 1), w));
            int before = tape.size();
            Tensor g = tape.gradient(l, x, true);
            assertTrue(g.needsGrad());
            boolean sawBackward = false;
            for (int i = before; i < tape.size(); i++) {
                sawBackward |= tape.opName(i).equals("softmax_backward");
            }
            assertTrue(sawBackward, "create-graph backward records softmax_backward");
            // d/dx sum(w * softmax) = y (w - sum(w y))
            double[] yv = reference(x.toDoubleArray(), 2, 3, false);
            double[] wv = w.toDoubleArray();
            for (int i = 0; i < 2; i++) {
                double s = 0;
                for (int j = 0; j < 3; j++) {
                    s += wv[i * 3 + j] * yv[i * 3 + j];
                }
                for (int j = 0; j < 3; j++) {
                    assertEquals(yv[i * 3 + j] * (wv[i * 3 + j] - s), g.getDouble(i, j), 1e-12);
                }
            }
        }
    }

    @Test
    void f32GradientMatchesF64() {
        Tensor x64 = GradCheck.uniform(arena, 11, -2, 2, 3, 5);
        Tensor w64 = GradCheck.uniform(arena, 12, -1, 1, 3, 5);
        Tensor x32 = arena.fromArray(DType.F32, x64.toDoubleArray(), 3, 5).requiresGrad();
        Tensor w32 = arena.fromArray(DType.F32, w64.toDoubleArray(), 3, 5);
        x64.requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.sum(Ops.mul(Ops.logSoftmax(x64, 1), w64)));
        }
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.sum(Ops.mul(Ops.logSoftmax(x32, 1), w32)));
        }
        assertEquals(DType.F32, x32.grad().dtype());
        assertArrayEquals(x64.grad().toDoubleArray(), toDoubles(x32.grad().toFloatArray()), 1e-5);
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = arena.zeros(DType.F64, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.softmax(x, 2));
        assertTrue(e.getMessage().startsWith("softmax: dim 2 is out of range") && e.getMessage().contains("f64[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.logSoftmax(x, -3));
        assertTrue(e.getMessage().startsWith("log_softmax: dim -3"), e.getMessage());
        Tensor i = arena.zeros(DType.I64, 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.softmax(i, 1));
        assertTrue(e.getMessage().startsWith("softmax:") && e.getMessage().contains("i64[2, 3]")
                && e.getMessage().contains("floating-point"), e.getMessage());
        Tensor y = arena.zeros(DType.F32, 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> SoftmaxOps.softmaxBackward(x, y, 1));
        assertTrue(e.getMessage().startsWith("softmax_backward:") && e.getMessage().contains("f32[2, 3]"), e.getMessage());
    }
}
