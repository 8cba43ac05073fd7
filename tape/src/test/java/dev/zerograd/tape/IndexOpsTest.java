package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IndexOpsTest {
    private static final GradCheck.Options SECOND = GradCheck.Options.defaults().withSecondOrder(true);

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("index-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor x34() {
        return arena.fromArray(new double[] {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}, 3, 4);
    }

    @Test
    void gatherForwardAlongEachDim() {
        Tensor x = x34();
        Tensor i1 = arena.fromArray(new long[] {3, 0, 1, 1, 2, 3}, 3, 2);
        assertArrayEquals(new double[] {3, 0, 11, 11, 22, 23}, Ops.gather(x, 1, i1).toDoubleArray(), 0);
        Tensor i0 = arena.fromArray(new int[] {2, 0, 1, 2}, 1, 4);
        assertArrayEquals(new double[] {20, 1, 12, 23}, Ops.gather(x, 0, i0).toDoubleArray(), 0);
        assertArrayEquals(new double[] {20, 1, 12, 23}, Ops.gather(x, -2, i0).toDoubleArray(), 0);
        // a transposed x: gather along dim 0 of x^T is gather along dim 1 of x
        Tensor it = arena.fromArray(new long[] {3, 1, 0, 2, 2, 2}, 2, 3);
        Tensor out = Ops.gather(x.transpose(0, 1), 0, it);
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(x.getDouble(c, (long) it.getDouble(r, c)), out.getDouble(r, c), 0);
            }
        }
    }

    @Test
    void scatterAddAccumulatesRepeatedIndicesOutOfPlace() {
        Tensor base = arena.fromArray(new double[] {1, 1, 1, 1, 1, 1}, 2, 3);
        Tensor index = arena.fromArray(new long[] {0, 0, 2, 1}, 2, 2);
        Tensor src = arena.fromArray(new double[] {5, 7, 2, 3}, 2, 2);
        Tensor out = Ops.scatterAdd(base, 1, index, src);
        assertArrayEquals(new double[] {13, 1, 1, 1, 4, 3}, out.toDoubleArray(), 0);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, base.toDoubleArray(), 0); // base untouched
    }

    @Test
    void indexSelectAndIndexAdd() {
        Tensor x = x34();
        Tensor idx = arena.fromArray(new long[] {2, 0, 2}, 3);
        assertArrayEquals(new double[] {20, 21, 22, 23, 0, 1, 2, 3, 20, 21, 22, 23}, Ops.indexSelect(x, 0, idx).toDoubleArray(), 0);
        Tensor cols = arena.fromArray(new int[] {3, 1}, 2);
        assertArrayEquals(new double[] {3, 1, 13, 11, 23, 21}, Ops.indexSelect(x, 1, cols).toDoubleArray(), 0);
        Tensor base = arena.zeros(DType.F64, 3, 2);
        Tensor src = arena.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
        assertArrayEquals(new double[] {3, 4, 0, 0, 6, 8}, Ops.indexAdd(base, 0, idx, src).toDoubleArray(), 0);
    }

    @Test
    void gradcheckGatherAndScatterAdd() {
        Tensor x = GradCheck.uniform(arena, 1, -1, 1, 3, 4).requiresGrad();
        Tensor idx = arena.fromArray(new long[] {3, 0, 0, 1, 2, 3}, 3, 2); // a repeated index: gradients accumulate
        GradCheck.check("gather dim 1", SECOND, in -> Ops.gather(in[0], 1, in[1]), x, idx);
        GradCheck.check("square(gather) dim 1", SECOND, in -> Ops.square(Ops.gather(in[0], 1, in[1])), x, idx);
        Tensor idx0 = arena.fromArray(new int[] {2, 0, 1, 2, 0, 0, 1, 1}, 2, 4);
        GradCheck.check("square(gather) dim 0, i32", SECOND, in -> Ops.square(Ops.gather(in[0], 0, in[1])), x, idx0);
        Tensor xt = GradCheck.uniform(arena, 2, -1, 1, 4, 3).transpose(0, 1).requiresGrad();
        GradCheck.check("square(gather) of a transposed view", SECOND, in -> Ops.square(Ops.gather(in[0], -1, in[1])), xt, idx);

        Tensor base = GradCheck.uniform(arena, 3, -1, 1, 3, 4).requiresGrad();
        Tensor src = GradCheck.uniform(arena, 4, -1, 1, 3, 2).requiresGrad();
        GradCheck.check("scatter_add", SECOND, in -> Ops.scatterAdd(in[0], 1, in[1], in[2]), base, idx, src);
        GradCheck.check("square(scatter_add)", SECOND, in -> Ops.square(Ops.scatterAdd(in[0], 1, in[1], in[2])), base, idx, src);
        Tensor srcT = GradCheck.uniform(arena, 5, -1, 1, 2, 3).transpose(0, 1).requiresGrad();
        GradCheck.check("square(scatter_add) with a transposed src", SECOND,
                in -> Ops.square(Ops.scatterAdd(in[0], 1, in[1], in[2])), base, idx, srcT);
    }

    @Test
    void gradcheckIndexSelectAndIndexAdd() {
        Tensor x = GradCheck.uniform(arena, 6, -1, 1, 3, 4).requiresGrad();
        Tensor rows = arena.fromArray(new long[] {2, 0, 2}, 3);
        Tensor cols = arena.fromArray(new int[] {1, 3}, 2);
        GradCheck.check("index_select dim 0", SECOND, in -> Ops.indexSelect(in[0], 0, in[1]), x, rows);
        GradCheck.check("square(index_select) dim 1", SECOND, in -> Ops.square(Ops.indexSelect(in[0], 1, in[1])), x, cols);
        Tensor xt = GradCheck.uniform(arena, 7, -1, 1, 4, 3).transpose(0, 1).requiresGrad();
        GradCheck.check("square(index_select) of a transposed view", SECOND, in -> Ops.square(Ops.indexSelect(in[0], 0, in[1])), xt, rows);

        Tensor base = GradCheck.uniform(arena, 8, -1, 1, 3, 4).requiresGrad();
        Tensor src = GradCheck.uniform(arena, 9, -1, 1, 3, 4).requiresGrad();
        GradCheck.check("index_add dim 0", SECOND, in -> Ops.indexAdd(in[0], 0, in[1], in[2]), base, rows, src);
        Tensor src1 = GradCheck.uniform(arena, 10, -1, 1, 3, 2).requiresGrad();
        GradCheck.check("square(index_add) dim 1", SECOND, in -> Ops.square(Ops.indexAdd(in[0], 1, in[1], in[2])), base, cols, src1);
    }

    @Test
    void embeddingPicksRowsForIndicesOfAnyShape() {
        Tensor w = GradCheck.uniform(arena, 11, -1, 1, 5, 3);
        Tensor idx = arena.fromArray(new int[] {4, 0, 4, 2, 1, 3}, 2, 3);
        Tensor e = Ops.embedding(w, idx);
        assertArrayEquals(new long[] {2, 3, 3}, e.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    assertEquals(w.getDouble((long) idx.getDouble(i, j), k), e.getDouble(i, j, k), 0);
                }
            }
        }
        Tensor idxT = idx.transpose(0, 1); // strided indices are copied before flattening
        Tensor et = Ops.embedding(w, idxT);
        assertArrayEquals(new long[] {3, 2, 3}, et.shape());
        assertEquals(w.getDouble(4, 2), et.getDouble(2, 0, 2), 0);
        Tensor one = arena.scalar(DType.I64, 3);
        assertArrayEquals(new double[] {w.getDouble(3, 0), w.getDouble(3, 1), w.getDouble(3, 2)}, Ops.embedding(w, one).toDoubleArray(), 0);

        w.requiresGrad();
        GradCheck.check("embedding", SECOND, in -> Ops.square(Ops.embedding(in[0], in[1])), w, idx);
        GradCheck.check("embedding with strided indices", SECOND, in -> Ops.square(Ops.embedding(in[0], in[1])), w, idxT);
        // backward accumulates repeated rows
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.sum(Ops.embedding(w, idx)));
        }
        assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2}, w.grad().toDoubleArray(), 0);
    }

    @Test
    void oneHotIsAFloatTensorAndNeverRecorded() {
        Tensor labels = arena.fromArray(new long[] {2, 0, 1}, 3);
        Tensor h = Ops.oneHot(labels, 4, DType.F32);
        assertEquals(DType.F32, h.dtype());
        assertArrayEquals(new long[] {3, 4}, h.shape());
        assertArrayEquals(new double[] {0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}, h.toDoubleArray(), 0);
        Tensor l2 = arena.fromArray(new int[] {1, 0}, 2, 1);
        assertArrayEquals(new long[] {2, 1, 2}, Ops.oneHot(l2, 2, DType.F64).shape());
        try (GradientTape tape = GradientTape.record(arena)) {
            assertFalse(Ops.oneHot(labels, 3, DType.F64).needsGrad());
            assertEquals(0, tape.size());
        }
    }

    @Test
    void f32GatherGradient() {
        Tensor x = arena.fromArray(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad();
        Tensor idx = arena.fromArray(new long[] {1, 1, 0, 1}, 2, 2);
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(Ops.sum(Ops.gather(x, 1, idx)));
        }
        assertEquals(DType.F32, x.grad().dtype());
        assertArrayEquals(new float[] {0, 2, 1, 1}, x.grad().toFloatArray(), 0);
    }

    @Test
    void forwardModeThroughIndexOps() {
        Tensor x = arena.fromArray(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor t = arena.fromArray(new double[] {10, 20, 30, 40}, 2, 2);
        Tensor idx = arena.fromArray(new long[] {1, 0}, 2);
        try (Tape.Guard fw = ForwardAD.scope()) {
            ForwardAD.dual(x, t);
            Tensor y = Ops.indexSelect(x, 0, idx);
            assertArrayEquals(new double[] {30, 40, 10, 20}, y.tangent().toDoubleArray(), 0);
        } finally {
            x.setTangent(null);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = x34();
        Tensor bad = arena.fromArray(new long[] {0, 4}, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ops.gather(x, 1, bad));
        assertTrue(e.getMessage().startsWith("gather:") && e.getMessage().contains("index value 4")
                && e.getMessage().contains("position 1") && e.getMessage().contains("[0, 4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.gather(x, 2, bad));
        assertTrue(e.getMessage().startsWith("gather: dim 2 is out of range") && e.getMessage().contains("f64[3, 4]"), e.getMessage());
        Tensor fidx = arena.zeros(DType.F64, 1, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.gather(x, 1, fidx));
        assertTrue(e.getMessage().startsWith("gather: index f64[1, 2]") && e.getMessage().contains("i32 or i64"), e.getMessage());
        Tensor flat = arena.fromArray(new long[] {0}, 1);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.gather(x, 1, flat));
        assertTrue(e.getMessage().contains("rank"), e.getMessage());
        Tensor neg = arena.fromArray(new long[] {-1}, 1);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.indexSelect(x, 0, neg));
        assertTrue(e.getMessage().startsWith("index_select:") && e.getMessage().contains("index value -1"), e.getMessage());
        Tensor f32 = arena.zeros(DType.F32, 3, 2);
        Tensor idx = arena.fromArray(new long[] {0, 1, 0, 1, 0, 1}, 3, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.scatterAdd(x, 1, idx, f32));
        assertTrue(e.getMessage().startsWith("scatter_add:") && e.getMessage().contains("f32[3, 2]"), e.getMessage());
        Tensor labels = arena.fromArray(new long[] {0, 5}, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.oneHot(labels, 5, DType.F32));
        assertTrue(e.getMessage().startsWith("one_hot:") && e.getMessage().contains("label 5"), e.getMessage());
        Tensor w = arena.zeros(DType.F64, 4, 2);
        Tensor tooBig = arena.fromArray(new long[] {4}, 1);
        e = assertThrows(IllegalArgumentException.class, () -> Ops.embedding(w, tooBig));
        assertTrue(e.getMessage().startsWith("index_select:") && e.getMessage().contains("index value 4"), e.getMessage());
    }
}
