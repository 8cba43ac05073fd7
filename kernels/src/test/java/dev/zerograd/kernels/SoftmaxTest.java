package dev.zerograd.kernels;

import static dev.zerograd.kernels.RefTensors.assertClose;
import static dev.zerograd.kernels.RefTensors.make;
import static dev.zerograd.kernels.RefTensors.tol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.RefTensors.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
    private final TensorArena arena = TensorArena.ofConfined(32 << 20);

    @AfterEach
    void close() {
        BlockMath.simd = true;
        arena.close();
    }

    static final long[][] SHAPES = {{}, {1}, {9}, {3, 5}, {2, 3, 4}, {2, 17, 3}, {2, 2, 3, 5}, {4, 0}, {3, 67}};

    /** Reference: rows along dim of the logical values; mode 0 softmax, 1 log-softmax, 2 softmax bwd, 3 log-softmax bwd. */
    private static double[] ref(int mode, double[] a, double[] b, long[] shape, int dim) {
        double[] out = new double[a.length];
        if (a.length == 0) {
            return out;
        }
        long n = shape.length == 0 ? 1 : shape[dim];
        long inner = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        for (int p = 0; p < a.length; p++) {
            long pos = (p / inner) % n;
            if (pos != 0) {
                continue; // p is the first element of its row
            }
            double m = Double.NEGATIVE_INFINITY, s = 0, dot = 0, gs = 0;
            for (long i = 0; i < n; i++) {
                m = Math.max(m, a[(int) (p + i * inner)]);
            }
            for (long i = 0; i < n; i++) {
                int q = (int) (p + i * inner);
                s += Math.exp(a[q] - m);
                if (b != null) {
                    dot += a[q] * b[q];
                    gs += a[q];
                }
            }
            for (long i = 0; i < n; i++) {
                int q = (int) (p + i * inner);
                out[q] = switch (mode) {
                    case 0 -> Math.exp(a[q] - m) / s;
                    case 1 -> a[q] - m - Math.log(s);
                    case 2 -> b[q] * (a[q] - dot);
                    default -> a[q] - Math.exp(b[q]) * gs;
                };
            }
        }
        return out;
    }

    @Test
    void forwardAndBackwardMatchReference() {
        long seed = 5;
        for (boolean simd : new boolean[] {true, false}) {
            BlockMath.simd = simd;
            for (DType dt : RefTensors.FLOATS) {
                for (long[] shape : SHAPES) {
                    for (Layout layout : RefTensors.LAYOUTS) {
                        for (int dim = 0; dim < Math.max(1, shape.length); dim++) {
                            arena.reset();
                            Tensor x = make(arena, dt, layout, shape, seed++);
                            Tensor g = make(arena, dt, RefTensors.LAYOUTS[(int) (seed % 4)], shape, seed++);
                            Tensor out = arena.empty(dt, shape);
                            double[] xv = x.toDoubleArray(), gv = g.toDoubleArray();
                            String what = x.describe() + " dim " + dim + " simd " + simd;
                            Softmax.softmax(x, dim, out);
                            assertClose("softmax " + what, ref(0, xv, null, shape, dim), out.toDoubleArray(), tol(dt));
                            Softmax.logSoftmax(x, dim, out);
                            assertClose("logSoftmax " + what, ref(1, xv, null, shape, dim), out.toDoubleArray(), tol(dt));
                            // Backward: y = x stands in for the saved output (any values exercise the formula).
                            Softmax.softmaxBackward(g, x, dim, out);
                            assertClose("softmaxBackward " + what, ref(2, gv, xv, shape, dim), out.toDoubleArray(), tol(dt) * 8);
                            Softmax.logSoftmaxBackward(g, x, dim, out);
                            assertClose("logSoftmaxBackward " + what, ref(3, gv, xv, shape, dim), out.toDoubleArray(), tol(dt) * 8);
                        }
                    }
                }
            }
        }
    }

    @Test
    void largeLogitsAreStable() {
        for (DType dt : RefTensors.FLOATS) {
            for (boolean simd : new boolean[] {true, false}) {
                BlockMath.simd = simd;
                double[] v = {1000, -1000, 999, 0, 1000, -1000, -1000, 998, 1000};
                Tensor x = arena.fromArray(dt, v, 9);
                Tensor out = arena.empty(dt, 9);
                Softmax.softmax(x, 0, out);
                double[] sv = out.toDoubleArray();
                double z = 2 + Math.exp(-1) + Math.exp(-2) + 1;
                assertEquals(1 / z, sv[0], 1e-6);
                assertEquals(0.0, sv[1]);
                double sum = 0;
                for (double s : sv) {
                    assertTrue(Double.isFinite(s));
                    sum += s;
                }
                assertEquals(1.0, sum, 1e-6);
                Softmax.logSoftmax(x, 0, out);
                double[] lv = out.toDoubleArray();
                assertEquals(-Math.log(z), lv[0], 1e-5);
                assertEquals(-2000 - Math.log(z), lv[1], 1e-3, "finite where the probability underflows");
            }
        }
    }

    @Test
    void rank0IsARowOfOne() {
        Tensor x = arena.scalar(DType.F64, 3.5);
        Tensor out = arena.empty(DType.F64);
        Softmax.softmax(x, -1, out);
        assertEquals(1.0, out.item());
        Softmax.logSoftmax(x, 0, out);
        assertEquals(0.0, out.item());
        assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(x, 1, out));
    }

    @Test
    void badArguments() {
        Tensor x = arena.empty(DType.F32, 2, 3);
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(x, 1, arena.empty(DType.F32, 3, 2)));
        assertTrue(e.getMessage().contains("Softmax.softmax") && e.getMessage().contains("f32[3, 2]")
                && e.getMessage().contains("f32[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.logSoftmax(x, 2, arena.empty(DType.F32, 2, 3)));
        assertTrue(e.getMessage().contains("dim 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Softmax.softmaxBackward(x, arena.empty(DType.F64, 2, 3), 1, arena.empty(DType.F32, 2, 3)));
        assertTrue(e.getMessage().contains("y f64[2, 3]"), e.getMessage());
    }
}
