package dev.zerograd.kernels;

import static dev.zerograd.kernels.RefTensors.assertClose;
import static dev.zerograd.kernels.SpatialTestSupport.bytesPerCall;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.zerograd.bindings.OneDnn;
import dev.zerograd.kernels.GemmBackend.Choice;
import dev.zerograd.kernels.GemmBackend.Kind;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Note [GEMM backend]: the choice of sgemm library, and the same results and zero allocation on each. */
class GemmBackendTest {
    private final TensorArena arena = TensorArena.ofConfined(64 << 20);
    private final Choice saved = GemmBackend.snapshot();
    private final long savedMinWork = GemmBackend.minWork;
    private final long savedMinSplitWork = GemmBackend.minSplitWork;

    @AfterEach
    void restore() {
        GemmBackend.restore(saved);
        GemmBackend.minWork = savedMinWork;
        GemmBackend.minSplitWork = savedMinSplitWork;
        arena.close();
    }

    /** The backends usable here: OpenBLAS always, oneDNN when installed. */
    static List<Kind> usableKinds() {
        List<Kind> kinds = new ArrayList<>(List.of(Kind.OPENBLAS));
        if (GemmBackend.oneDnnUsable()) {
            kinds.add(Kind.ONEDNN);
        }
        return kinds;
    }

    /**
     * Runs {@code body} on each usable backend, on oneDNN for every product however small (minWork 0), then puts
     * the previous choice back.
     */
    static void onEachBackend(java.util.function.Consumer<Kind> body) {
        Choice saved = GemmBackend.snapshot();
        long savedMinWork = GemmBackend.minWork, savedMinSplitWork = GemmBackend.minSplitWork;
        try {
            for (Kind kind : usableKinds()) {
                GemmBackend.use(kind);
                GemmBackend.minWork = kind == Kind.ONEDNN ? 0 : savedMinWork;
                GemmBackend.minSplitWork = kind == Kind.ONEDNN ? 0 : savedMinSplitWork;
                body.accept(kind);
            }
        } finally {
            GemmBackend.restore(saved);
            GemmBackend.minWork = savedMinWork;
            GemmBackend.minSplitWork = savedMinSplitWork;
        }
    }

    private record Probe(String failure, String describe, boolean threadCountSettable, boolean avx512)
            implements GemmBackend.OneDnnProbe {}

    private static final Probe FULL = new Probe(null, "oneDNN 2.6.3 (omp, avx512_core_bf16)", true, true);

    @Test
    void autoTakesOneDnnOnlyWhenItIsInstalledRunsOnOpenMpAndHasAvx512() {
        assertEquals(new Choice(Kind.ONEDNN, "auto: oneDNN 2.6.3 (omp, avx512_core_bf16)"), GemmBackend.choose(null, "ZEROGRAD_SGEMM", FULL));
        assertEquals(Kind.ONEDNN, GemmBackend.choose(" Auto ", "ZEROGRAD_SGEMM", FULL).kind());
        assertEquals(Kind.ONEDNN, GemmBackend.choose("", "ZEROGRAD_SGEMM", FULL).kind());
        assertEquals(new Choice(Kind.OPENBLAS, "auto: oneDNN is not installed"),
                GemmBackend.choose("auto", "ZEROGRAD_SGEMM", new Probe("Could not load oneDNN", null, false, false)));
        assertEquals(new Choice(Kind.OPENBLAS, "auto: oneDNN 3.4.1 (tbb, avx512_core) does not run on OpenMP"),
                GemmBackend.choose("auto", "ZEROGRAD_SGEMM", new Probe(null, "oneDNN 3.4.1 (tbb, avx512_core)", false, true)));
        assertEquals(new Choice(Kind.OPENBLAS, "auto: oneDNN 2.6.3 (omp, avx2) has no AVX-512 kernels here"),
                GemmBackend.choose("auto", "ZEROGRAD_SGEMM", new Probe(null, "oneDNN 2.6.3 (omp, avx2)", true, false)));
    }

