package dev.zerograd.tape;

import static dev.zerograd.tape.ViewOpsTest.check;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** concat, stack, split and chunk: values, views, derivatives, errors. */
class JoinOpsTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("join-ops-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor rand(long seed, long... shape) {
        return GradCheck.uniform(arena, seed, -1, 1, shape);
    }

    private Tensor of(DType dt, double[] v, long... shape) {
        return arena.fromArray(dt, v, shape);
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable e, String... parts) {
        Throwable t = assertThrows(type, e);
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), () -> "expected '" + p + "' in: " + t.getMessage());
        }
    }

    // ---------------------------------------------------------------- forward values

    @Test
    void concatJoinsAlongAnyDim() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor a = of(dt, new double[] {1, 2, 3, 4}, 2, 2);
            Tensor b = of(dt, new double[] {5, 6}, 1, 2);
            Tensor c = Ops.concat(new Tensor[] {a, b}, 0);
            assertArrayEquals(new long[] {3, 2}, c.shape());
            assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, c.toDoubleArray(), 0);
            Tensor d = of(dt, new double[] {7, 8, 9, 10, 11, 12}, 2, 3);
            Tensor e = Ops.concat(new Tensor[] {a, d, a.transpose(0, 1)}, -1); // a strided input too
            assertArrayEquals(new long[] {2, 7}, e.shape());
            assertArrayEquals(new double[] {1, 2, 7, 8, 9, 1, 3, 3, 4, 10, 11, 12, 2, 4}, e.toDoubleArray(), 0);
            Tensor empty = arena.empty(dt, 2, 0);
            assertArrayEquals(a.toDoubleArray(), Ops.concat(new Tensor[] {empty, a, empty}, 1).toDoubleArray(), 0);
        }
        // integer tensors join too (no gradients)
        Tensor i = Ops.concat(new Tensor[] {arena.fromArray(new long[] {1, 2}, 2), arena.fromArray(new long[] {3}, 1)}, 0);
        assertArrayEquals(new long[] {1, 2, 3}, i.toLongArray());
        // the count form reads only the first tensors of a reused array
        Tensor[] buf = {of(DType.F64, new double[] {1}, 1), of(DType.F64, new double[] {2}, 1), null};
        assertArrayEquals(new double[] {1, 2}, Ops.concat(buf, 2, 0).toDoubleArray(), 0);
    }

    @Test
    void stackAddsADim() {
        Tensor a = of(DType.F64, new double[] {1, 2, 3}, 3);
        Tensor b = of(DType.F64, new double[] {4, 5, 6}, 3);
        Tensor s0 = Ops.stack(new Tensor[] {a, b}, 0);
        assertArrayEquals(new long[] {2, 3}, s0.shape());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, s0.toDoubleArray(), 0);
        Tensor s1 = Ops.stack(new Tensor[] {a, b}, -1);
        assertArrayEquals(new long[] {3, 2}, s1.shape());
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, s1.toDoubleArray(), 0);
        Tensor sc = Ops.stack(new Tensor[] {arena.scalar(DType.F32, 7), arena.scalar(DType.F32, 8)}, 0);
        assertArrayEquals(new long[] {2}, sc.shape());
        assertArrayEquals(new double[] {7, 8}, sc.toDoubleArray(), 0);
        Tensor m = of(DType.F64, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor s = Ops.stack(new Tensor[] {m, m.slice(1, 0, 3).transpose(0, 1).transpose(0, 1)}, 1);
        assertArrayEquals(new long[] {2, 2, 3}, s.shape());
        assertEquals(6, s.getDouble(1, 1, 2), 0);
    }

    @Test
    void splitAndChunkAreViews() {
        Tensor x = arena.fromArray(new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 2, 5);
        Tensor[] p = Ops.split(x, 2, 1);
        assertEquals(3, p.length);
        assertArrayEquals(new long[] {2, 2}, p[0].shape());
        assertArrayEquals(new long[] {2, 1}, p[2].shape());
        assertArrayEquals(new double[] {2, 3, 7, 8}, p[1].toDoubleArray(), 0);
        x.setDouble(1, 4, -1);
        assertEquals(-1, p[2].getDouble(1, 0), 0, "a view of x");
        Tensor[] q = Ops.split(x, new long[] {1, 0, 4}, -1);
        assertArrayEquals(new long[] {2, 0}, q[1].shape());
        assertArrayEquals(new double[] {1, 2, 3, 4, 6, 7, 8, -1}, q[2].toDoubleArray(), 0);
        assertEquals(3, Ops.chunk(x, 3, 1).length); // ceil(5 / 3) = 2: pieces 2, 2, 1
        Tensor[] c = Ops.chunk(arena.arange(6), 4, 0); // ceil(6 / 4) = 2: three pieces, not four
        assertEquals(3, c.length);
        assertArrayEquals(new long[] {4, 5}, c[2].toLongArray());
        assertEquals(3, Ops.chunk(arena.zeros(DType.F64, 0), 3, 0).length, "an empty dim gives the chunks asked for, all empty");
        Tensor[] out = new Tensor[4];
        assertEquals(2, Ops.split(x, 1, 0, out));
        assertNull(out[2]);
        assertEquals(2, Ops.chunk(x, 2, 0, out));
        assertEquals(3, Ops.split(x, new long[] {2, 2, 1}, 1, out));
    }

    // ---------------------------------------------------------------- derivatives

    @Test
    void concatGradients() {
        Tensor a = rand(1, 2, 3).requiresGrad();
        Tensor b = rand(2, 2, 1).requiresGrad();
        Tensor c = rand(3, 2, 2); // a constant input: zeros tangent, no gradient
        check("concat dim 1", in -> Ops.concat(new Tensor[] {in[0], in[1], in[2]}, 1), a, b, c);
        check("concat dim 0 strided", in -> Ops.concat(new Tensor[] {in[0], in[1]}, 0),
                rand(4, 3, 2).transpose(0, 1).requiresGrad(), rand(5, 1, 3).requiresGrad());
        check("concat one tensor with itself", in -> Ops.concat(new Tensor[] {in[0], in[0]}, -1), rand(6, 3).requiresGrad());
        check("concat with an empty input", in -> Ops.concat(new Tensor[] {in[0], in[1]}, 0),
                rand(7, 2).requiresGrad(), arena.zeros(DType.F64, 0).requiresGrad());
    }

    @Test
    void stackGradients() {
        check("stack dim 0", in -> Ops.stack(new Tensor[] {in[0], in[1]}, 0), rand(8, 2, 2).requiresGrad(), rand(9, 2, 2).requiresGrad());
        check("stack dim -1, one constant", in -> Ops.stack(new Tensor[] {in[0], in[1], in[0]}, -1), rand(10, 3).requiresGrad(), rand(11, 3));
        check("stack rank 0", in -> Ops.stack(new Tensor[] {in[0], in[1]}, 0), rand(12).requiresGrad(), rand(13).requiresGrad());
        check("stack strided", in -> Ops.stack(new Tensor[] {in[0], in[0]}, 1), rand(14, 3, 2).transpose(0, 1).requiresGrad());
    }

    @Test
    void splitGradients() {
        Tensor w = rand(15, 2, 2);
        check("split", in -> {
            Tensor[] p = Ops.split(in[0], 2, 1);
            return Ops.concat(new Tensor[] {Ops.mul(p[0], in[1]), p[2], p[1]}, 1);
        }, rand(16, 2, 5).requiresGrad(), w);
        check("split sizes", in -> {
            Tensor[] p = Ops.split(in[0], new long[] {1, 2}, 0);
            return Ops.add(Ops.sum(p[0], 0, false), Ops.sum(p[1], 0, false));
        }, rand(17, 3, 2).transpose(0, 1).transpose(0, 1).requiresGrad());
        check("chunk", in -> {
            Tensor[] p = Ops.chunk(in[0], 2, -1);
            return Ops.mul(p[0], p[1]);
        }, rand(18, 3, 4).requiresGrad());
    }

    @Test
    void concatGradientIsTheMatchingSliceOfG() {
        Tensor a = arena.fromArray(new double[] {1, 2}, 2).requiresGrad();
        Tensor b = arena.fromArray(new double[] {3, 4, 5}, 3).requiresGrad();
        Tensor seed = arena.fromArray(new double[] {10, 20, 30, 40, 50}, 5);
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.concat(new Tensor[] {a, b}, 0), seed);
        }
        assertArrayEquals(new double[] {10, 20}, a.grad().toDoubleArray(), 0);
        assertArrayEquals(new double[] {30, 40, 50}, b.grad().toDoubleArray(), 0);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badArgumentsNameTheOpIndexAndShapes() {
        Tensor a = arena.zeros(DType.F64, 2, 3);
        Tensor b = arena.zeros(DType.F64, 2, 4);
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[] {a, b}, 0),
                "concat", "input 1", "f64[2, 4]", "input 0", "f64[2, 3]", "dim 0");
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[] {a, arena.zeros(DType.F32, 2, 3)}, 0),
                "concat", "input 1", "f32[2, 3]", "dtype");
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[] {a, arena.zeros(DType.F64, 6)}, 0),
                "concat", "input 1", "f64[6]", "rank 2");
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[0], 0), "concat", "0 tensors");
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[] {a, null}, 0), "concat", "input 1 is null");
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[] {arena.scalar(DType.F64, 1)}, 0),
                "concat", "no dims");
        assertMessage(IllegalArgumentException.class, () -> Ops.concat(new Tensor[] {a}, 2), "concat", "dim 2");
        assertMessage(IllegalArgumentException.class, () -> Ops.stack(new Tensor[] {a, b}, 0),
                "stack", "input 1", "f64[2, 4]", "f64[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> Ops.stack(new Tensor[] {a}, 3), "stack", "dim 3", "-3..2");
        assertMessage(IllegalArgumentException.class, () -> Ops.split(a, new long[] {1, 1}, 1), "split", "[1, 1]", "summing to 3");
        assertMessage(IllegalArgumentException.class, () -> Ops.split(a, 0, 1), "split", "split size 0");
        assertMessage(IllegalArgumentException.class, () -> Ops.split(a, 1, 1, new Tensor[2]), "split", "3 pieces", "room for 2");
        assertMessage(IllegalArgumentException.class, () -> Ops.chunk(a, 0, 0), "chunk", "0 chunks");
        assertMessage(IllegalArgumentException.class, () -> Ops.chunk(arena.scalar(DType.F64, 1), 2, 0), "chunk", "no dims");
    }
}
