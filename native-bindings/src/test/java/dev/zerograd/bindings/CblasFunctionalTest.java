package dev.zerograd.bindings;

import static dev.zerograd.bindings.Cblas.CblasNoTrans;
import static dev.zerograd.bindings.Cblas.CblasRowMajor;
import static dev.zerograd.bindings.Cblas.CblasTrans;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The binding computes what BLAS specifies: each function against a naive loop on random data. */
class CblasFunctionalTest {
    private final Random random = new Random(42);

    private float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextFloat() * 2 - 1;
        }
        return a;
    }

    private double[] randomDoubles(int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextDouble() * 2 - 1;
        }
        return a;
    }

    /** Row-major {@code c = alpha op(a) op(b) + beta c} in double, with leading dimensions. */
    static void naiveGemm(boolean ta, boolean tb, int m, int n, int k, double alpha, double[] a, int lda,
            double[] b, int ldb, double beta, double[] c, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                }
                c[i * ldc + j] = alpha * sum + beta * c[i * ldc + j];
            }
        }
    }

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
    @CsvSource({"false,false,7,5,9", "true,false,7,5,9", "false,true,7,5,9", "true,true,7,5,9",
            "false,false,96,80,112", "true,true,96,80,112"})
    void sgemmAndDgemmMatchANaiveLoop(boolean ta, boolean tb, int m, int n, int k) {
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2; // padded leading dimensions
        int aRows = ta ? k : m, bRows = tb ? n : k;
        float alpha = 0.75f, beta = -0.5f;
        float[] a = randomFloats(aRows * lda), b = randomFloats(bRows * ldb), c = randomFloats(m * ldc);
        double[] expected = widen(c);
        naiveGemm(ta, tb, m, n, k, alpha, widen(a), lda, widen(b), ldb, beta, expected, ldc);
        double[] ad = randomDoubles(aRows * lda), bd = randomDoubles(bRows * ldb), cd = randomDoubles(m * ldc);
        double[] expectedD = cd.clone();
        naiveGemm(ta, tb, m, n, k, alpha, ad, lda, bd, ldb, beta, expectedD, ldc);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cs = arena.allocateFrom(JAVA_FLOAT, c);
            Cblas.cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, arena.allocateFrom(JAVA_FLOAT, a), lda, arena.allocateFrom(JAVA_FLOAT, b), ldb,
                    beta, cs, ldc);
            MemorySegment cds = arena.allocateFrom(JAVA_DOUBLE, cd);
            Cblas.cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, arena.allocateFrom(JAVA_DOUBLE, ad), lda, arena.allocateFrom(JAVA_DOUBLE, bd), ldb,
                    beta, cds, ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) { // padding columns j >= n must be untouched
                    int at = i * ldc + j;
                    assertEquals(expected[at], cs.getAtIndex(JAVA_FLOAT, at), 1e-4 * (1 + Math.abs(expected[at])));
                    assertEquals(expectedD[at], cds.getAtIndex(JAVA_DOUBLE, at), 1e-12 * k);
                }
            }
        }
    }

    @ParameterizedTest(name = "trans={0}")
    @CsvSource({"false", "true"})
    void sgemvAndDgemvMatchANaiveLoop(boolean trans) {
        int m = 13, n = 6, lda = n + 2, incx = 2, incy = 3;
        int xLen = trans ? m : n, yLen = trans ? n : m;
        float alpha = 1.25f, beta = 0.5f;
        float[] a = randomFloats(m * lda), x = randomFloats(xLen * incx), y = randomFloats(yLen * incy);
        double[] expected = widen(y);
        for (int i = 0; i < yLen; i++) {
            double sum = 0;
            for (int p = 0; p < xLen; p++) {
                sum += (trans ? a[p * lda + i] : a[i * lda + p]) * (double) x[p * incx];
            }
            expected[i * incy] = alpha * sum + beta * y[i * incy];
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ys = arena.allocateFrom(JAVA_FLOAT, y);
            Cblas.cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, alpha,
                    arena.allocateFrom(JAVA_FLOAT, a), lda, arena.allocateFrom(JAVA_FLOAT, x), incx, beta, ys, incy);
            MemorySegment yd = arena.allocateFrom(JAVA_DOUBLE, widen(y));
            Cblas.cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, alpha,
                    arena.allocateFrom(JAVA_DOUBLE, widen(a)), lda, arena.allocateFrom(JAVA_DOUBLE, widen(x)), incx,
                    beta, yd, incy);
            for (int i = 0; i < y.length; i++) {
                assertEquals(expected[i], ys.getAtIndex(JAVA_FLOAT, i), 1e-5, "sgemv y[" + i + "]");
                assertEquals(expected[i], yd.getAtIndex(JAVA_DOUBLE, i), 1e-12, "dgemv y[" + i + "]");
            }
        }
    }

    @Test
    void level1MatchesANaiveLoop() {
        int n = 1001;
        float[] x = randomFloats(n), y = randomFloats(n);
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) x[i] * y[i];
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(JAVA_FLOAT, x), ys = arena.allocateFrom(JAVA_FLOAT, y);
            MemorySegment xd = arena.allocateFrom(JAVA_DOUBLE, widen(x)), yd = arena.allocateFrom(JAVA_DOUBLE, widen(y));
            assertEquals(dot, Cblas.cblas_sdot(n, xs, 1, ys, 1), 1e-3);
            assertEquals(dot, Cblas.cblas_ddot(n, xd, 1, yd, 1), 1e-10);
            // Every other element: n/2 + 1 of them.
            double strided = 0;
            for (int i = 0; i < n; i += 2) {
                strided += (double) x[i] * y[i];
            }
            assertEquals(strided, Cblas.cblas_sdot(n / 2 + 1, xs, 2, ys, 2), 1e-3);

            Cblas.cblas_saxpy(n, 2.5f, xs, 1, ys, 1);
            Cblas.cblas_daxpy(n, 2.5, xd, 1, yd, 1);
            for (int i = 0; i < n; i++) {
                assertEquals(y[i] + 2.5f * x[i], ys.getAtIndex(JAVA_FLOAT, i), 1e-6);
                assertEquals(y[i] + 2.5 * x[i], yd.getAtIndex(JAVA_DOUBLE, i), 1e-12);
            }
            Cblas.cblas_sscal(n, -3f, xs, 1);
            Cblas.cblas_dscal(n, -3, xd, 1);
            for (int i = 0; i < n; i++) {
                assertEquals(-3f * x[i], xs.getAtIndex(JAVA_FLOAT, i), 1e-6);
                assertEquals(-3.0 * x[i], xd.getAtIndex(JAVA_DOUBLE, i), 1e-12);
            }
        }
    }

    @Test
    void sgemmBatchIsUsableOnlyWithoutTheDynamicArchDefect() {
        assertEquals(OpenBlas.exportsSgemmBatch() && !OpenBlas.configString().contains("DYNAMIC_ARCH"),
                OpenBlas.hasSgemmBatch());
    }

    @Test
    void sgemmBatchComputesEachGroup() {
        if (!OpenBlas.exportsSgemmBatch()) {
            assertThrows(NativeLibraryException.class, () -> Cblas.cblas_sgemm_batch(CblasRowMajor,
                    MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                    MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                    MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                    MemorySegment.NULL, 0, MemorySegment.NULL));
            return;
        }
        // Where hasSgemmBatch() is false (DYNAMIC_ARCH), only groups with m*n*k > 100^3 are safe: see
        // Note [gemm_batch and DYNAMIC_ARCH] in OpenBlas. They still check every argument's position.
        int m = OpenBlas.hasSgemmBatch() ? 4 : 101, n = OpenBlas.hasSgemmBatch() ? 3 : 103, k = 100;
        // Group 0: two products op(A)=A (m x k); group 1: one product op(A)=A^T, A stored k x m.
        float[] alphas = {1f, 2f}, betas = {0f, 1f};
        boolean[] transA = {false, false, true};
        int[] group = {0, 0, 1};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment aPtrs = arena.allocate(ADDRESS, 3), bPtrs = arena.allocate(ADDRESS, 3),
                    cPtrs = arena.allocate(ADDRESS, 3);
            float[][] a = new float[3][], b = new float[3][], c = new float[3][];
            MemorySegment[] cs = new MemorySegment[3];
            for (int p = 0; p < 3; p++) {
                a[p] = randomFloats(m * k);
                b[p] = randomFloats(k * n);
                c[p] = randomFloats(m * n);
                cs[p] = arena.allocateFrom(JAVA_FLOAT, c[p]);
                aPtrs.setAtIndex(ADDRESS, p, arena.allocateFrom(JAVA_FLOAT, a[p]));
                bPtrs.setAtIndex(ADDRESS, p, arena.allocateFrom(JAVA_FLOAT, b[p]));
                cPtrs.setAtIndex(ADDRESS, p, cs[p]);
            }
            Cblas.cblas_sgemm_batch(CblasRowMajor, arena.allocateFrom(JAVA_INT, CblasNoTrans, CblasTrans),
                    arena.allocateFrom(JAVA_INT, CblasNoTrans, CblasNoTrans), arena.allocateFrom(JAVA_INT, m, m),
                    arena.allocateFrom(JAVA_INT, n, n), arena.allocateFrom(JAVA_INT, k, k),
                    arena.allocateFrom(JAVA_FLOAT, alphas), aPtrs, arena.allocateFrom(JAVA_INT, k, m), bPtrs,
                    arena.allocateFrom(JAVA_INT, n, n), arena.allocateFrom(JAVA_FLOAT, betas), cPtrs,
                    arena.allocateFrom(JAVA_INT, n, n), 2, arena.allocateFrom(JAVA_INT, 2, 1));
            for (int p = 0; p < 3; p++) {
                double[] expected = widen(c[p]);
                naiveGemm(transA[p], false, m, n, k, alphas[group[p]], widen(a[p]), transA[p] ? m : k, widen(b[p]), n,
                        betas[group[p]], expected, n);
                for (int i = 0; i < m * n; i++) {
                    assertEquals(expected[i], cs[p].getAtIndex(JAVA_FLOAT, i), 1e-4, "product " + p + " [" + i + "]");
                }
            }
        }
    }

    /** One step of typical calls; the sum keeps every result live. */
    private static float calls(MemorySegment a, MemorySegment b, MemorySegment c) {
        Cblas.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 8, 8, 8, 0.5f, a, 8, b, 8, 0f, c, 8);
        Cblas.cblas_sgemv(CblasRowMajor, CblasNoTrans, 8, 8, 1f, a, 8, b, 1, 0f, c, 1);
        Cblas.cblas_saxpy(64, 0.25f, a, 1, c, 1);
        Cblas.cblas_sscal(64, 0.5f, c, 1);
        return Cblas.cblas_sdot(64, a, 1, c, 1) + Cblas.openblas_get_num_threads();
    }

    @Test
    void warmCallsAllocateNothingOnTheHeap() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom(JAVA_FLOAT, randomFloats(64));
            MemorySegment b = arena.allocateFrom(JAVA_FLOAT, randomFloats(64));
            MemorySegment c = arena.allocate(JAVA_FLOAT, 64);
            float sink = 0;
            for (int i = 0; i < 20_000; i++) {
                sink += calls(a, b, c);
            }
            // A few rounds, so that a compilation finishing late cannot fail the test; allocation on
            // every call would still show in each round.
            long allocated = -1;
            for (int round = 0; round < 5 && allocated != 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1_000; i++) {
                    sink += calls(a, b, c);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 1000 warm steps (sink " + sink + ")");
        }
    }

    @Test
    void heapSegmentsAreRejectedNotCrashed() {
        MemorySegment heap = MemorySegment.ofArray(new float[4]);
        assertThrows(IllegalArgumentException.class, () -> Cblas.cblas_sdot(4, heap, 1, heap, 1));
        assertThrows(IllegalArgumentException.class, () -> Cblas.cblas_sgemm(CblasRowMajor, CblasNoTrans,
                CblasNoTrans, 2, 2, 2, 1f, heap, 2, heap, 2, 0f, heap, 2));
    }

    @Test
    void threadCountCanBeSetAndRead() {
        int original = OpenBlas.numThreads();
        assertTrue(original >= 1);
        try {
            OpenBlas.setNumThreads(1);
            assertEquals(1, OpenBlas.numThreads());
        } finally {
            OpenBlas.setNumThreads(original);
        }
        assertEquals(original, OpenBlas.numThreads());
        assertThrows(IllegalArgumentException.class, () -> OpenBlas.setNumThreads(0));
    }

    @Test
    void configurationStringsAndSourceAreReported() {
        assertTrue(OpenBlas.isAvailable());
        assertTrue(OpenBlas.find().isPresent());
        assertTrue(OpenBlas.configString().contains("OpenBLAS"), OpenBlas.configString());
        assertFalse(OpenBlas.coreName().isBlank());
        assertTrue(Set.of("sequential", "pthreads", "openmp").contains(OpenBlas.parallelism()));
        assertTrue(Files.isRegularFile(OpenBlas.libraryPath()), OpenBlas.libraryPath().toString());
        LoadedLibrary library = OpenBlas.load();
        assertTrue(library.searched().get(library.searched().size() - 1).contains("loaded"), library.searched().toString());
        String info = OpenBlas.describe();
        assertTrue(info.startsWith("OpenBLAS: " + OpenBlas.source() + " " + OpenBlas.libraryPath()), info);
    }
}
