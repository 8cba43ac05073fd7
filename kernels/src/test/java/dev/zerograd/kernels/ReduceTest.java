package dev.zerograd.kernels;

import static dev.zerograd.kernels.RefTensors.assertClose;
import static dev.zerograd.kernels.RefTensors.groups;
import static dev.zerograd.kernels.RefTensors.keepShape;
import static dev.zerograd.kernels.RefTensors.make;
import static dev.zerograd.kernels.RefTensors.tol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.RefTensors.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReduceTest {
    private final TensorArena arena = TensorArena.ofConfined(64 << 20);

    @AfterEach
    void close() {
        BlockMath.simd = true;
        arena.close();
    }

    static final long[][] SHAPES = {
        {}, {7}, {1}, {3, 5}, {4, 1}, {2, 3, 4}, {5, 1, 9}, {2, 3, 2, 5}, {3, 0, 2}, {3, 300}, {300, 3}, {2, 600, 3}
    };

    private static double ref(int kind, double[] g, double correction) {
        double s = 0;
        for (double v : g) {
            s += v;
        }
        return switch (kind) {
            case 0 -> s;
            case 1 -> s / g.length;
            case 2 -> {
                double m = s / g.length, q = 0;
                for (double v : g) {
                    q += (v - m) * (v - m);
                }
                yield q / Math.max(0, g.length - correction);
            }
            case 3 -> {
                double m = Double.NEGATIVE_INFINITY;
                for (double v : g) {
                    m = Math.max(m, v);
                }
                yield m;
            }
            default -> {
                double m = Double.POSITIVE_INFINITY;
                for (double v : g) {
                    m = Math.min(m, v);
                }
                yield m;
            }
        };
    }

    private static void apply(int kind, Tensor x, int mask, double correction, Tensor out) {
        switch (kind) {
            case 0 -> Reduce.sum(x, mask, out);
            case 1 -> Reduce.mean(x, mask, out);
            case 2 -> Reduce.var(x, mask, correction, out);
            case 3 -> Reduce.maxAll(x, mask, out);
            default -> Reduce.minAll(x, mask, out);
        }
    }

    @Test
    void reductionsMatchReferenceOverShapesMasksLayoutsAndDtypes() {
        long seed = 1;
        for (boolean simd : new boolean[] {true, false}) {
            BlockMath.simd = simd;
            // The scalar references share the staging with the vector loops, so F64 covers them.
            for (DType dt : simd ? RefTensors.FLOATS : new DType[] {DType.F64}) {
                for (long[] shape : SHAPES) {
                    for (Layout layout : RefTensors.LAYOUTS) {
                        for (int mask = 0; mask < (1 << shape.length); mask++) {
                            arena.reset();
                            Tensor x = make(arena, dt, layout, shape, seed++);
                            double[] xv = x.toDoubleArray();
                            double[][] g = groups(xv, shape, mask);
                            boolean emptyGroups = g.length > 0 && g[0].length == 0;
                            for (int kind = 0; kind < 5; kind++) {
                                Tensor out = arena.empty(dt, keepShape(shape, mask));
                                String what = "kind " + kind + " " + x.describe() + " mask " + mask + " simd " + simd;
                                if (kind >= 3 && emptyGroups) {
                                    int k = kind;
                                    int mk = mask;
                                    assertThrows(IllegalArgumentException.class, () -> apply(k, x, mk, 0, out), what);
                                    continue;
                                }
                                double correction = kind == 2 ? (seed & 1) : 0;
                                apply(kind, x, mask, correction, out);
                                double[] expected = new double[g.length];
                                for (int i = 0; i < g.length; i++) {
                                    expected[i] = ref(kind, g[i], correction);
                                }
                                assertClose(what, expected, out.toDoubleArray(), tol(dt) * 4);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Sums over every dim but 1 of tensors above Reduce.CHANNEL_SUM_MIN elements take the per-channel pool path
     * (Note [Channel sums]): against the double reference on every layout, ranks 3 and 4, keepdim and squeezed
     * outputs, with rows shorter and longer than a vector.
     */
    @Test
    void largePerChannelSumsMatchTheReference() {
        long[][] shapes = {{9, 7, 34, 40}, {64, 6, 14, 14}, {70, 6, 160}};
        long seed = 40;
        for (DType dt : RefTensors.FLOATS) {
            for (long[] shape : shapes) {
                for (Layout layout : RefTensors.LAYOUTS) {
                    arena.reset();
                    Tensor x = make(arena, dt, layout, shape, seed++);
                    assertTrue(x.numel() >= Reduce.CHANNEL_SUM_MIN, "large enough for the pool path");
                    int mask = ((1 << shape.length) - 1) & ~0b10;
                    double[][] g = groups(x.toDoubleArray(), shape, mask);
                    double[] want = new double[g.length];
                    for (int i = 0; i < g.length; i++) {
                        want[i] = ref(0, g[i], 0);
                    }
                    Tensor keep = arena.empty(dt, keepShape(shape, mask)), flat = arena.empty(dt, shape[1]);
                    keep.fill(Double.NaN);
                    flat.fill(Double.NaN);
                    Reduce.sum(x, mask, keep);
                    Reduce.sum(x, mask, flat);
                    String what = dt + " " + java.util.Arrays.toString(shape) + " " + layout;
                    assertClose(what + " keepdim", want, keep.toDoubleArray(), tol(dt) * 10);
                    assertClose(what + " squeezed", keep.toDoubleArray(), flat.toDoubleArray(), 0);
                }
            }
        }
    }

    /**
     * Column sums of large [R, C] tensors run on the pool (Note [Column sums] in ColumnSums) and give the serial
     * path's bits: one thread (the serial walk) against two, contiguous and with padded rows, through sum and
     * sumTo, and against the double reference.
     */
    @Test
    void largeColumnSumsMatchTheSerialPathBitForBit() {
        int threads = Parallel.threads();
        try {
            for (DType dt : RefTensors.FLOATS) {
                arena.reset();
                Tensor wide = make(arena, dt, Layout.CONTIGUOUS, new long[] {300, 713}, 77);
                Tensor padded = wide.slice(1, 0, 700); // row stride 713, unit column stride
                for (Tensor x : new Tensor[] {wide, padded}) {
                    assertTrue(x.numel() >= ColumnSums.MIN_ELEMENTS);
                    double[][] out = new double[2][];
                    for (int k = 0; k < 2; k++) {
                        Parallel.setThreads(k + 1);
                        Tensor keep = arena.empty(dt, 1, x.size(1)), to = arena.empty(dt, x.size(1));
                        keep.fill(Double.NaN);
                        to.fill(Double.NaN);
                        Reduce.sum(x, 0b01, keep);
                        Reduce.sumTo(x, to);
                        assertArrayEquals(keep.toDoubleArray(), to.toDoubleArray(), dt + " sum and sumTo");
                        out[k] = keep.toDoubleArray();
                    }
                    assertArrayEquals(out[0], out[1], dt + " " + x.describe() + ": one thread against two");
                    double[][] g = groups(x.toDoubleArray(), new long[] {x.size(0), x.size(1)}, 0b01);
                    double[] want = new double[g.length];
                    for (int i = 0; i < g.length; i++) {
                        want[i] = ref(0, g[i], 0);
                    }
                    assertClose(dt + " " + x.describe(), want, out[1], tol(dt) * 10);
                }
            }
        } finally {
            Parallel.setThreads(threads);
        }
    }

    @Test
    void outputWithoutReducedDimsIsAccepted() {
        Tensor x = make(arena, DType.F64, Layout.CONTIGUOUS, new long[] {3, 4, 5}, 7);
        Tensor keep = arena.empty(DType.F64, 3, 1, 5);
        Tensor squeezed = arena.empty(DType.F64, 3, 5);
        Reduce.sum(x, 0b010, keep);
        Reduce.sum(x, 0b010, squeezed);
        assertClose("squeezed", keep.toDoubleArray(), squeezed.toDoubleArray(), 0);
    }

    @Test
    void emptyReductionsFollowPyTorch() {
        Tensor x = arena.empty(DType.F32, 3, 0);
        Tensor out = arena.empty(DType.F32, 3, 1);
        Reduce.sum(x, 0b10, out);
        assertClose("sum", new double[] {0, 0, 0}, out.toDoubleArray(), 0);
        Reduce.mean(x, 0b10, out);
        assertTrue(Double.isNaN(out.toDoubleArray()[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reduce.maxAll(x, 0b10, out));
        assertTrue(e.getMessage().contains("Reduce.maxAll"), e.getMessage());
        assertEquals(0.0, Reduce.sumAll(x));
    }

    @Test
    void sumOfF32AccumulatesInDouble() {
        // 1e8 then 1000 ones then -1e8: a float accumulator loses every one (ulp(1e8) = 8).
        float[] v = new float[1002];
        v[0] = 1e8f;
        java.util.Arrays.fill(v, 1, 1001, 1f);
        v[1001] = -1e8f;
        for (boolean simd : new boolean[] {true, false}) {
            BlockMath.simd = simd;
            Tensor x = arena.fromArray(v, 1002);
            Tensor out = arena.empty(DType.F32, 1);
            Reduce.sum(x, 1, out);
            assertEquals(1000f, out.toFloatArray()[0]);
            assertEquals(1000.0, Reduce.sumAll(x));
            // Same through the blocked walk: the reduced dim is the outer one.
            Tensor col = x.reshape(1002, 1).expand(1002, 300);
            Tensor outs = arena.empty(DType.F32, 1, 300);
            Reduce.sum(col, 1, outs);
            for (float f : outs.toFloatArray()) {
                assertEquals(1000f, f);
            }
        }
    }

    @Test
    void varianceIsTwoPass() {
        // Large offset, tiny spread: E[x^2] - E[x]^2 would cancel to noise.
        double[] v = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4};
        Tensor x = arena.fromArray(v, 4);
        Tensor out = arena.empty(DType.F64, 1);
        Reduce.var(x, 1, 1, out);
        assertEquals(5.0 / 3, out.toDoubleArray()[0], 1e-12);
        Reduce.var(arena.fromArray(new double[] {3}, 1), 1, 1, out);
        assertTrue(Double.isNaN(out.toDoubleArray()[0]), "n - correction = 0 gives 0/0");
    }

    @Test
    void maxAndMinWithIndices() {
        for (DType dt : RefTensors.FLOATS) {
            for (long[] shape : new long[][] {{7}, {3, 5}, {2, 3, 4}, {4, 33, 2}}) {
                for (Layout layout : RefTensors.LAYOUTS) {
                    for (int dim = 0; dim < shape.length; dim++) {
                        arena.reset();
                        Tensor x = make(arena, dt, layout, shape, 31 * dim + shape.length);
                        long[] ks = keepShape(shape, 1 << dim);
                        Tensor out = arena.empty(dt, ks), idx = arena.empty(DType.I64, ks);
                        double[][] g = groups(x.toDoubleArray(), shape, 1 << dim);
                        for (boolean isMax : new boolean[] {true, false}) {
                            if (isMax) {
                                Reduce.max(x, dim, out, idx);
                            } else {
                                Reduce.min(x, dim, out, idx);
                            }
                            double[] ov = out.toDoubleArray();
                            long[] iv = idx.toLongArray();
                            for (int i = 0; i < g.length; i++) {
                                int best = 0;
                                for (int j = 1; j < g[i].length; j++) {
                                    if (isMax ? g[i][j] > g[i][best] : g[i][j] < g[i][best]) {
                                        best = j;
                                    }
                                }
                                assertEquals(best, iv[i], x.describe() + " dim " + dim);
                                assertEquals(g[i][best], ov[i]);
                            }
                        }
                    }
                }
            }
        }
        // Ties: first wins; NaN is the answer, first NaN wins; negative dims count from the end.
        Tensor x = arena.fromArray(new double[] {1, 3, 3, 0, 2, Double.NaN, 5, Double.NaN}, 2, 4);
        Tensor out = arena.empty(DType.F64, 2), idx = arena.empty(DType.I64, 2);
        Reduce.max(x, -1, out, idx);
        assertEquals(3.0, out.toDoubleArray()[0]);
        assertEquals(1, idx.toLongArray()[0]);
        assertTrue(Double.isNaN(out.toDoubleArray()[1]));
        assertEquals(1, idx.toLongArray()[1]);
        Reduce.min(x, 1, out, null);
        assertEquals(0.0, out.toDoubleArray()[0]);
        assertTrue(Double.isNaN(out.toDoubleArray()[1]));
    }

    @Test
    void maxAllPropagatesNaNInBothPaths() {
        double[] v = new double[40];
        v[17] = Double.NaN;
        for (boolean simd : new boolean[] {true, false}) {
            BlockMath.simd = simd;
            Tensor x = arena.fromArray(v, 40);
            Tensor out = arena.empty(DType.F64, 1);
            Reduce.maxAll(x, 1, out);
            assertTrue(Double.isNaN(out.toDoubleArray()[0]), "simd " + simd);
            Reduce.minAll(x, 1, out);
            assertTrue(Double.isNaN(out.toDoubleArray()[0]), "simd " + simd);
            Tensor wide = x.reshape(1, 40).expand(3, 40).transpose(0, 1);
            Tensor outs = arena.empty(DType.F64, 40, 1);
            Reduce.maxAll(wide.transpose(0, 1).transpose(0, 1), 0b10, outs);
            assertTrue(Double.isNaN(outs.toDoubleArray()[17]));
        }
    }

    @Test
    void sumToReducesBroadcastDims() {
        long[][][] cases = {
            {{2, 3, 4}, {3, 4}}, {{2, 3, 4}, {1, 4}}, {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {}}, {{2, 3, 4}, {2, 1, 4}},
            {{2, 3, 4}, {2, 3, 4}}, {{5, 1, 4}, {1, 1}}, {{300, 7}, {7}}, {{4, 0, 3}, {3}}, {{4, 0, 3}, {0, 1}},
            // bias gradients wider than one accumulator block (256 columns)
            {{3, 600}, {600}}, {{40, 300}, {1, 300}}
        };
        for (DType dt : RefTensors.FLOATS) {
            for (long[][] c : cases) {
                for (Layout layout : RefTensors.LAYOUTS) {
                    arena.reset();
                    long[] xs = c[0], os = c[1];
                    Tensor x = make(arena, dt, layout, xs, xs.length * 7L + os.length);
                    Tensor out = arena.empty(dt, os);
                    Reduce.sumTo(x, out);
                    int lead = xs.length - os.length, mask = (1 << lead) - 1;
                    for (int j = 0; j < os.length; j++) {
                        if (os[j] == 1 && xs[j + lead] != 1) {
                            mask |= 1 << (j + lead);
                        }
                    }
                    double[][] g = groups(x.toDoubleArray(), xs, mask);
                    double[] expected = new double[g.length];
                    for (int i = 0; i < g.length; i++) {
                        expected[i] = ref(0, g[i], 0);
                    }
                    assertClose("sumTo " + x.describe() + " -> " + out.describe(), expected, out.toDoubleArray(), tol(dt) * 4);
                }
            }
        }
        Tensor x = arena.empty(DType.F32, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reduce.sumTo(x, arena.empty(DType.F32, 2)));
        assertTrue(e.getMessage().contains("Reduce.sumTo") && e.getMessage().contains("f32[2, 3]"), e.getMessage());
    }

    @Test
    void sumAllAndSumSquares() {
        for (DType dt : RefTensors.FLOATS) {
            for (Layout layout : RefTensors.LAYOUTS) {
                for (long[] shape : SHAPES) {
                    arena.reset();
                    Tensor x = make(arena, dt, layout, shape, 99);
                    double s = 0, q = 0;
                    for (double v : x.toDoubleArray()) {
                        s += v;
                        q += v * v;
                    }
                    assertEquals(s, Reduce.sumAll(x), 1e-9 * Math.max(1, Math.abs(s)));
                    assertEquals(q, Reduce.sumSquares(x), 1e-9 * Math.max(1, q));
                }
            }
        }
    }

    @Test
    void badArgumentsNameTheKernelTensorsAndExpectation() {
        Tensor x = arena.empty(DType.F32, 2, 3);
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.sum(x, 0b1, arena.empty(DType.F32, 2, 1)));
        assertTrue(e.getMessage().contains("Reduce.sum") && e.getMessage().contains("expected shape [1, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.sum(x, 0b100, arena.empty(DType.F32, 2, 3)));
        assertTrue(e.getMessage().contains("mask"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.mean(x, 0b1, arena.empty(DType.F64, 1, 3)));
        assertTrue(e.getMessage().contains("f64[1, 3]") && e.getMessage().contains("expected f32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.sum(arena.empty(DType.I32, 3), 1, arena.empty(DType.I32, 1)));
        assertTrue(e.getMessage().contains("expected f32 or f64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.sum(x, 0b1, arena.empty(DType.F32, 3, 2).transpose(0, 1).slice(0, 0, 1)));
        assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.max(x, 2, arena.empty(DType.F32, 2, 1), null));
        assertTrue(e.getMessage().contains("dim 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.max(x, 1, arena.empty(DType.F32, 2, 1), arena.empty(DType.I32, 2, 1)));
        assertTrue(e.getMessage().contains("indices") && e.getMessage().contains("i64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Reduce.var(x, 1, -1, arena.empty(DType.F32, 1, 3)));
        assertTrue(e.getMessage().contains("correction"), e.getMessage());
    }
}