    @Test
    void explicitSettingsAreObeyedOrRefusedWithTheReason() {
        assertEquals(new Choice(Kind.OPENBLAS, "ZEROGRAD_SGEMM=openblas"), GemmBackend.choose("OpenBLAS", "ZEROGRAD_SGEMM", FULL));
        assertEquals(new Choice(Kind.ONEDNN, "-Dzerograd.sgemm=onednn: oneDNN 2.6.3 (omp, avx512_core_bf16)"),
                GemmBackend.choose("onednn", "-Dzerograd.sgemm", FULL));
        // Asked for explicitly, oneDNN is used even without AVX-512.
        assertEquals(Kind.ONEDNN, GemmBackend.choose("onednn", "ZEROGRAD_SGEMM", new Probe(null, "oneDNN 2.6.3 (omp, avx2)", true, false)).kind());
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> GemmBackend.choose("onednn", "ZEROGRAD_SGEMM",
                new Probe("Could not load oneDNN (libdnnl). Places searched, in order: ...", null, false, false)));
        assertEquals("ZEROGRAD_SGEMM=onednn asks for oneDNN's sgemm, but oneDNN could not be loaded; set ZEROGRAD_SGEMM=auto or"
                + " openblas to use OpenBLAS.\nCould not load oneDNN (libdnnl). Places searched, in order: ...", missing.getMessage());
        IllegalStateException tbb = assertThrows(IllegalStateException.class, () -> GemmBackend.choose("onednn", "ZEROGRAD_SGEMM",
                new Probe(null, "oneDNN 3.4.1 (tbb, avx512_core)", false, true)));
        assertTrue(tbb.getMessage().contains("oneDNN 3.4.1 (tbb, avx512_core) does not run on OpenMP"), tbb.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> GemmBackend.choose("mkl", "-Dzerograd.sgemm", FULL));
        assertEquals("-Dzerograd.sgemm=mkl: expected auto, openblas or onednn", bad.getMessage());
    }

    @Test
    void useSwitchesTheBackendAndDescribeSaysWhich() {
        GemmBackend.use(Kind.OPENBLAS);
        assertEquals(Kind.OPENBLAS, GemmBackend.current());
        assertEquals("OpenBLAS (GemmBackend.use(OPENBLAS))", GemmBackend.describe());
        if (GemmBackend.oneDnnUsable()) {
            GemmBackend.use(Kind.ONEDNN);
            assertEquals(Kind.ONEDNN, GemmBackend.current());
            assertTrue(GemmBackend.describe().startsWith("oneDNN (GemmBackend.use=onednn: oneDNN "), GemmBackend.describe());
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GemmBackend.use(Kind.ONEDNN));
            assertTrue(e.getMessage().startsWith("GemmBackend.use=onednn asks for oneDNN's sgemm"), e.getMessage());
            assertEquals(Kind.OPENBLAS, GemmBackend.current(), "a refused switch changes nothing");
        }
    }

    /** Every layout MatMul hands to the backend (row-major, transposed view, padded rows), above and below minWork. */
    @Test
    void everyBackendMatchesTheTripleLoop() {
        Random rnd = new Random(5);
        long[][] sizes = {{150, 130, 120}, {7, 5, 9}, {1, 200, 64}, {300, 1, 40}};
        int threads = GemmBackend.threads();
        try {
            for (Kind kind : usableKinds()) {
                GemmBackend.use(kind);
                // One GEMM thread: oneDNN takes the products (Note [oneDNN and signals]); two: OpenBLAS does.
                for (int gemmThreads : new int[] {1, 2}) {
                    GemmBackend.setThreads(gemmThreads);
                    for (long minWork : new long[] {0, savedMinWork}) {
                        GemmBackend.minWork = minWork;
                        GemmBackend.minSplitWork = minWork; // 0: on two threads, oneDNN splits (Note [Split GEMMs])
                        for (long[] s : sizes) {
                            long m = s[0], n = s[1], k = s[2];
                            for (int layout = 0; layout < 4; layout++) {
                                arena.reset();
                                // 0: both row-major (b with padded rows); 1: op(a) transposed from padded rows, b a
                                // column-major view; 2: op(b) transposed; 3: a column-major view, and op(b) transposed
                                // from a column-major view.
                                boolean ta = layout == 1, tb = layout >= 2;
                                Tensor a = switch (layout) {
                                    case 1 -> arena.empty(DType.F32, k, m + 3).slice(1, 1, m + 1);
                                    case 3 -> arena.empty(DType.F32, k, m).transpose(0, 1);
                                    default -> arena.empty(DType.F32, m, k);
                                };
                                Tensor b = switch (layout) {
                                    case 0 -> arena.empty(DType.F32, k, n + 2).slice(1, 0, n);
                                    case 1 -> arena.empty(DType.F32, n, k).transpose(0, 1);
                                    case 2 -> arena.empty(DType.F32, n, k);
                                    default -> arena.empty(DType.F32, k, n).transpose(0, 1);
                                };
                                RefTensors.fill(a, rnd);
                                RefTensors.fill(b, rnd);
                                Tensor c = arena.empty(DType.F32, m, n);
                                RefTensors.fill(c, rnd);
                                double[] c0 = c.toDoubleArray();
                                MatMul.gemm(a, ta, b, tb, 0.75, 0.5, c);
                                double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), want = new double[(int) (m * n)];
                                for (int i = 0; i < m; i++) {
                                    for (int j = 0; j < n; j++) {
                                        double sum = 0;
                                        for (int p = 0; p < k; p++) {
                                            double x = ta ? av[(int) (p * m + i)] : av[(int) (i * k + p)];
                                            double y = tb ? bv[(int) (j * k + p)] : bv[(int) (p * n + j)];
                                            sum += x * y;
                                        }
                                        want[(int) (i * n + j)] = 0.75 * sum + 0.5 * c0[(int) (i * n + j)];
                                    }
                                }
                                assertClose(kind + " on " + gemmThreads + " threads, minWork " + minWork + " " + m + "x" + n
                                        + "x" + k + " layout " + layout, want, c.toDoubleArray(), 2e-5);
                            }
                        }
                    }
                }
            }
        } finally {
            GemmBackend.setThreads(threads);
        }
    }

    @Test
    void oneDnnTakesOnlyLargeProductsOnOneThread() {
        assumeTrue(GemmBackend.oneDnnUsable(), "oneDNN is not installed");
        int threads = GemmBackend.threads();
        try {
            GemmBackend.setThreads(1);
            assertTrue(GemmBackend.takesOneDnn(savedMinWork, OneDnn.numThreadsOnThisThread()));
            assertTrue(!GemmBackend.takesOneDnn(savedMinWork - 1, OneDnn.numThreadsOnThisThread()), "below minWork");
            GemmBackend.setThreads(2);
            assertTrue(!GemmBackend.takesOneDnn(Long.MAX_VALUE, OneDnn.numThreadsOnThisThread()), "on two threads: Note [oneDNN and signals]");
            assertEquals(Parallel.threads() > 1, GemmBackend.splits(savedMinSplitWork, OneDnn.numThreadsOnThisThread()), "split over the pool instead");
            assertTrue(!GemmBackend.splits(savedMinSplitWork - 1, OneDnn.numThreadsOnThisThread()), "below minSplitWork: OpenBLAS");
        } finally {
            GemmBackend.setThreads(threads);
        }
    }

    @Test
    void productsBelowMinWorkRunOnOpenBlasBitForBit() {
        assumeTrue(GemmBackend.oneDnnUsable(), "oneDNN is not installed");
        Random rnd = new Random(9);
        Tensor a = arena.empty(DType.F32, 40, 30), b = arena.empty(DType.F32, 30, 50);
        RefTensors.fill(a, rnd);
        RefTensors.fill(b, rnd);
        Tensor c1 = arena.empty(DType.F32, 40, 50), c2 = arena.empty(DType.F32, 40, 50);
        GemmBackend.use(Kind.OPENBLAS);
        MatMul.gemm(a, false, b, false, 1, 0, c1);
        GemmBackend.use(Kind.ONEDNN);
        GemmBackend.minWork = 40 * 30 * 50 + 1;
        MatMul.gemm(a, false, b, false, 1, 0, c2);
        assertArrayEquals(c1.toDoubleArray(), c2.toDoubleArray(), "below minWork");
        int threads = GemmBackend.threads();
        try {
            GemmBackend.minWork = 0;
            GemmBackend.setThreads(2);
            c2.fill(0);
            MatMul.gemm(a, false, b, false, 1, 0, c2);
            assertArrayEquals(c1.toDoubleArray(), c2.toDoubleArray(), "on two threads");
        } finally {
            GemmBackend.setThreads(threads);
        }
    }

    /**
     * Note [Split GEMMs]: blocks of rows or of columns, each a single-threaded oneDNN call, against one call (to
     * rounding; the triple-loop test checks both against the definition).
     */
    @Test
    void splitProductsMatchOneCall() {
        assumeTrue(GemmBackend.oneDnnUsable(), "oneDNN is not installed");
        assumeTrue(Parallel.threads() > 1, "one pool thread: nothing to split over");
        GemmBackend.use(Kind.ONEDNN);
        GemmBackend.minWork = 0;
        GemmBackend.minSplitWork = 0;
        int threads = GemmBackend.threads();
        Random rnd = new Random(21);
        try {
            // Rows (m large), columns (m small), every transpose flag, padded leading dimensions.
            for (long[] s : new long[][] {{257, 190, 130}, {5, 300, 70}}) {
                for (int flags = 0; flags < 4; flags++) {
                    boolean ta = (flags & 1) != 0, tb = (flags & 2) != 0;
                    long m = s[0], n = s[1], k = s[2];
                    arena.reset();
                    Tensor a = ta ? arena.empty(DType.F32, k, m + 3).slice(1, 0, m) : arena.empty(DType.F32, m, k + 1).slice(1, 1, k + 1);
                    Tensor b = tb ? arena.empty(DType.F32, n, k + 2).slice(1, 0, k) : arena.empty(DType.F32, k, n + 5).slice(1, 2, n + 2);
                    RefTensors.fill(a, rnd);
                    RefTensors.fill(b, rnd);
                    Tensor one = arena.empty(DType.F32, m, n), split = arena.empty(DType.F32, m, n);
                    one.fill(0.25);
                    split.fill(0.25);
                    GemmBackend.setThreads(1);
                    MatMul.gemm(a, ta, b, tb, 1.5, 0.5, one);
                    GemmBackend.setThreads(2);
                    MatMul.gemm(a, ta, b, tb, 1.5, 0.5, split);
                    // The blocks change oneDNN's blocking, so the sums round differently: agreement to rounding.
                    assertClose(m + "x" + n + "x" + k + " flags " + flags, one.toDoubleArray(), split.toDoubleArray(), 1e-4);
                }
            }
        } finally {
            GemmBackend.setThreads(threads);
        }
    }

    @Test
    void setThreadsSetsTheCountOfTheBackendInUse() {
        int before = GemmBackend.threads();
        try {
            for (Kind kind : usableKinds()) {
                GemmBackend.use(kind);
                GemmBackend.setThreads(1);
                assertEquals(1, GemmBackend.threads(), kind.title());
                GemmBackend.setThreads(2);
                assertEquals(2, GemmBackend.threads(), kind.title());
                // What a conv slot region does on the calling thread (Note [Conv slots]).
                long saved = GemmBackend.savedThreads();
                GemmBackend.singleThreadedOnThisThread(saved);
                assertEquals(1, GemmBackend.threads(), kind.title() + " in a slot region");
                GemmBackend.restoreThreads(saved);
                assertEquals(2, GemmBackend.threads(), kind.title() + " after restoreThreads");
            }
        } finally {
            GemmBackend.setThreads(before);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmBackend.setThreads(0));
        assertEquals("GemmBackend.setThreads: threads must be >= 1, got 0", e.getMessage());
    }

    /** The zero-GC contract on oneDNN: GEMMs, and convolutions in slots (thread counts saved, set and restored per call). */
    @Test
    void oneDnnCallsAllocateNothingAfterWarmUp() {
        assumeTrue(GemmBackend.oneDnnUsable(), "oneDNN is not installed");
        GemmBackend.use(Kind.ONEDNN);
        GemmBackend.minWork = 0;
        int threads = Parallel.threads();
        int gemmThreads = GemmBackend.threads();
        Parallel.setThreads(2);
        GemmBackend.setThreads(1); // the matmul on oneDNN too, with its signal mask
        GemmBackend.minSplitWork = 0;
        try {
            Random rnd = new Random(3);
            Tensor a = SpatialTestSupport.make(arena, DType.F32, rnd, 24, 16), b = SpatialTestSupport.make(arena, DType.F32, rnd, 16, 20);
            Tensor c = arena.empty(DType.F32, 24, 20);
            Tensor x = SpatialTestSupport.make(arena, DType.F32, rnd, 2, 3, 6, 6), w = SpatialTestSupport.make(arena, DType.F32, rnd, 4, 3, 3, 3);
            Tensor y = arena.empty(DType.F32, 2, 4, 6, 6), gy = SpatialTestSupport.make(arena, DType.F32, rnd, 2, 4, 6, 6);
            Tensor dx = arena.empty(DType.F32, 2, 3, 6, 6), dw = arena.empty(DType.F32, 4, 3, 3, 3);
            Tensor ws = arena.empty(DType.F32, Conv.workspaceElements(x, w, 1, 1, 1, 1, 1, 1, 1, 2) + w.numel());
            List<Runnable> calls = List.of(() -> MatMul.gemm(a, false, b, false, 1, 0, c),
                    () -> { // split over the pool (Note [Split GEMMs]): two GEMM threads on this one
                        GemmBackend.setThreads(2);
                        MatMul.gemm(a, false, b, false, 1, 0, c);
                        GemmBackend.setThreads(1);
                    },
                    () -> Conv.conv2d(x, w, null, 1, 1, 1, 1, 1, 1, 1, ws, y),
                    () -> Conv.conv2dBackwardInput(gy, w, 1, 1, 1, 1, 1, 1, 1, ws, dx),
                    () -> Conv.conv2dBackwardWeight(gy, x, 1, 1, 1, 1, 1, 1, 1, ws, dw));
            String[] names = {"gemm", "gemm split over the pool", "conv2d in slots", "conv2dBackwardInput in slots", "conv2dBackwardWeight in slots"};
            StringBuilder failures = new StringBuilder();
            for (int i = 0; i < calls.size(); i++) {
                double perCall = bytesPerCall(calls.get(i));
                if (perCall != 0) {
                    failures.append(String.format("%n  %s: %.1f bytes/call", names[i], perCall));
                }
            }
            assertEquals("", failures.toString(), "oneDNN calls allocate on the Java heap");
        } finally {
            Parallel.setThreads(threads);
            GemmBackend.setThreads(gemmThreads);
        }
    }
}
