package dev.zerograd.kernels;

import static dev.zerograd.kernels.RefTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MatMulTest {
    private final TensorArena arena = TensorArena.ofConfined(32 << 20);

    @AfterEach
    void close() {
        arena.close();
    }

    /** A [rows, cols] matrix: 0 row-major, 1 transposed view of a row-major matrix, 2 row-major with padded rows, 3 transposed and padded. */
    private Tensor matrix(DType dt, int layout, long rows, long cols, Random rnd) {
        Tensor t = switch (layout) {
            case 0 -> arena.empty(dt, rows, cols);
            case 1 -> arena.empty(dt, cols, rows).transpose(0, 1);
            case 2 -> arena.empty(dt, rows, cols + 3).slice(1, 1, cols + 1);
            default -> arena.empty(dt, cols, rows + 2).slice(1, 2, rows + 2).transpose(0, 1);
        };
        RefTensors.fill(t, rnd);
        return t;
    }

    /** alpha * op(a) @ op(b) + beta * c0 by a triple loop over logical values. */
    private static double[] ref(double[] a, long ar, long ac, boolean ta, double[] b, long br, long bc, boolean tb,
                                double alpha, double beta, double[] c0) {
        long m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
        double[] c = new double[(int) (m * n)];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[(int) (p * ac + i)] : a[(int) (i * ac + p)];
                    double bv = tb ? b[(int) (j * bc + p)] : b[(int) (p * bc + j)];
                    s += av * bv;
                }
                c[(int) (i * n + j)] = alpha * s + (beta == 0 ? 0 : beta * c0[(int) (i * n + j)]);
            }
        }
        return c;
    }

    private static double tol(DType dt) {
        return dt == DType.F32 ? 2e-5 : 1e-12;
    }

    @Test
    void gemmMatchesTripleLoopForAllTransposesLayoutsAndScalars() {
        Random rnd = new Random(11);
        long[][] sizes = {{5, 7, 3}, {1, 9, 4}, {6, 1, 8}, {4, 5, 1}, {17, 13, 33}, {0, 3, 2}, {3, 2, 0}};
        double[][] scalars = {{1, 0}, {-0.5, 1}, {2, 0.25}};
        for (DType dt : RefTensors.FLOATS) {
            for (long[] mnk : sizes) {
                long m = mnk[0], n = mnk[1], k = mnk[2];
                for (int f = 0; f < 4; f++) {
                    boolean ta = (f & 1) != 0, tb = (f & 2) != 0;
                    for (int la = 0; la < 4; la++) {
                        for (int lb = 0; lb < 4; lb++) {
                            for (double[] ab : scalars) {
                                arena.reset();
                                Tensor a = ta ? matrix(dt, la, k, m, rnd) : matrix(dt, la, m, k, rnd);
                                Tensor b = tb ? matrix(dt, lb, n, k, rnd) : matrix(dt, lb, k, n, rnd);
                                Tensor c = (la + lb) % 2 == 0 ? arena.empty(dt, m, n) : arena.empty(dt, m, n + 2).slice(1, 0, n);
                                RefTensors.fill(c, rnd);
                                double[] c0 = c.toDoubleArray();
                                if (ab[1] == 0) {
                                    c.fill(Double.NaN); // beta 0 ignores c's contents
                                }
                                MatMul.gemm(a, ta, b, tb, ab[0], ab[1], c);
                                double[] expected = ref(a.toDoubleArray(), a.size(0), a.size(1), ta, b.toDoubleArray(), b.size(0),
                                        b.size(1), tb, ab[0], ab[1], c0);
                                assertClose("gemm " + a.describe() + (ta ? "^T" : "") + " @ " + b.describe() + (tb ? "^T" : "")
                                        + " alpha " + ab[0] + " beta " + ab[1], expected, c.toDoubleArray(), tol(dt));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void bmmWithBroadcastBatchMatchesPerBatchReference() {
        Random rnd = new Random(5);
        for (DType dt : RefTensors.FLOATS) {
            for (int f = 0; f < 4; f++) {
                arena.reset();
                boolean ta = (f & 1) != 0, tb = (f & 2) != 0;
                long bs0 = 2, bs1 = 3, m = 4, n = 5, k = 6;
                // a: one matrix broadcast over both batch dims (stride 0), a transposed view when ta; b: broadcast
                // over batch dim 0 only.
                Tensor store = arena.empty(dt, m, k);
                RefTensors.fill(store, rnd);
                Tensor a = ta
                        ? arena.view(store, 4, new long[] {bs0, bs1, k, m}, new long[] {0, 0, 1, k}, 0)
                        : arena.view(store, 4, new long[] {bs0, bs1, m, k}, new long[] {0, 0, k, 1}, 0);
                Tensor braw = arena.empty(dt, 1, bs1, tb ? n : k, tb ? k : n);
                RefTensors.fill(braw, rnd);
                Tensor b = braw.expand(bs0, bs1, braw.size(2), braw.size(3));
                Tensor c = arena.empty(dt, bs0, bs1, m, n);
                RefTensors.fill(c, rnd);
                double[] c0 = c.toDoubleArray();
                MatMul.bmm(a, ta, b, tb, 1.5, 0.5, c);
                double[] cv = c.toDoubleArray();
                for (int i = 0; i < bs0; i++) {
                    for (int j = 0; j < bs1; j++) {
                        double[] av = sliceValues(a, i, j), bv = sliceValues(b, i, j);
                        int base = (int) ((i * bs1 + j) * m * n);
                        double[] cb = java.util.Arrays.copyOfRange(c0, base, base + (int) (m * n));
                        double[] expected = ref(av, a.size(2), a.size(3), ta, bv, b.size(2), b.size(3), tb, 1.5, 0.5, cb);
                        assertClose("bmm batch " + i + "," + j + " " + a.describe(), expected,
                                java.util.Arrays.copyOfRange(cv, base, base + (int) (m * n)), tol(dt));
                    }
                }
            }
        }
    }

    private static double[] sliceValues(Tensor t, int i, int j) {
        long r = t.size(2), c = t.size(3);
        double[] v = new double[(int) (r * c)];
        for (int p = 0; p < r; p++) {
            for (int q = 0; q < c; q++) {
                v[(int) (p * c + q)] = t.getDouble(i, j, p, q);
            }
        }
        return v;
    }

    @Test
    void rank2BmmIsGemm() {
        Random rnd = new Random(2);
        Tensor a = matrix(DType.F32, 0, 3, 4, rnd), b = matrix(DType.F32, 1, 4, 2, rnd);
        Tensor c1 = arena.empty(DType.F32, 3, 2), c2 = arena.empty(DType.F32, 3, 2);
        MatMul.gemm(a, false, b, false, 1, 0, c1);
        MatMul.bmm(a, false, b, false, 1, 0, c2);
        assertClose("bmm rank 2", c1.toDoubleArray(), c2.toDoubleArray(), 0);
    }

    @Test
    void badArguments() {
        Tensor a = arena.empty(DType.F32, 3, 4), b = arena.empty(DType.F32, 4, 5), c = arena.empty(DType.F32, 3, 5);
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(a, true, b, false, 1, 0, c));
        assertTrue(e.getMessage().contains("MatMul.gemm") && e.getMessage().contains("op(a) [4, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(a, false, b, false, 1, 0, arena.empty(DType.F64, 3, 5)));
        assertTrue(e.getMessage().contains("c f64[3, 5]"), e.getMessage());
        Tensor everyOther = arena.empty(DType.F32, 6, 8).slice(0, 0, 6, 2).slice(1, 0, 8, 2);
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(everyOther, false, b, false, 1, 0, c));
        assertTrue(e.getMessage().contains("contiguous copy is needed"), e.getMessage());
        Tensor broadcast = arena.empty(DType.F32, 1, 4).expand(3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(broadcast, false, b, false, 1, 0, c));
        assertTrue(e.getMessage().contains("contiguous copy is needed"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(a, false, b, false, 1, 0, arena.empty(DType.F32, 5, 3).transpose(0, 1)));
        assertTrue(e.getMessage().contains("unit stride in its last dim"), e.getMessage());
        Tensor square = arena.empty(DType.F32, 4, 4);
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(square, false, square, false, 1, 0, square));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.gemm(arena.empty(DType.F32, 2, 3, 4), false, b, false, 1, 0, c));
        assertTrue(e.getMessage().contains("2-D"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.bmm(arena.empty(DType.F32, 2, 3, 4), false,
                arena.empty(DType.F32, 3, 4, 5), false, 1, 0, arena.empty(DType.F32, 2, 3, 5)));
        assertTrue(e.getMessage().contains("batch dims"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MatMul.bmm(arena.empty(DType.F32, 2, 3, 4), false,
                arena.empty(DType.F32, 2, 4, 5), false, 1, 0, arena.empty(DType.F32, 1, 3, 5).expand(2, 3, 5)));
        assertTrue(e.getMessage().contains("broadcast"), e.getMessage());
    }
}
