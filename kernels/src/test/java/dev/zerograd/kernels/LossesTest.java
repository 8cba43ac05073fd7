package dev.zerograd.kernels;

import static dev.zerograd.kernels.RefTensors.assertClose;
import static dev.zerograd.kernels.RefTensors.make;
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

class LossesTest {
    private final TensorArena arena = TensorArena.ofConfined(16 << 20);

    @AfterEach
    void close() {
        arena.close();
    }

    /** Reference loss (index 0) and gradient (1..) in double, straight from the definition. */
    private static double[] ref(double[] z, long[] y, int n, int c, double s, long ignore, int reduction, double g) {
        double total = 0;
        int count = 0;
        double[][] lp = new double[n][c];
        for (int i = 0; i < n; i++) {
            double m = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < c; j++) {
                m = Math.max(m, z[i * c + j]);
            }
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[i * c + j] - m);
            }
            for (int j = 0; j < c; j++) {
                lp[i][j] = z[i * c + j] - m - Math.log(sum);
            }
            if (y[i] == ignore) {
                continue;
            }
            count++;
            double smooth = 0;
            for (int j = 0; j < c; j++) {
                smooth += lp[i][j];
            }
            total -= (1 - s) * lp[i][(int) y[i]] + s / c * smooth;
        }
        double[] r = new double[1 + n * c];
        r[0] = reduction == Losses.REDUCTION_MEAN ? total / count : total;
        double scale = reduction == Losses.REDUCTION_MEAN ? g / count : g;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                double target = (j == y[i] ? 1 - s : 0) + s / c;
                r[1 + i * c + j] = y[i] == ignore ? 0 : scale * (Math.exp(lp[i][j]) - target);
            }
        }
        return r;
    }

    @Test
    void crossEntropyMatchesReference() {
        int n = 6, c = 11;
        long[] labels = {3, 0, 10, -100, 7, 3};
        for (DType dt : RefTensors.FLOATS) {
            for (DType lt : new DType[] {DType.I32, DType.I64}) {
                for (Layout layout : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.STRIDED}) {
                    for (double s : new double[] {0, 0.1}) {
                        for (long ignore : new long[] {-100, Losses.NO_IGNORE, 3}) {
                            for (int red : new int[] {Losses.REDUCTION_SUM, Losses.REDUCTION_MEAN}) {
                                labels[3] = ignore == -100 ? -100 : 1;
                                arena.reset();
                                Tensor z = make(arena, dt, layout, new long[] {n, c}, 17);
                                Tensor y = arena.fromArray(lt, toDoubles(labels), n);
                                Tensor lp = arena.empty(dt, n, c), loss = arena.empty(dt);
                                Tensor g = arena.scalar(dt, 0.75), grad = arena.empty(dt, n, c);
                                Losses.crossEntropy(z, y, s, ignore, red, lp, loss);
                                Losses.crossEntropyBackward(g, lp, y, s, ignore, red, grad);
                                double[] r = ref(z.toDoubleArray(), labels, n, c, s, ignore, red, 0.75);
                                String what = dt + " " + lt + " " + layout + " s " + s + " ignore " + ignore + " red " + red;
                                double tol = dt == DType.F32 ? 1e-5 : 1e-12;
                                assertEquals(r[0], loss.item(), tol * Math.max(1, Math.abs(r[0])), what);
                                assertClose("grad " + what, java.util.Arrays.copyOfRange(r, 1, r.length), grad.toDoubleArray(), tol);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void gradientMatchesCentralDifferences() {
        int n = 3, c = 4;
        long[] labels = {2, -100, 0};
        Tensor z = make(arena, DType.F64, Layout.CONTIGUOUS, new long[] {n, c}, 3);
        Tensor y = arena.fromArray(labels, n);
        Tensor lp = arena.empty(DType.F64, n, c), loss = arena.empty(DType.F64), grad = arena.empty(DType.F64, n, c);
        Losses.crossEntropy(z, y, 0.2, -100, Losses.REDUCTION_MEAN, lp, loss);
        Losses.crossEntropyBackward(arena.scalar(DType.F64, 1), lp, y, 0.2, -100, Losses.REDUCTION_MEAN, grad);
        double h = 1e-6;
        for (int i = 0; i < n * c; i++) {
            double v = z.getDoubleFlat(i);
            z.setDoubleFlat(i, v + h);
            Losses.crossEntropy(z, y, 0.2, -100, Losses.REDUCTION_MEAN, lp, loss);
            double up = loss.item();
            z.setDoubleFlat(i, v - h);
            Losses.crossEntropy(z, y, 0.2, -100, Losses.REDUCTION_MEAN, lp, loss);
            double down = loss.item();
            z.setDoubleFlat(i, v);
            assertEquals((up - down) / (2 * h), grad.getDoubleFlat(i), 1e-8, "element " + i);
        }
    }

    @Test
    void allIgnoredMeanIsNaNAndGradientZero() {
        Tensor z = make(arena, DType.F32, Layout.CONTIGUOUS, new long[] {2, 3}, 1);
        Tensor y = arena.fromArray(new long[] {-100, -100}, 2);
        Tensor lp = arena.empty(DType.F32, 2, 3), loss = arena.empty(DType.F32), grad = arena.empty(DType.F32, 2, 3);
        Losses.crossEntropy(z, y, 0, -100, Losses.REDUCTION_MEAN, lp, loss);
        assertTrue(Double.isNaN(loss.item()));
        Losses.crossEntropyBackward(arena.scalar(DType.F32, 1), lp, y, 0, -100, Losses.REDUCTION_MEAN, grad);
        assertArrayEquals(new float[6], grad.toFloatArray());
    }

    @Test
    void badLabelsAndArguments() {
        Tensor z = arena.empty(DType.F32, 2, 3);
        Tensor lp = arena.empty(DType.F32, 2, 3), loss = arena.empty(DType.F32);
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, arena.fromArray(new int[] {1, 3}, 2), 0, -100, 1, lp, loss));
        assertTrue(e.getMessage().contains("label 3 at index 1") && e.getMessage().contains("C = 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, arena.fromArray(new int[] {-1, 0}, 2), 0, Losses.NO_IGNORE, 1, lp, loss));
        assertTrue(e.getMessage().contains("label -1 at index 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, arena.fromArray(new int[] {0, 0, 0}, 3), 0, -100, 1, lp, loss));
        assertTrue(e.getMessage().contains("labels i32[3]") && e.getMessage().contains("N = 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, arena.fromArray(new int[] {0, 0}, 2), 1.0, -100, 1, lp, loss));
        assertTrue(e.getMessage().contains("smoothing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, arena.fromArray(new int[] {0, 0}, 2), 0, -100, 2, lp, loss));
        assertTrue(e.getMessage().contains("reduction 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, arena.fromArray(new float[] {0, 0}, 2), 0, -100, 1, lp, loss));
        assertTrue(e.getMessage().contains("i32 or i64"), e.getMessage());
    }

    private static double[] toDoubles(long[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
