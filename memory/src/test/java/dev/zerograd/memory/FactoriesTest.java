package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** zeros, ones, full, scalar, fromArray, arange, rand and randn. */
class FactoriesTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("factories", 8 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected \"" + part + "\" in: " + message);
        }
    }

    @Test
    void zerosOnesAndFullInEveryDtype() {
        for (DType dtype : DType.values()) {
            Tensor dirty = arena.full(dtype, 9, 2, 3);
            arena.reset();
            Tensor z = arena.zeros(dtype, 2, 3);
            assertFalse(dirty.isValid());
            assertEquals(dtype, z.dtype());
            assertArrayEquals(new long[] {2, 3}, z.shape());
            assertArrayEquals(new double[6], z.toDoubleArray(), "zeros over a slab that held nines: " + dtype);
            assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, arena.ones(dtype, 2, 3).toDoubleArray(), dtype.toString());
            assertArrayEquals(new double[] {-2.5, -2.5}, arena.full(dtype, -2.5, 2).toDoubleArray(),
                    dtype.isFloatingPoint() ? 0 : 0.5 + 1e-9, dtype.toString());
        }
        assertArrayEquals(new long[] {-2, -2}, arena.full(DType.I64, -2.7, 2).toLongArray(), "integer dtypes truncate");
        assertEquals(3, arena.full(DType.I32, 3.99, 1).getDouble(0));
        Tensor like = arena.full(DType.F16, 4, 3, 1);
        Tensor zl = arena.zerosLike(like);
        assertEquals(DType.F16, zl.dtype());
        assertArrayEquals(new long[] {3, 1}, zl.shape());
        assertArrayEquals(new double[3], zl.toDoubleArray());
        Tensor el = arena.emptyLike(like, DType.I64);
        assertEquals(DType.I64, el.dtype());
        assertArrayEquals(new long[] {3, 1}, el.shape());
    }

    @Test
    void rankOverloadsReadOnlyTheFirstRankSizes() {
        long[] scratch = {2, 3, 99, -1, 0, 0, 0, 0};
        Tensor z = arena.zeros(DType.F64, scratch, 2);
        assertArrayEquals(new long[] {2, 3}, z.shape());
        assertArrayEquals(new double[6], z.toDoubleArray());
        Tensor f = arena.full(DType.I32, 4, scratch, 1);
        assertArrayEquals(new long[] {4, 4}, f.toLongArray());
        Tensor e = arena.empty(DType.F16, scratch, 0);
        assertEquals(0, e.rank());
        assertThrows(IllegalArgumentException.class, () -> arena.zeros(DType.F32, scratch, 4));
    }

    @Test
    void fillWithNegativeZeroKeepsTheSign() {
        Tensor t = arena.full(DType.F32, 1, 4);
        t.fill(-0.0);
        for (float f : t.toFloatArray()) {
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(f));
        }
        Tensor d = arena.full(DType.F64, -0.0, 2);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(d.getDouble(1)));
    }

    @Test
    void scalarsHaveRankZero() {
        Tensor s = arena.scalar(DType.F64, 2.5);
        assertEquals(0, s.rank());
        assertEquals(1, s.numel());
        assertEquals(2.5, s.item());
        assertEquals(2.5, s.getDouble());
        assertEquals(2.5f, s.getFloat());
        assertEquals(2.5f, s.itemFloat());
        assertArrayEquals(new long[0], s.shape());
        assertEquals(7, arena.scalar(DType.I32, 7.9).item());
    }

    @Test
    void fromArrayCopiesEachArrayKind() {
        float[] f = {1.5f, -2, 3, 4, 5, 6};
        Tensor tf = arena.fromArray(f, 2, 3);
        f[0] = 99;
        assertEquals(DType.F32, tf.dtype());
        assertArrayEquals(new float[] {1.5f, -2, 3, 4, 5, 6}, tf.toFloatArray(), "fromArray copies");
        assertEquals(6.0, tf.getDouble(1, 2));

        Tensor td = arena.fromArray(new double[] {0.1, 0.2, 0.3}, 3);
        assertEquals(DType.F64, td.dtype());
        assertArrayEquals(new double[] {0.1, 0.2, 0.3}, td.toDoubleArray());

        Tensor ti = arena.fromArray(new int[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE, 0}, 2, 2);
        assertEquals(DType.I32, ti.dtype());
        assertArrayEquals(new long[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE, 0}, ti.toLongArray());

        Tensor tl = arena.fromArray(new long[] {1L << 40, -(1L << 50)}, 1, 2);
        assertEquals(DType.I64, tl.dtype());
        assertArrayEquals(new long[] {1L << 40, -(1L << 50)}, tl.toLongArray());

        Tensor conv = arena.fromArray(DType.BF16, new double[] {1, 0.1, -3}, 3);
        assertEquals(DType.BF16, conv.dtype());
        assertArrayEquals(new double[] {1, 0.10009765625, -3}, conv.toDoubleArray());
        Tensor convI = arena.fromArray(DType.I32, new double[] {1.9, -1.9}, 2);
        assertArrayEquals(new long[] {1, -1}, convI.toLongArray());

        Tensor scalar = arena.fromArray(new double[] {4});
        assertEquals(0, scalar.rank());
        assertEquals(4.0, scalar.item());
    }

    @Test
    void fromArrayRejectsLengthMismatchNamingTheShape() {
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> arena.fromArray(new double[] {1, 2, 3}, 2, 2));
        assertContains(d.getMessage(), "fromArray(double[])", "3 values", "[2, 2]", "4 elements");
        IllegalArgumentException i = assertThrows(IllegalArgumentException.class, () -> arena.fromArray(new int[4], 5));
        assertContains(i.getMessage(), "fromArray(int[])", "[5]");
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class, () -> arena.fromArray(new long[1], 1, -1));
        assertContains(l.getMessage(), "fromArray(long[])", "[1, -1]", "negative");
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> arena.fromArray(DType.F16, new double[2], 3));
        assertContains(c.getMessage(), "fromArray(f16)", "2 values", "[3]");
        assertEquals(0, arena.bytesInUse());
    }

    @Test
    void arangeCountsUpDownAndToNothing() {
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, arena.arange(5).toFloatArray());
        assertArrayEquals(new double[] {1, 1.5, 2, 2.5}, arena.arange(DType.F64, 1, 3, 0.5).toDoubleArray());
        assertArrayEquals(new double[] {1, 1.5, 2, 2.5, 3}, arena.arange(DType.F64, 1, 3.1, 0.5).toDoubleArray());
        assertArrayEquals(new double[] {5, 4, 3, 2, 1}, arena.arange(DType.F64, 5, 0, -1).toDoubleArray());
        assertArrayEquals(new long[] {10, 7, 4, 1}, arena.arange(DType.I64, 10, 0, -3).toLongArray());
        assertArrayEquals(new long[] {-3, -2, -1}, arena.arange(DType.I32, -3, 0, 1).toLongArray());
        Tensor none = arena.arange(DType.F32, 3, 3, 1);
        assertEquals(1, none.rank());
        assertEquals(0, none.numel());
        assertEquals(0, arena.arange(DType.F32, 0, 5, -1).numel(), "a step away from the end gives nothing");
        assertEquals(0, arena.arange(0).numel());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> arena.arange(DType.F32, 0, 1, 0));
        assertContains(zero.getMessage(), "arange", "step 0.0", "non-zero step");
        assertThrows(IllegalArgumentException.class, () -> arena.arange(DType.F32, 0, Double.POSITIVE_INFINITY, 1));
        assertThrows(IllegalArgumentException.class, () -> arena.arange(DType.F32, Double.NaN, 1, 1));
    }

    @Test
    void randIsReproducibleAcrossArenasAndInTheUnitInterval() {
        long[] shape = {100, 100};
        try (TensorArena other = TensorArena.ofShared("other", 1 << 20)) {
            Tensor a = arena.rand(shape, 42);
            Tensor b = other.rand(shape, 42);
            assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "same seed, same numbers in any arena");
            assertFalse(java.util.Arrays.equals(a.toFloatArray(), arena.rand(shape, 43).toFloatArray()));
            assertEquals(0x1.39d5ep-1f, a.getFloat(0, 0), "element 0 of seed 42 is pinned");
            double sum = 0;
            for (float f : a.toFloatArray()) {
                assertTrue(f >= 0 && f < 1, "rand " + f);
                sum += f;
            }
            assertEquals(0.5, sum / 10_000, 0.01);
        }
    }

    @Test
    void randAgreesAcrossDtypesAndNeverRoundsUpToOne() {
        long[] shape = {100_000};
        float[] f32 = arena.rand(DType.F32, shape, 9).toFloatArray();
        double[] f64 = arena.rand(DType.F64, shape, 9).toDoubleArray();
        float[] f16 = arena.rand(DType.F16, shape, 9).toFloatArray();
        float[] bf16 = arena.rand(DType.BF16, shape, 9).toFloatArray();
        for (int i = 0; i < shape[0]; i++) {
            assertTrue(f16[i] < 1 && bf16[i] < 1, "rand(f16/bf16) reached 1.0 at " + i);
            assertEquals(Philox.uniformFloat(9, i, 0), f32[i]);
            assertEquals(Philox.uniformDouble(9, i, 0), f64[i]);
            assertEquals((float) Math.floor(f64[i] * 0x1.0p24) * 0x1.0p-24f, f32[i], "f32 is f64 cut to 24 bits");
            assertEquals((float) Math.floor(f32[i] * 2048) / 2048, f16[i], "f16 is f32 cut to 11 bits");
            assertEquals((float) Math.floor(f32[i] * 256) / 256, bf16[i], "bf16 is f32 cut to 8 bits");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> arena.rand(DType.I32, new long[] {2}, 1));
        assertContains(e.getMessage(), "rand", "i32", "floating-point");
    }

    @Test
    void randnHasMeanZeroAndUnitDeviation() {
        double[] x = arena.randn(DType.F64, new long[] {100_000}, 2024).toDoubleArray();
        double sum = 0;
        double sq = 0;
        for (double v : x) {
            assertTrue(Double.isFinite(v));
            sum += v;
            sq += v * v;
        }
        double mean = sum / x.length;
        double std = Math.sqrt(sq / x.length - mean * mean);
        // Standard errors are 1/sqrt(n) = 0.0032 for the mean and 1/sqrt(2n) = 0.0022 for the deviation.
        assertEquals(0.0, mean, 0.015);
        assertEquals(1.0, std, 0.015);
        long beyond3 = java.util.Arrays.stream(x).filter(v -> Math.abs(v) > 3).count();
        assertTrue(beyond3 > 150 && beyond3 < 400, "tails: " + beyond3 + " of 100000 beyond 3 sigma (expect ~270)");
    }

    @Test
    void randnIsReproducibleAndAgreesAcrossDtypes() {
        long[] shape = {7, 11};
        Tensor f64 = arena.randn(DType.F64, shape, 5);
        Tensor f32 = arena.randn(shape, 5);
        Tensor f16 = arena.randn(DType.F16, shape, 5);
        try (TensorArena other = TensorArena.ofConfined("other", 1 << 16)) {
            assertArrayEquals(f32.toFloatArray(), other.randn(shape, 5).toFloatArray());
        }
        double[] d = f64.toDoubleArray();
        float[] f = f32.toFloatArray();
        float[] h = f16.toFloatArray();
        for (int i = 0; i < d.length; i++) {
            assertEquals(Philox.normal(5, i, 0), d[i]);
            assertEquals((float) d[i], f[i]);
            assertEquals(Half.f16ToFloat(Half.floatToF16((float) d[i])), h[i]);
        }
        assertFalse(java.util.Arrays.equals(f, arena.randn(shape, 6).toFloatArray()));
        assertEquals(0x1.3c0aeecaa53d3p0, arena.randn(DType.F64, new long[] {1}, 42).getDouble(0), "pinned");
        assertThrows(IllegalArgumentException.class, () -> arena.randn(DType.I64, shape, 5));
    }
}
