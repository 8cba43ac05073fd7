package dev.zerograd.tape;

import static dev.zerograd.tape.ViewOpsTest.check;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** max/min along a dim (with positions), max/min over everything and amax/amin, var and std. */
class ReduceOpsTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("reduce-ops-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor rand(long seed, long... shape) {
        return GradCheck.uniform(arena, seed, -1, 1, shape);
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable e, String... parts) {
        Throwable t = assertThrows(type, e);
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), () -> "expected '" + p + "' in: " + t.getMessage());
        }
    }

    // ---------------------------------------------------------------- max / min along a dim

    @Test
    void maxAlongDimMatchesReferenceWithFirstTieAndIndices() {
        double[] v = {1, 3, 3, -2, 2, 2, 0, 2, -5, 7, 7, 1};
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = arena.fromArray(dt, v, 3, 4);
            Tensor[] out = new Tensor[2];
            Tensor m = Ops.maxWithIndices(x, 1, false, out);
            assertSame(m, out[0]);
            assertArrayEquals(new long[] {3}, m.shape());
            assertArrayEquals(new double[] {3, 2, 7}, m.toDoubleArray(), 0);
            assertArrayEquals(new long[] {1, 0, 1}, out[1].toLongArray(), "first occurrence wins ties");
            assertEquals(DType.I64, out[1].dtype());
            Tensor mn = Ops.minWithIndices(x, -2, true, out);
            assertArrayEquals(new long[] {1, 4}, mn.shape());
            assertArrayEquals(new double[] {-5, 2, 0, -2}, mn.toDoubleArray(), 0);
            assertArrayEquals(new long[] {2, 1, 1, 0}, out[1].toLongArray());
            assertArrayEquals(new long[] {1, 0, 1}, Ops.argmax(x, 1, false).toLongArray());
            assertArrayEquals(new long[] {2, 1, 1, 0}, Ops.argmin(x, 0, false).toLongArray());
            assertArrayEquals(new long[] {1, 4}, Ops.argmin(x, 0, true).shape());
            assertArrayEquals(new double[] {2, 7, 7, 2}, Ops.max(x, 0, false).toDoubleArray(), 0);
            assertArrayEquals(new double[] {-2, 0, -5}, Ops.min(x, 1, false).toDoubleArray(), 0);
        }
    }

    @Test
    void maxAlongDimOfStridedAndRankZeroInputs() {
        Tensor base = rand(1, 4, 3);
        Tensor t = base.transpose(0, 1); // [3, 4]
        Tensor[] out = new Tensor[2];
        Ops.maxWithIndices(t, 1, false, out);
        for (int i = 0; i < 3; i++) {
            double best = Double.NEGATIVE_INFINITY;
            long at = -1;
            for (int j = 0; j < 4; j++) {
                if (t.getDouble(i, j) > best) {
                    best = t.getDouble(i, j);
                    at = j;
                }
            }
            assertEquals(best, out[0].getDouble(i), 0);
            assertEquals(at, out[1].toLongArray()[i]);
        }
        Tensor s = arena.scalar(DType.F64, 2.5);
        Tensor m = Ops.maxWithIndices(s, -1, false, out);
        assertEquals(0, m.rank());
        assertEquals(2.5, m.item(), 0);
        assertArrayEquals(new long[] {0}, out[1].toLongArray());
    }

    @Test
    void maxAlongDimSendsTheGradientToTheFirstMaximumOnly() {
        Tensor x = arena.fromArray(new double[] {1, 3, 3, 2, 2, 0}, 2, 3).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.sum(Ops.mul(Ops.max(x, 1, false), arena.fromArray(new double[] {10, 20}, 2))));
        }
        assertArrayEquals(new double[] {0, 10, 0, 20, 0, 0}, x.grad().toDoubleArray(), 0);
        Tensor y = arena.fromArray(new double[] {1, 3, 3, 2, 2, 0}, 2, 3).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.sum(Ops.min(y, 0, true)));
        }
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 1}, y.grad().toDoubleArray(), 0);
    }

    @Test
    void maxAlongDimGradients() {
        check("max dim", in -> Ops.max(in[0], 1, false), rand(2, 3, 4).requiresGrad());
        check("max dim keepdim, negative dim", in -> Ops.max(in[0], -3, true), rand(3, 3, 2, 2).requiresGrad());
        check("max dim of a size-1 dim", in -> Ops.max(in[0], 0, false), rand(4, 1, 3).requiresGrad());
        check("max dim rank 0", in -> Ops.max(in[0], 0, true), rand(5).requiresGrad());
        check("max dim strided", in -> Ops.max(in[0], 0, false), rand(6, 3, 4).transpose(0, 1).requiresGrad());
        check("min dim", in -> Ops.min(in[0], -1, true), rand(7, 2, 3).requiresGrad());
        check("min dim strided slice", in -> Ops.min(in[0], 1, false), rand(8, 2, 7).slice(1, 0, 7, 2).requiresGrad());
        check("max with indices", in -> Ops.maxWithIndices(in[0], 1, false, new Tensor[2]), rand(9, 2, 3).requiresGrad());
    }

    // ---------------------------------------------------------------- max / min over everything, amax / amin

    @Test
    void maxOfAllElementsSplitsTheGradientAmongTies() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = arena.fromArray(dt, new double[] {1, 3, -4, 3, 0, 3}, 2, 3).requiresGrad();
            try (GradientTape tape = GradientTape.record(arena)) {
                Tensor m = Ops.max(x);
                assertEquals(0, m.rank());
                assertEquals(3, m.item(), 0);
                tape.backward(Ops.mul(m, 6.0));
            }
            assertArrayEquals(new double[] {0, 2, 0, 2, 0, 2}, x.grad().toDoubleArray(), 1e-6);
            Tensor y = arena.fromArray(dt, new double[] {1, -4, -4, 0}, 4).requiresGrad();
            try (GradientTape tape = GradientTape.record(arena)) {
                Tensor m = Ops.min(y);
                assertEquals(-4, m.item(), 0);
                tape.backward(m);
            }
            assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, y.grad().toDoubleArray(), 1e-6);
        }
    }

    @Test
    void amaxAndAminOverDims() {
        Tensor x = arena.fromArray(new double[] {1, 5, 2, 7, 0, 3, -1, 4, 6, 2, 8, -3}, 2, 3, 2);
        Tensor a = Ops.amax(x, new int[] {0, 2}, false);
        assertArrayEquals(new long[] {3}, a.shape());
        assertArrayEquals(new double[] {5, 7, 8}, a.toDoubleArray(), 0);
        Tensor b = Ops.amin(x, new int[] {-1}, true);
        assertArrayEquals(new long[] {2, 3, 1}, b.shape());
        assertArrayEquals(new double[] {1, 2, 0, -1, 2, -3}, b.toDoubleArray(), 0);
        assertEquals(-3, Ops.min(x).item(), 0);
        assertEquals(4.5, Ops.max(arena.scalar(DType.F64, 4.5)).item(), 0);
    }

    @Test
    void extremaGradients() {
        check("max all", in -> Ops.max(in[0]), rand(10, 2, 3).requiresGrad());
        check("min all rank 0", in -> Ops.min(in[0]), rand(11).requiresGrad());
        check("max all strided", in -> Ops.max(in[0]), rand(12, 3, 2).transpose(0, 1).requiresGrad());
        check("amax dims", in -> Ops.amax(in[0], new int[] {0, -1}, false), rand(13, 2, 2, 3).requiresGrad());
        check("amin keepdim", in -> Ops.amin(in[0], new int[] {1}, true), rand(14, 3, 2).requiresGrad());
        // every element tied: the split gradient is 1/n each, exactly the mean's
        Tensor c = arena.full(DType.F64, 0.5, 2, 2).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.amax(c, new int[] {1}, false), arena.fromArray(new double[] {1, 3}, 2));
        }
        assertArrayEquals(new double[] {0.5, 0.5, 1.5, 1.5}, c.grad().toDoubleArray(), 0);
    }

    // ---------------------------------------------------------------- var / std

    private static double var(double[] v, int from, int count, int stride, double correction) {
        double m = 0;
        for (int i = 0; i < count; i++) {
            m += v[from + i * stride];
        }
        m /= count;
        double s = 0;
        for (int i = 0; i < count; i++) {
            double d = v[from + i * stride] - m;
            s += d * d;
        }
        return s / (count - correction);
    }

    @Test
    void varAndStdMatchReference() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            double tol = dt == DType.F32 ? 1e-5 : 1e-12;
            Tensor x64 = rand(20, 3, 5);
            double[] v = x64.toDoubleArray();
            Tensor x = arena.fromArray(dt, v, 3, 5);
            if (dt == DType.F32) {
                v = x.toDoubleArray(); // the values as f32 holds them
            }
            assertEquals(var(v, 0, 15, 1, 1), Ops.var(x).item(), tol);
            assertEquals(Math.sqrt(var(v, 0, 15, 1, 1)), Ops.std(x).item(), tol);
            Tensor rows = Ops.var(x, 1, false, 0);
            assertArrayEquals(new long[] {3}, rows.shape());
            for (int i = 0; i < 3; i++) {
                assertEquals(var(v, 5 * i, 5, 1, 0), rows.getDouble(i), tol);
            }
            Tensor cols = Ops.std(x, new int[] {0}, true, 1);
            assertArrayEquals(new long[] {1, 5}, cols.shape());
            for (int j = 0; j < 5; j++) {
                assertEquals(Math.sqrt(var(v, j, 3, 5, 1)), cols.getDouble(0, j), tol);
            }
            Tensor t = Ops.var(Ops.transpose(x, 0, 1), -1, false, 1); // strided [5, 3]: the columns of x
            assertArrayEquals(new long[] {5}, t.shape());
            for (int j = 0; j < 5; j++) {
                assertEquals(var(v, j, 3, 5, 1), t.getDouble(j), tol);
            }
        }
        assertTrue(Double.isNaN(Ops.var(arena.scalar(DType.F64, 1)).item()), "one element, correction 1: 0 / 0");
        assertEquals(0, Ops.var(arena.scalar(DType.F64, 1), new int[] {}, false, 0).item(), 0);
    }

    @Test
    void varGradients() {
        check("var all", in -> Ops.var(in[0]), rand(21, 2, 3).requiresGrad());
        check("var dim, correction 0", in -> Ops.var(in[0], -1, false, 0), rand(22, 3, 4).requiresGrad());
        check("var dims keepdim", in -> Ops.var(in[0], new int[] {0, 2}, true, 1), rand(23, 2, 2, 3).requiresGrad());
        check("var strided", in -> Ops.var(in[0], 0, false, 1), rand(24, 3, 2).transpose(0, 1).requiresGrad());
        check("var of a size-1 dim, correction 0", in -> Ops.var(in[0], 1, false, 0), rand(25, 3, 1).requiresGrad());
        check("var correction 0.5", in -> Ops.var(in[0], 0, true, 0.5), rand(26, 4).requiresGrad());
        check("std", in -> Ops.std(in[0], 1, false, 1), rand(27, 2, 3).requiresGrad());
        GradCheck.check("var (not squared)", GradCheck.Options.defaults().withSecondOrder(true), in -> Ops.var(in[0]),
                rand(28, 5).requiresGrad());
    }

    @Test
    void varOfConstantHasZeroGradient() {
        Tensor x = arena.full(DType.F64, 2, 4).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor v = Ops.var(x);
            assertEquals(0, v.item(), 0);
            tape.backward(v);
        }
        assertArrayEquals(new double[] {0, 0, 0, 0}, x.grad().toDoubleArray(), 0);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badArgumentsNameTheOpAndShapes() {
        Tensor x = rand(30, 2, 3);
        assertMessage(IllegalArgumentException.class, () -> Ops.max(x, 2, false), "max", "dim 2", "f64[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> Ops.argmin(x, -3, false), "argmin", "dim -3");
        assertMessage(IllegalArgumentException.class, () -> Ops.max(arena.zeros(DType.F64, 2, 0), 1, false), "max", "empty", "f64[2, 0]");
        assertMessage(IllegalArgumentException.class, () -> Ops.min(arena.zeros(DType.F64, 0)), "min", "no elements");
        assertMessage(IllegalArgumentException.class, () -> Ops.amax(x, new int[] {1, 1}, false), "amax", "twice");
        assertMessage(IllegalArgumentException.class, () -> Ops.max(arena.zeros(DType.I64, 3), 0, false), "max", "floating-point", "i64");
        assertMessage(IllegalArgumentException.class, () -> Ops.var(x, 0, false, -1), "var", "correction -1");
        assertMessage(IllegalArgumentException.class, () -> Ops.maxWithIndices(x, 0, false, new Tensor[1]), "max", "room for 1");
    }

    @Test
    void argmaxIsNotRecorded() {
        Tensor x = rand(31, 2, 3).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor i = Ops.argmax(x, 1, true);
            assertFalse(i.needsGrad());
            assertEquals(0, tape.size());
            Tensor[] out = new Tensor[2];
            Ops.maxWithIndices(x, 1, true, out);
            assertFalse(out[1].needsGrad());
            assertTrue(out[0].needsGrad());
            assertEquals("max_dim", tape.opName(0));
        }
    }
}
