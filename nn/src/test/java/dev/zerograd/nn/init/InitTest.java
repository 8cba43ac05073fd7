package dev.zerograd.nn.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.init.Init.FanMode;
import dev.zerograd.nn.init.Init.Nonlinearity;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bounds and moments of the initializers, fans, gains, and seeded determinism. */
class InitTest {
    private final TensorArena arena = TensorArena.ofConfined("init", 16 << 20);

    @AfterEach
    void close() {
        arena.close();
    }

    private static double[] moments(Tensor t) {
        double[] v = t.toDoubleArray();
        double s = 0;
        double sq = 0;
        double max = 0;
        for (double e : v) {
            s += e;
            sq += e * e;
            max = Math.max(max, Math.abs(e));
        }
        double mean = s / v.length;
        return new double[] {mean, Math.sqrt(sq / v.length - mean * mean), max};
    }

    @Test
    void fansFollowPyTorch() {
        Tensor linear = arena.empty(DType.F32, 256, 784);
        assertEquals(784, Init.fanIn(linear));
        assertEquals(256, Init.fanOut(linear));
        Tensor conv = arena.empty(DType.F32, 64, 16, 3, 5);
        assertEquals(16 * 15, Init.fanIn(conv));
        assertEquals(64 * 15, Init.fanOut(conv));
        assertThrows(IllegalArgumentException.class, () -> Init.fanIn(arena.empty(DType.F32, 5)));
        assertEquals(Math.sqrt(2), Init.gain(Nonlinearity.RELU, 0), 0);
        assertEquals(Math.sqrt(1.0 / 3), Init.gain(Nonlinearity.LEAKY_RELU, Math.sqrt(5)), 1e-15);
        assertEquals(5.0 / 3, Init.gain(Nonlinearity.TANH, 0), 0);
    }

    @Test
    void kaimingUniformStaysWithinItsBoundAndHasItsVariance() {
        Tensor w = arena.empty(DType.F32, 512, 300);
        Init.kaimingUniform(w, 0, FanMode.FAN_IN, Nonlinearity.RELU, 1);
        double bound = Math.sqrt(2) * Math.sqrt(3.0 / 300);
        double[] m = moments(w);
        assertTrue(m[2] <= bound, "max |w| " + m[2] + " within " + bound);
        assertTrue(m[2] > 0.99 * bound, "the bound is reached: " + m[2]);
        assertEquals(0, m[0], 0.01 * bound);
        assertEquals(bound / Math.sqrt(3), m[1], 0.01 * bound);

        // PyTorch's Linear default (a = sqrt(5)) is uniform in +-1/sqrt(fan_in).
        Tensor d = arena.empty(DType.F32, 256, 784);
        Tensor b = arena.empty(DType.F32, 256);
        Init.pytorchDefault(d, b, 2, 3);
        double lim = 1 / Math.sqrt(784);
        assertTrue(moments(d)[2] <= lim && moments(d)[2] > 0.99 * lim);
        assertTrue(moments(b)[2] <= lim && moments(b)[2] > 0.9 * lim);
        assertEquals(lim / Math.sqrt(3), moments(d)[1], 0.01 * lim);
    }

    @Test
    void normalInitializersHaveTheirStandardDeviation() {
        Tensor w = arena.empty(DType.F64, 400, 250);
        Init.kaimingNormal(w, 0, FanMode.FAN_OUT, Nonlinearity.RELU, 4);
        assertEquals(Math.sqrt(2.0 / 400), moments(w)[1], 0.01 * Math.sqrt(2.0 / 400));
        assertEquals(0, moments(w)[0], 0.01 * Math.sqrt(2.0 / 400));
        Init.xavierNormal(w, 1, 5);
        assertEquals(Math.sqrt(2.0 / 650), moments(w)[1], 0.01 * Math.sqrt(2.0 / 650));
        Init.xavierUniform(w, 2, 6);
        double bound = 2 * Math.sqrt(6.0 / 650);
        assertTrue(moments(w)[2] <= bound);
        assertEquals(bound / Math.sqrt(3), moments(w)[1], 0.01 * bound);
        Init.normal(w, 3, 0.5, 7);
        assertEquals(3, moments(w)[0], 0.01);
        assertEquals(0.5, moments(w)[1], 0.01);
    }

    @Test
    void sameSeedSameWeightsAnotherSeedOthers() {
        Tensor a = arena.empty(DType.F32, 64, 32);
        Tensor b = arena.empty(DType.F32, 64, 32);
        Init.kaimingUniform(a, 11);
        Init.kaimingUniform(b, 11);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        Init.kaimingUniform(b, 12);
        assertFalse(Arrays.equals(a.toFloatArray(), b.toFloatArray()));
        // The same numbers in f64 as in f32, before rounding: the stream does not depend on the dtype.
        Tensor c = arena.empty(DType.F64, 64, 32);
        Init.kaimingUniform(c, 11);
        float[] fa = a.toFloatArray();
        double[] dc = c.toDoubleArray();
        for (int i = 0; i < fa.length; i++) {
            assertEquals((float) dc[i], fa[i]);
        }
        // Element i is bound * (2 u - 1), u the i-th uniform of the seed's Philox stream.
        assertEquals(Init.gain(Nonlinearity.RELU, 0) * Math.sqrt(3.0 / 32) * (2 * dev.zerograd.memory.Philox.uniformDouble(11, 0, 0) - 1),
                dc[0], 1e-15);
    }

    @Test
    void constantsAndBadArguments() {
        Tensor t = arena.empty(DType.F32, 3, 3);
        Init.ones(t);
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, t.toFloatArray());
        Init.zeros(t);
        assertArrayEquals(new float[9], t.toFloatArray());
        Init.constant(t, 2.5);
        assertEquals(2.5f, t.getFloat(2, 2));
        assertThrows(IllegalArgumentException.class, () -> Init.uniform(t, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Init.normal(t, 0, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> Init.normal(arena.empty(DType.I32, 2), 0, 1, 1));
    }
}
