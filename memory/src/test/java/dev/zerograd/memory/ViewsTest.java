package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** reshape, transpose, permute, slice, expand and TensorArena.view: geometry, shared bytes, bad arguments. */
class ViewsTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("views", 1 << 20);
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

    /** 0, 1, 2, ... as f64 in the given shape. */
    private Tensor iota(long... shape) {
        return arena.arange(DType.F64, 0, Shapes.numel(shape, shape.length), 1).reshape(shape);
    }

    @Test
    void reshapeInfersOneSizeAndSharesMemory() {
        Tensor t = iota(2, 3);
        Tensor r = t.reshape(3, -1);
        assertArrayEquals(new long[] {3, 2}, r.shape());
        assertArrayEquals(new long[] {2, 1}, r.strides());
        assertEquals(t.byteOffset(), r.byteOffset());
        assertEquals(3.0, r.getDouble(1, 1));
        r.setDouble(2, 0, -4.0);
        assertEquals(-4.0, t.getDouble(1, 1), "a write through the view shows in the base");
        t.setDouble(0, 0, 7.0);
        assertEquals(7.0, r.getDouble(0, 0), "and the other way round");
        assertArrayEquals(new long[] {6}, t.reshape(-1).shape());
        assertArrayEquals(new long[] {1, 2, 1, 3}, t.reshape(1, -1, 1, 3).shape());
        assertEquals(0, arena.scalar(DType.F32, 1).reshape().rank());
        assertArrayEquals(new long[] {1, 1}, arena.scalar(DType.F32, 1).reshape(-1, 1).shape());
    }

    @Test
    void reshapeRejectsBadTargets() {
        Tensor t = iota(2, 3);
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2)).getMessage(),
                "reshape", "[4, 2]", "8 elements", "f64[2, 3]", "6 elements");
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1)).getMessage(),
                "[-1, -1]", "more than one -1");
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, 4)).getMessage(),
                "cannot infer -1", "[-1, 4]");
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.reshape(-2, -3)).getMessage(),
                "negative size -2");
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.reshape(1, 1, 1, 1, 1, 1, 2, 3, 1)).getMessage(),
                "rank above 8");
        Tensor tt = t.transpose(0, 1);
        assertContains(assertThrows(IllegalArgumentException.class, () -> tt.reshape(6)).getMessage(),
                "not contiguous", "f64[3, 2]", "strided [1, 3]");
    }

    @Test
    void transposeSwapsShapeAndStrides() {
        Tensor t = iota(2, 3);
        Tensor tt = t.transpose(0, 1);
        assertArrayEquals(new long[] {3, 2}, tt.shape());
        assertArrayEquals(new long[] {1, 3}, tt.strides());
        assertFalse(tt.isContiguous());
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, tt.toDoubleArray());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, tt.toFloatArray());
        assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5}, tt.toLongArray());
        assertEquals(5.0, tt.getDouble(2, 1));
        assertArrayEquals(tt.toDoubleArray(), t.transpose(-1, -2).toDoubleArray());
        assertTrue(tt.transpose(1, 0).isContiguous());
        assertContains(assertThrows(IndexOutOfBoundsException.class, () -> t.transpose(0, 2)).getMessage(),
                "transpose", "dim 2", "rank-2");
    }

    @Test
    void permuteReordersDims() {
        Tensor t = iota(2, 3, 4);
        Tensor p = t.permute(2, 0, 1);
        assertArrayEquals(new long[] {4, 2, 3}, p.shape());
        assertArrayEquals(new long[] {1, 12, 4}, p.strides());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    assertEquals(t.getDouble(i, j, k), p.getDouble(k, i, j));
                }
            }
        }
        assertArrayEquals(p.shape(), t.permute(-1, 0, 1).shape());
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.permute(0, 0, 1)).getMessage(),
                "permute", "[0, 0, 1]", "not a permutation of 0..2");
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1)).getMessage(),
                "2 dims given", "f64[2, 3, 4]");
        assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1, 3));
        assertThrows(IllegalArgumentException.class, () -> t.permute(0, 1, -4));
    }

    @Test
    void sliceWithStepsNegativesAndClamping() {
        Tensor t = iota(10);
        assertArrayEquals(new double[] {2, 3, 4}, t.slice(0, 2, 5).toDoubleArray());
        assertArrayEquals(new double[] {1, 4, 7}, t.slice(0, 1, 10, 3).toDoubleArray());
        assertArrayEquals(new double[] {1, 4, 7}, t.slice(0, 1, 9, 3).toDoubleArray(), "size is ceil(8 / 3)");
        assertArrayEquals(new double[] {7, 8}, t.slice(0, -3, -1).toDoubleArray());
        assertArrayEquals(new double[] {8, 9}, t.slice(0, 8, 100).toDoubleArray(), "end is clamped");
        assertEquals(0, t.slice(0, 10, 10).numel());
        assertEquals(0, t.slice(0, 4, 4).numel());
        assertArrayEquals(new double[] {3}, t.slice(0, 3, 10, Long.MAX_VALUE).toDoubleArray(), "a huge step does not overflow");

        Tensor m = iota(3, 4);
        Tensor cols = m.slice(1, 1, 4, 2);
        assertArrayEquals(new long[] {3, 2}, cols.shape());
        assertArrayEquals(new long[] {4, 2}, cols.strides());
        assertArrayEquals(new double[] {1, 3, 5, 7, 9, 11}, cols.toDoubleArray());
        assertArrayEquals(new double[] {5, 7, 9, 11}, cols.slice(0, 1, 3).toDoubleArray());
        cols.fill(-1);
        assertArrayEquals(new double[] {0, -1, 2, -1, 4, -1, 6, -1, 8, -1, 10, -1}, m.toDoubleArray());
        Tensor row = m.slice(-2, 2, 3);
        assertTrue(row.isContiguous());
        assertEquals(8.0 * 8, row.byteOffset() - m.byteOffset());
    }

    @Test
    void sliceRejectsBadRanges() {
        Tensor t = iota(4, 5);
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.slice(1, 6, 7)).getMessage(),
                "slice", "[6, 7)", "dim 1 of size 5", "f64[4, 5]");
        assertThrows(IllegalArgumentException.class, () -> t.slice(0, 3, 2));
        assertThrows(IllegalArgumentException.class, () -> t.slice(0, -5, 2));
        assertThrows(IllegalArgumentException.class, () -> t.slice(0, 0, -5));
        assertContains(assertThrows(IllegalArgumentException.class, () -> t.slice(0, 0, 4, 0)).getMessage(),
                "step 0", "must be positive");
        assertThrows(IllegalArgumentException.class, () -> t.slice(0, 0, 4, -1));
        assertContains(assertThrows(IndexOutOfBoundsException.class, () -> t.slice(2, 0, 1)).getMessage(),
                "slice", "dim 2");
    }

    @Test
    void expandBroadcastsWithStrideZero() {
        Tensor col = iota(3, 1);
        Tensor e = col.expand(2, 3, 4);
        assertArrayEquals(new long[] {2, 3, 4}, e.shape());
        assertArrayEquals(new long[] {0, 1, 0}, e.strides());
        assertEquals(24, e.numel());
        assertFalse(e.isContiguous());
        assertEquals(2.0, e.getDouble(1, 2, 3));
        assertArrayEquals(new double[] {0, 0, 1, 1, 2, 2}, col.expand(-1, 2).toDoubleArray());
        e.setDouble(0, 1, 0, 9.0);
        assertEquals(9.0, e.getDouble(1, 1, 3), "every broadcast copy is the same element");
        assertEquals(9.0, col.getDouble(1, 0));
        assertEquals(0, col.expand(0, 3, 1).numel());

        assertContains(assertThrows(IllegalArgumentException.class, () -> col.expand(2, 2)).getMessage(),
                "expand", "f64[3, 1]", "[2, 2]");
        assertContains(assertThrows(IllegalArgumentException.class, () -> col.expand(4, 4)).getMessage(),
                "dim 0 has size 3, expected 1 or 4");
        assertThrows(IllegalArgumentException.class, () -> col.expand(4));
        assertContains(assertThrows(IllegalArgumentException.class, () -> col.expand(-1, 3, 1)).getMessage(),
                "new leading dim 0");
        assertThrows(IllegalArgumentException.class, () -> col.expand(3, -2));
    }

    @Test
    void arenaViewChecksTheGeometryAgainstTheBase() {
        Tensor t = iota(10);
        Tensor reversed = arena.view(t, 1, new long[] {10}, new long[] {-1}, 9);
        assertArrayEquals(new double[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, reversed.toDoubleArray());
        Tensor pairs = arena.view(t, 2, new long[] {5, 2}, new long[] {2, 1}, 0);
        assertEquals(7.0, pairs.getDouble(3, 1));
        Tensor again = arena.view(reversed, 1, new long[] {3}, new long[] {-3}, 0); // from t[9] down by 3
        assertArrayEquals(new double[] {9, 6, 3}, again.toDoubleArray());

        assertContains(assertThrows(IllegalArgumentException.class,
                        () -> arena.view(t, 1, new long[] {11}, new long[] {1}, 0)).getMessage(),
                "view", "[11]", "reaches elements [0, 10]", "outside [0, 9]", "f64[10]");
        assertThrows(IllegalArgumentException.class, () -> arena.view(t, 1, new long[] {2}, new long[] {1}, -1));
        assertThrows(IllegalArgumentException.class, () -> arena.view(t, 1, new long[] {2}, new long[] {1}, 9));
        assertThrows(IllegalArgumentException.class, () -> arena.view(t, 1, new long[] {3}, new long[] {-1}, 1));
        assertThrows(IllegalArgumentException.class, () -> arena.view(t, 2, new long[] {5, 3}, new long[] {2, 1}, 0));
        assertThrows(IllegalArgumentException.class, () -> arena.view(reversed, 1, new long[] {2}, new long[] {1}, 9));
        assertContains(assertThrows(IllegalArgumentException.class,
                        () -> arena.view(t, 1, new long[] {5}, new long[] {1L << 62}, 0)).getMessage(),
                "overflows");
        assertThrows(IllegalArgumentException.class, () -> arena.view(t, 2, new long[] {2, 2}, new long[] {Long.MAX_VALUE, 1}, 0));
        assertThrows(IllegalArgumentException.class, () -> arena.view(t, 1, new long[] {-1}, new long[] {1}, 0));

        Tensor empty = arena.zeros(DType.F64, 0, 4);
        assertContains(assertThrows(IllegalArgumentException.class,
                        () -> arena.view(empty, 1, new long[] {4}, new long[] {1}, 0)).getMessage(),
                "has no elements");
        assertEquals(0, arena.view(empty, 1, new long[] {0}, new long[] {1}, 0).numel());
        assertEquals(0, arena.view(t, 1, new long[] {0}, new long[] {1}, 100).numel(), "an empty view reaches nothing");
    }

    @Test
    void elementAccessorsForEveryRank() {
        Tensor s = arena.scalar(DType.F32, 1);
        s.setDouble(2.0);
        assertEquals(2.0, s.getDouble());
        s.setFloat(3f);
        assertEquals(3f, s.getFloat());

        Tensor v = arena.zeros(DType.I32, 5);
        v.setDouble(4, 7);
        v.setFloat(3, 6f);
        assertEquals(7.0, v.getDouble(4));
        assertEquals(6f, v.getFloat(3));

        Tensor m = arena.zeros(DType.F64, 2, 3);
        m.setDouble(1, 2, 1.5);
        m.setFloat(0, 1, 0.5f);
        assertEquals(1.5, m.getDouble(1, 2));
        assertEquals(0.5f, m.getFloat(0, 1));

        Tensor c = arena.zeros(DType.F32, 2, 3, 4);
        c.setDouble(1, 2, 3, 9);
        assertEquals(9.0, c.getDouble(1, 2, 3));
        assertEquals(9f, c.getFloat(1, 2, 3));
        assertEquals(9.0, c.getDoubleFlat(23));

        Tensor h = arena.zeros(DType.I64, 2, 3, 4, 5);
        h.setDouble(1, 2, 3, 4, 11);
        assertEquals(11.0, h.getDouble(1, 2, 3, 4));
        assertEquals(11f, h.getFloat(1, 2, 3, 4));
        assertEquals(11.0, h.getDouble(new long[] {1, 2, 3, 4}));
        assertEquals(120, h.numel());
        h.setDouble(new long[] {0, 1, 2, 3}, -5);
        assertEquals(-5.0, h.getDoubleFlat(20 + 10 + 3));

        Tensor r6 = arena.zeros(DType.F32, 2, 1, 2, 1, 2, 1);
        r6.setDouble(new long[] {1, 0, 1, 0, 1, 0}, 4);
        assertEquals(4.0, r6.getDoubleFlat(7));
        r6.setDoubleFlat(0, 8);
        assertEquals(8.0, r6.getDouble(new long[6]));
    }

    @Test
    void outOfRangeIndicesNameTheIndexAndTheTensor() {
        Tensor m = arena.zeros(DType.F32, 2, 3);
        assertContains(assertThrows(IndexOutOfBoundsException.class, () -> m.getDouble(1, 3)).getMessage(),
                "getDouble", "index 3 is out of range [0, 3) at dim 1", "f32[2, 3]");
        assertContains(assertThrows(IndexOutOfBoundsException.class, () -> m.setDouble(-1, 0, 1)).getMessage(),
                "setDouble", "index -1", "dim 0");
        assertContains(assertThrows(IllegalArgumentException.class, () -> m.getDouble(1)).getMessage(),
                "1 indices given for a rank-2 tensor");
        assertThrows(IllegalArgumentException.class, () -> m.getDouble(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> m.getDouble(new long[] {0}));
        assertThrows(IndexOutOfBoundsException.class, () -> m.getDouble(new long[] {2, 0}));
        assertContains(assertThrows(IndexOutOfBoundsException.class, () -> m.getDoubleFlat(6)).getMessage(),
                "flat index 6", "[0, 6)");
        assertThrows(IndexOutOfBoundsException.class, () -> m.setDoubleFlat(-1, 0));
        assertContains(assertThrows(IllegalStateException.class, m::item).getMessage(), "6 elements", "exactly 1");
        assertContains(assertThrows(IndexOutOfBoundsException.class, () -> m.size(2)).getMessage(), "size", "dim 2");
        assertEquals(3, m.size(-1));
        assertEquals(1, m.stride(-1));
        assertEquals(3, m.stride(0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.stride(-3));
    }

    @Test
    void stridedViewsReadAndWriteInLogicalOrder() {
        Tensor t = iota(2, 3, 4);
        Tensor v = t.permute(1, 2, 0).slice(1, 1, 4, 2); // [3, 2, 2]
        assertArrayEquals(new long[] {3, 2, 2}, v.shape());
        double[] expected = new double[12];
        int n = 0;
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 2; k++) {
                    expected[n++] = t.getDouble(k, i, 1 + 2 * j);
                }
            }
        }
        assertArrayEquals(expected, v.toDoubleArray());
        float[] asFloat = v.toFloatArray();
        for (int i = 0; i < 12; i++) {
            assertEquals((float) expected[i], asFloat[i]);
            assertEquals(expected[i], v.getDoubleFlat(i));
        }
        for (int i = 0; i < 12; i++) {
            v.setDoubleFlat(i, 100 + i);
        }
        assertEquals(100 + 11, t.getDouble(1, 2, 3));
        assertEquals(100, t.getDouble(0, 0, 1));
        assertEquals(0.0, t.getDouble(0, 0, 0), "elements outside the view are untouched");

        Tensor f = arena.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, f.toFloatArray());
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, f.toDoubleArray());
    }

    @Test
    void viewsTakeTheirHandleFromTheTensorsArena() {
        Tensor t = iota(4);
        int before = arena.handlesInUse();
        Tensor r = t.reshape(2, 2);
        assertTrue(r.arena() == arena);
        assertEquals(before + 1, arena.handlesInUse());
        assertEquals(arena.bytesInUse(), 64, "views take no bytes");
        assertContains(r.describe(), "f64[2, 2] cpu");
        assertContains(r.transpose(0, 1).describe(), "strided [1, 2]");
        assertContains(r.toString(), "Tensor(f64[2, 2] cpu, [0.0, 1.0, 2.0, 3.0])");
    }
}
