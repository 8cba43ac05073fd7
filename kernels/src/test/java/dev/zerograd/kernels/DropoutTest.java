package dev.zerograd.kernels;

import static dev.zerograd.kernels.SpatialTestSupport.assertClose;
import static dev.zerograd.kernels.SpatialTestSupport.assertMessage;
import static dev.zerograd.kernels.SpatialTestSupport.make;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.SpatialTestSupport.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DropoutTest {
    private final TensorArena arena = TensorArena.ofConfined(64 << 20);

    @AfterEach
    void close() {
        arena.close();
    }

    private double[] mask(DType dt, Tensor x, double p, long seed, int stream) {
        Tensor m = arena.empty(dt, x.shape()), y = arena.empty(dt, x.shape());
        Dropout.dropout(x, p, seed, stream, m, y);
        return m.toDoubleArray();
    }

    @Test
    void maskIsTheDocumentedFunctionOfSeedStreamAndPosition() {
        Random rnd = new Random(1);
        for (DType dt : SpatialTestSupport.FLOATS) {
            for (Layout layout : Layout.values()) {
                arena.reset();
                Tensor x = make(arena, dt, layout, new long[] {3, 4, 5, 6}, rnd);
                Tensor m = arena.empty(dt, 3, 4, 5, 6), y = arena.empty(dt, 3, 4, 5, 6);
                double p = 0.3;
                Dropout.dropout(x, p, 42, 7, m, y);
                double[] xv = x.toDoubleArray(), mv = m.toDoubleArray(), yv = y.toDoubleArray();
                double scale = dt == DType.F32 ? (float) (1 / (1 - p)) : 1 / (1 - p);
                double[] mRef = new double[xv.length], yRef = new double[xv.length];
                for (int i = 0; i < xv.length; i++) {
                    mRef[i] = Philox.uniformDouble(42, i, 7) >= p ? scale : 0;
                    yRef[i] = xv[i] * (Philox.uniformDouble(42, i, 7) >= p ? 1 / (1 - p) : 0);
                }
                assertClose(dt + " " + layout + " mask", mRef, mv, 0);
                assertClose(dt + " " + layout + " y", yRef, yv, dt == DType.F32 ? 1e-7 : 0);
            }
        }
    }

    @Test
    void sameSeedSameMaskAndOtherSeedsOrStreamsDiffer() {
        Tensor x = arena.ones(DType.F32, 1000);
        double[] a = mask(DType.F32, x, 0.5, 9, 0), b = mask(DType.F32, x, 0.5, 9, 0);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, mask(DType.F32, x, 0.5, 10, 0)), "another seed");
        assertFalse(Arrays.equals(a, mask(DType.F32, x, 0.5, 9, 1)), "another stream");
        // F32 and F64 draw the same mask.
        double[] d = mask(DType.F64, arena.ones(DType.F64, 1000), 0.5, 9, 0);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i] == 0, d[i] == 0, "element " + i);
        }
    }

    @Test
    void dropRateAndScaleOverAMillionElements() {
        int n = 1 << 20;
        for (double p : new double[] {0.1, 0.5, 0.8}) {
            arena.reset();
            Tensor x = arena.ones(DType.F32, n);
            double[] m = mask(DType.F32, x, p, 123, 3);
            long dropped = 0;
            double sum = 0;
            for (double v : m) {
                if (v == 0) {
                    dropped++;
                } else {
                    assertEquals((float) (1 / (1 - p)), v, 0);
                }
                sum += v;
            }
            double rate = (double) dropped / n, sigma = Math.sqrt(p * (1 - p) / n);
            assertTrue(Math.abs(rate - p) < 5 * sigma, "p " + p + ": rate " + rate);
            assertTrue(Math.abs(sum / n - 1) < 5 * sigma / (1 - p) + 1e-6, "p " + p + ": mean mask " + sum / n);
        }
    }

    @Test
    void resultDoesNotDependOnThreads() {
        Tensor x = arena.rand(DType.F32, new long[] {300, 500}, 4);
        Tensor xt = arena.rand(DType.F32, new long[] {500, 300}, 4).transpose(0, 1);
        double[] a = mask(DType.F32, x, 0.25, 5, 2), at = mask(DType.F32, xt, 0.25, 5, 2);
        int threads = Parallel.threads();
        Parallel.setThreads(1);
        double[] b;
        try {
            b = mask(DType.F32, x, 0.25, 5, 2);
        } finally {
            Parallel.setThreads(threads);
        }
        assertArrayEquals(a, b);
        assertArrayEquals(a, at, "the mask depends on positions, not on x's strides");
    }

    @Test
    void zeroProbabilityKeepsEverythingAndNaNStaysNaN() {
        Tensor x = arena.fromArray(new double[] {1, Double.NaN, -3, Double.POSITIVE_INFINITY}, 4);
        Tensor m = arena.empty(DType.F64, 4), y = arena.empty(DType.F64, 4);
        Dropout.dropout(x, 0, 1, 0, m, y);
        assertArrayEquals(new double[] {1, 1, 1, 1}, m.toDoubleArray());
        assertArrayEquals(x.toDoubleArray(), y.toDoubleArray());
        Dropout.dropout(x, 0.999999, 1, 0, m, y);
        assertTrue(Double.isNaN(y.getDoubleFlat(1)), "NaN * 0 stays NaN");
        // In place: y may be x.
        Tensor z = arena.fromArray(new double[] {1, 2, 3, 4}, 4);
        Dropout.dropout(z, 0, 1, 0, m, z);
        assertArrayEquals(new double[] {1, 2, 3, 4}, z.toDoubleArray());
    }

    @Test
    void badArgumentsAreRejected() {
        Tensor x = arena.ones(DType.F32, 4, 5), m = arena.empty(DType.F32, 4, 5), y = arena.empty(DType.F32, 4, 5);
        assertMessage(() -> Dropout.dropout(x, 1, 0, 0, m, y), "Dropout.dropout", "p = 1.0", "[0, 1)");
        assertMessage(() -> Dropout.dropout(x, -0.1, 0, 0, m, y), "p = -0.1");
        assertMessage(() -> Dropout.dropout(x, 0.5, 0, 0, arena.empty(DType.F64, 4, 5), y), "mask f64");
        assertMessage(() -> Dropout.dropout(x, 0.5, 0, 0, m, arena.empty(DType.F32, 5, 4)), "y f32[5, 4]", "shape of x");
        assertMessage(() -> Dropout.dropout(x, 0.5, 0, 0, m, arena.empty(DType.F32, 5, 4).transpose(0, 1)), "contiguous");
        assertMessage(() -> Dropout.dropout(x, 0.5, 0, 0, m, m), "overlap");
    }
}
