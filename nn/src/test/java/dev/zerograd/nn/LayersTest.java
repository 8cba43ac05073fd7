package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.tape.GradientTape;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Output shapes, parameter shapes and counts, and forward values of the layers. */
class LayersTest {
    private final TensorArena params = TensorArena.ofConfined("params", 32 << 20);
    private final TensorArena step = TensorArena.ofConfined("step", 64 << 20);
    private final Parameters p = Parameters.of(params, 11);

    @AfterEach
    void close() {
        step.close();
        params.close();
    }

    @SuppressWarnings("try") // a guard or tape in force for the body, which need not name it
    private Tensor run(Module m, Tensor x) {
        try (GradientTape tape = GradientTape.record(step)) {
            return m.forward(x);
        }
    }

    private Tensor image(long n, long c, long h, long w) {
        return params.randn(new long[] {n, c, h, w}, 3);
    }

    @Test
    void conv2dShapesAndCounts() {
        Conv2d c = new Conv2d(p, 3, 8, 3);
        assertArrayEquals(new long[] {8, 3, 3, 3}, c.weight().shape());
        assertEquals(8 * 3 * 9 + 8, c.parameterCount());
        assertArrayEquals(new long[] {2, 8, 8, 8}, run(c, image(2, 3, 10, 10)).shape());

        Conv2d padded = new Conv2d(p, 3, 4, 3, 2, 1);
        assertArrayEquals(new long[] {2, 4, 5, 5}, run(padded, image(2, 3, 10, 10)).shape());

        Conv2d dilated = new Conv2d(p, 4, 6, 3, 1, 2, 2, 2, false);
        assertArrayEquals(new long[] {6, 2, 3, 3}, dilated.weight().shape());
        assertEquals(6 * 2 * 9, dilated.parameterCount());
        assertEquals(List.of("weight"), List.copyOf(dilated.namedParameters().keySet()));
        assertArrayEquals(new long[] {1, 6, 9, 9}, run(dilated, image(1, 4, 9, 9)).shape());
        assertEquals(9, dilated.outputSize(0, 9));

        Conv2d rect = new Conv2d(p, 2, 2, 1, 3, 1, 2, 0, 1, 1, 1, 1, true);
        assertArrayEquals(new long[] {1, 2, 5, 3}, run(rect, image(1, 2, 5, 5)).shape());
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(p, 3, 4, 3, 1, 0, 1, 2, true));
        assertThrows(IllegalArgumentException.class, () -> c.forward(image(1, 4, 5, 5)));
    }

    @Test
    void conv2dComputesACrossCorrelationPlusBias() {
        Parameters p64 = Parameters.of(params, DType.F64, 2);
        Conv2d c = new Conv2d(p64, 1, 1, 2);
        Tensor x = params.fromArray(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor y = run(c, x);
        Tensor w = c.weight();
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double e = c.bias().getDouble(0);
                for (int a = 0; a < 2; a++) {
                    for (int b = 0; b < 2; b++) {
                        e += x.getDouble(0, 0, i + a, j + b) * w.getDouble(0, 0, a, b);
                    }
                }
                assertEquals(e, y.getDouble(0, 0, i, j), 1e-12);
            }
        }
    }

    @Test
    void poolingShapesAndValues() {
        Tensor x = params.fromArray(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4);
        Tensor max = run(new MaxPool2d(2), x);
        assertArrayEquals(new long[] {1, 1, 2, 2}, max.shape());
        assertArrayEquals(new float[] {6, 8, 14, 16}, max.toFloatArray());
        Tensor avg = run(new AvgPool2d(2), x);
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, avg.toFloatArray());
        Tensor global = run(new AdaptiveAvgPool2d(), x);
        assertArrayEquals(new long[] {1, 1, 1, 1}, global.shape());
        assertEquals(8.5f, global.toFloatArray()[0], 1e-6);

        assertArrayEquals(new long[] {2, 3, 4, 4}, run(new MaxPool2d(3, 2, 1, 1), image(2, 3, 8, 8)).shape());
        // 3x3 windows, stride 1, padding 1: the corner window holds 4 of 9 elements.
        Tensor ones = params.full(DType.F32, 1.0, 1, 1, 3, 3);
        assertEquals(4f / 9f, run(new AvgPool2d(3, 1, 1, true), ones).getFloat(0, 0, 0, 0), 1e-6);
        assertEquals(1f, run(new AvgPool2d(3, 1, 1, false), ones).getFloat(0, 0, 0, 0), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2d(2));
        assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(2, 2, 2, 1));
    }

    @Test
    void normalizationLayers() {
        BatchNorm2d bn = new BatchNorm2d(p, 3);
        assertEquals(6, bn.parameterCount());
        assertEquals(List.of("weight", "bias"), List.copyOf(bn.namedParameters().keySet()));
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.namedBuffers().keySet()));
        assertEquals(DType.I64, bn.namedBuffers().get("num_batches_tracked").dtype());
        assertEquals(0, bn.namedBuffers().get("num_batches_tracked").rank());
        Tensor y = run(bn, image(4, 3, 5, 5));
        assertArrayEquals(new long[] {4, 3, 5, 5}, y.shape());
        // Training mode with weight 1, bias 0: every channel of the output has mean 0 and biased variance ~1.
        float[] v = y.toFloatArray();
        for (int c = 0; c < 3; c++) {
            double s = 0;
            double sq = 0;
            for (int n = 0; n < 4; n++) {
                for (int k = 0; k < 25; k++) {
                    double e = v[(n * 3 + c) * 25 + k];
                    s += e;
                    sq += e * e;
                }
            }
            assertEquals(0, s / 100, 1e-5);
            assertEquals(1, sq / 100, 1e-3);
        }
        BatchNorm2d plain = new BatchNorm2d(p, 2, 1e-5, 0.1, false, false);
        assertEquals(0, plain.parameterCount());
        assertTrue(plain.stateDict().isEmpty());
        assertArrayEquals(new long[] {2, 2, 3, 3}, run(plain.eval(), image(2, 2, 3, 3)).shape());

        LayerNorm ln = new LayerNorm(p, 4);
        assertEquals(8, ln.parameterCount());
        Tensor z = run(ln, params.randn(new long[] {2, 3, 4}, 5));
        assertArrayEquals(new long[] {2, 3, 4}, z.shape());
        float[] zs = z.toFloatArray();
        for (int row = 0; row < 6; row++) {
            double s = 0;
            for (int k = 0; k < 4; k++) {
                s += zs[row * 4 + k];
            }
            assertEquals(0, s / 4, 1e-5);
        }
        LayerNorm ln2 = new LayerNorm(p, new long[] {3, 4}, 1e-6, false);
        assertEquals(0, ln2.parameterCount());
        assertArrayEquals(new long[] {2, 3, 4}, run(ln2, params.randn(new long[] {2, 3, 4}, 5)).shape());
        assertThrows(IllegalArgumentException.class, () -> ln.forward(params.zeros(DType.F32, 2, 5)));
    }

    @Test
    void embeddingPicksRows() {
        Embedding e = new Embedding(p, 10, 4);
        assertEquals(40, e.parameterCount());
        Tensor idx = params.fromArray(new long[] {3, 0, 3, 9, 1, 2}, 2, 3);
        Tensor y = run(e, idx);
        assertArrayEquals(new long[] {2, 3, 4}, y.shape());
        for (int d = 0; d < 4; d++) {
            assertEquals(e.weight().getDouble(3, d), y.getDouble(new long[] {0, 0, d}), 0);
            assertEquals(e.weight().getDouble(9, d), y.getDouble(new long[] {1, 0, d}), 0);
        }
    }

    @Test
    void activationsFlattenAndIdentity() {
        Tensor x = params.fromArray(new double[] {-2, -0.5, 0, 0.5, 2, 3}, 2, 3);
        assertArrayEquals(new double[] {0, 0, 0, 0.5, 2, 3}, run(new ReLU(), x).toDoubleArray(), 0);
        assertArrayEquals(new double[] {-0.2, -0.05, 0, 0.5, 2, 3}, run(new LeakyReLU(0.1), x).toDoubleArray(), 1e-15);
        double[] tanh = run(new Tanh(), x).toDoubleArray();
        double[] sig = run(new Sigmoid(), x).toDoubleArray();
        double[] silu = run(new SiLU(), x).toDoubleArray();
        double[] gelu = run(new GELU(), x).toDoubleArray();
        double[] geluTanh = run(new GELU(true), x).toDoubleArray();
        double[] xs = x.toDoubleArray();
        for (int i = 0; i < xs.length; i++) {
            double s = 1 / (1 + Math.exp(-xs[i]));
            assertEquals(Math.tanh(xs[i]), tanh[i], 1e-12);
            assertEquals(s, sig[i], 1e-12);
            assertEquals(xs[i] * s, silu[i], 1e-12);
            double k = Math.sqrt(2 / Math.PI);
            assertEquals(0.5 * xs[i] * (1 + Math.tanh(k * (xs[i] + 0.044715 * xs[i] * xs[i] * xs[i]))), geluTanh[i], 1e-12);
            assertEquals(geluTanh[i], gelu[i], 2e-3);
        }
        assertSame(x, new Identity().forward(x));
        assertArrayEquals(new long[] {2, 60}, run(new Flatten(), image(2, 3, 4, 5)).shape());
        assertArrayEquals(new long[] {2, 12, 5}, run(new Flatten(1, 2), image(2, 3, 4, 5)).shape());
    }

    @Test
    void sequentialNamesItsChildrenByPosition() {
        Sequential s = new Sequential(new Linear(p, 4, 3), new ReLU(), new Linear(p, 3, 2, false));
        assertEquals(List.of("0.weight", "0.bias", "2.weight"), List.copyOf(s.namedParameters().keySet()));
        assertEquals(3, s.size());
        assertEquals(12 + 3 + 6, s.parameterCount());
        assertArrayEquals(new long[] {5, 2}, run(s, params.randn(new long[] {5, 4}, 1)).shape());
        assertTrue(s.toString().contains("(2): Linear(in_features=3, out_features=2, bias=false)"), s.toString());
    }
}
