package dev.zerograd.kernels;

import static dev.zerograd.kernels.RefTensors.assertClose;
import static dev.zerograd.kernels.RefTensors.flatten;
import static dev.zerograd.kernels.RefTensors.make;
import static dev.zerograd.kernels.RefTensors.unflatten;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.RefTensors.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IndexTest {
    private final TensorArena arena = TensorArena.ofConfined(16 << 20);

    @AfterEach
    void close() {
        BlockMath.simd = true;
        arena.close();
    }

    private Tensor indices(DType it, long[] shape, long bound, long seed, boolean transposed) {
        Random rnd = new Random(seed);
        double[] v = new double[(int) RefTensors.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextInt((int) Math.max(1, bound));
        }
        if (!transposed || shape.length < 2) {
            return arena.fromArray(it, v, shape);
        }
        long[] rev = shape.clone();
        long t = rev[0];
        rev[0] = rev[1];
        rev[1] = t;
        Tensor idx = arena.empty(it, rev).transpose(0, 1);
        for (int i = 0; i < v.length; i++) {
            idx.setDoubleFlat(i, v[i]);
        }
        return idx;
    }

    @Test
    void gatherAndScatterAddMatchReference() {
        long[][][] cases = {{{4, 5}, {4, 3}}, {{3, 4, 5}, {2, 6, 5}}, {{6}, {9}}, {{}, {}}, {{3, 4}, {3, 0}}, {{2, 3, 40}, {2, 3, 33}}};
        long seed = 1;
        for (DType dt : RefTensors.FLOATS) {
            for (DType it : new DType[] {DType.I32, DType.I64}) {
                for (long[][] c : cases) {
                    long[] xs = c[0], is = c[1];
                    for (int dim = 0; dim < Math.max(1, xs.length); dim++) {
                        for (Layout layout : RefTensors.LAYOUTS) {
                            arena.reset();
                            long[] idxShape = is.clone();
                            for (int k = 0; k < xs.length; k++) {
                                if (k != dim) {
                                    idxShape[k] = Math.min(is[k], xs[k]);
                                }
                            }
                            Tensor x = make(arena, dt, layout, xs, seed++);
                            long bound = xs.length == 0 ? 1 : xs[dim];
                            Tensor idx = indices(it, idxShape, bound, seed++, layout == Layout.TRANSPOSED);
                            Tensor out = arena.empty(dt, idxShape);
                            Index.gather(x, dim, idx, out);
                            double[] xv = x.toDoubleArray();
                            long[] iv = idx.toLongArray();
                            double[] expected = new double[iv.length];
                            long[] pos = new long[idxShape.length];
                            for (int p = 0; p < iv.length; p++) {
                                unflatten(p, idxShape, pos);
                                if (xs.length > 0) {
                                    pos[dim] = iv[p];
                                }
                                expected[p] = xv[(int) flatten(pos, xs)];
                            }
                            String what = "gather " + x.describe() + " dim " + dim + " index " + idx.describe();
                            assertClose(what, expected, out.toDoubleArray(), 0);

                            // scatter_add_: src of index's shape (grown by one where allowed) into a copy of x.
                            long[] srcShape = idxShape.clone();
                            for (int k = 0; k < srcShape.length; k++) {
                                srcShape[k]++;
                            }
                            Tensor src = make(arena, dt, layout, srcShape, seed++);
                            Tensor acc = make(arena, dt, Layout.CONTIGUOUS, xs, seed++);
                            double[] accv = acc.toDoubleArray(), sv = src.toDoubleArray();
                            long[] spos = new long[srcShape.length];
                            for (int p = 0; p < iv.length; p++) {
                                unflatten(p, idxShape, pos);
                                System.arraycopy(pos, 0, spos, 0, pos.length);
                                double v = sv[(int) flatten(spos, srcShape)];
                                if (xs.length > 0) {
                                    pos[dim] = iv[p];
                                }
                                accv[(int) flatten(pos, xs)] += v;
                            }
                            Index.scatterAddInPlace(acc, dim, idx, src);
                            assertClose("scatterAdd " + what, accv, acc.toDoubleArray(), RefTensors.tol(dt));
                        }
                    }
                }
            }
        }
    }

    @Test
    void indexSelectAndIndexAddMatchReference() {
        long[][] shapes = {{7, 5}, {3, 4, 6}, {9}, {4, 0}, {5, 130}};
        long seed = 3;
        for (boolean simd : new boolean[] {true, false}) {
            BlockMath.simd = simd;
            for (DType dt : new DType[] {DType.F32, DType.F64, DType.I64}) {
                for (long[] xs : shapes) {
                    for (int dim = 0; dim < xs.length; dim++) {
                        if (xs[dim] == 0) {
                            continue; // no valid index
                        }
                        for (Layout layout : RefTensors.LAYOUTS) {
                            arena.reset();
                            Tensor x = dt == DType.I64 ? indices(DType.I64, xs, 1000, seed++, false) : make(arena, dt, layout, xs, seed++);
                            int m = 4;
                            Tensor idx = indices(DType.I32, new long[] {m}, xs[dim], seed++, false);
                            if (layout == Layout.STRIDED) {
                                Tensor wide = indices(DType.I64, new long[] {2 * m}, xs[dim], seed++, false);
                                idx = wide.slice(0, 0, 2 * m, 2);
                            }
                            long[] os = xs.clone();
                            os[dim] = m;
                            Tensor out = layout == Layout.TRANSPOSED && os.length == 2
                                    ? arena.empty(dt, os[1], os[0]).transpose(0, 1) : arena.empty(dt, os);
                            Index.indexSelect(x, dim, idx, out);
                            double[] xv = x.toDoubleArray();
                            long[] iv = idx.toLongArray();
                            double[] expected = new double[(int) RefTensors.numel(os)];
                            long[] pos = new long[os.length];
                            for (int p = 0; p < expected.length; p++) {
                                unflatten(p, os, pos);
                                pos[dim] = iv[(int) pos[dim]];
                                expected[p] = xv[(int) flatten(pos, xs)];
                            }
                            String what = "indexSelect " + x.describe() + " dim " + dim + " simd " + simd;
                            assertClose(what, expected, out.toDoubleArray(), 0);
                            if (dt == DType.I64) {
                                continue;
                            }
                            Tensor src = make(arena, dt, layout, os, seed++);
                            Tensor acc = make(arena, dt, Layout.CONTIGUOUS, xs, seed++);
                            double[] accv = acc.toDoubleArray(), sv = src.toDoubleArray();
                            for (int p = 0; p < sv.length; p++) {
                                unflatten(p, os, pos);
                                pos[dim] = iv[(int) pos[dim]];
                                accv[(int) flatten(pos, xs)] += sv[p];
                            }
                            Index.indexAddInPlace(acc, dim, idx, src);
                            assertClose("indexAdd " + what, accv, acc.toDoubleArray(), RefTensors.tol(dt));
                        }
                    }
                }
            }
        }
    }

    @Test
    void oneHot() {
        Tensor labels = arena.fromArray(new int[] {2, 0, 1, 2}, 2, 2);
        for (DType dt : new DType[] {DType.F32, DType.F64, DType.I32, DType.I64}) {
            Tensor out = arena.empty(dt, 2, 2, 3);
            Index.oneHot(labels, 3, out);
            assertArrayEquals(new double[] {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, out.toDoubleArray());
        }
        Tensor strided = arena.empty(DType.F32, 3, 4).transpose(0, 1);
        Index.oneHot(arena.fromArray(new long[] {1, 0, 2, 1}, 4), 3, strided);
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0}, strided.toDoubleArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Index.oneHot(arena.fromArray(new int[] {0, 3}, 2), 3, arena.empty(DType.F32, 2, 3)));
        assertTrue(e.getMessage().contains("label 3 at flat position 1") && e.getMessage().contains("numClasses = 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Index.oneHot(arena.fromArray(new int[] {0, 1}, 2), 3, arena.empty(DType.F32, 2, 4)));
        assertTrue(e.getMessage().contains("numClasses = 3"), e.getMessage());
    }

    @Test
    void outOfRangeIndicesAreRejectedAndInPlaceTargetsUntouched() {
        Tensor x = arena.fromArray(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor bad = arena.fromArray(new long[] {0, 2, 1, 3}, 2, 2);
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class, () -> Index.gather(x, 1, bad, arena.empty(DType.F64, 2, 2)));
        assertTrue(e.getMessage().contains("Index.gather") && e.getMessage().contains("index value 3 at flat position 3")
                && e.getMessage().contains("[0, 3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Index.scatterAddInPlace(x, 1, bad, arena.ones(DType.F64, 2, 2)));
        assertTrue(e.getMessage().contains("Index.scatterAddInPlace"), e.getMessage());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, x.toDoubleArray(), "no partial update");
        Tensor badList = arena.fromArray(new int[] {1, -1}, 2);
        e = assertThrows(IllegalArgumentException.class, () -> Index.indexAddInPlace(x, 0, badList, arena.ones(DType.F64, 2, 3)));
        assertTrue(e.getMessage().contains("index value -1 at flat position 1"), e.getMessage());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, x.toDoubleArray(), "no partial update");
        e = assertThrows(IllegalArgumentException.class, () -> Index.indexSelect(x, 0, badList, arena.empty(DType.F64, 2, 3)));
        assertTrue(e.getMessage().contains("Index.indexSelect"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Index.gather(x, 1, arena.fromArray(new float[] {0}, 1, 1), arena.empty(DType.F64, 1, 1)));
        assertTrue(e.getMessage().contains("i32 or i64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Index.indexSelect(x, 1, arena.fromArray(new int[] {0}, 1), arena.empty(DType.F64, 2, 2)));
        assertTrue(e.getMessage().contains("dim 1 of size 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Index.scatterAddInPlace(arena.zeros(DType.F64, 3).reshape(1, 3).expand(2, 3), 1, arena.fromArray(new long[] {0}, 1, 1),
                        arena.ones(DType.F64, 1, 1)));
        assertTrue(e.getMessage().contains("broadcast"), e.getMessage());
    }
}
