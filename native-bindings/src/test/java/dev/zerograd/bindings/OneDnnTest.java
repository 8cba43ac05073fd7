package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oneDNN binding: its GEMM against a reference, its status codes, its queries, and its absence. */
class OneDnnTest {
    @TempDir
    Path temp;

    private static void assumeOneDnn() {
        assumeTrue(OneDnn.isAvailable(), () -> "oneDNN is not installed: " + OneDnn.describe());
    }

    /** Row-major [rows, cols] with leading dimension ld >= cols, filled with small distinct values. */
    private static MemorySegment matrix(Arena arena, int rows, int cols, int ld, int salt) {
        MemorySegment m = arena.allocate(4L * rows * ld, 64);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < ld; j++) {
                float v = j < cols ? ((i * 7 + j * 3 + salt) % 11 - 5) * 0.25f : Float.NaN; // padding must not be read
                m.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * ld + j, v);
            }
        }
        return m;
    }

    @Test
    void sgemmMatchesTheReferenceForEveryTransposeCombination() {
        assumeOneDnn();
        int m = 5, n = 6, k = 7;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                try (Arena arena = Arena.ofConfined()) {
                    // A is stored [m, k] or, transposed, [k, m]; likewise B. Leading dimensions are padded by 2.
                    int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                    MemorySegment a = matrix(arena, aRows, aCols, aCols + 2, 1);
                    MemorySegment b = matrix(arena, bRows, bCols, bCols + 2, 2);
                    MemorySegment c = matrix(arena, m, n, n + 1, 3);
                    float[] before = new float[m * n];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            before[i * n + j] = c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * (n + 1) + j);
                        }
                    }
                    int status = Dnnl.dnnl_sgemm(ta ? Dnnl.TRANS : Dnnl.NO_TRANS, tb ? Dnnl.TRANS : Dnnl.NO_TRANS, m, n, k,
                            0.5f, a.address(), aCols + 2, b.address(), bCols + 2, 2f, c.address(), n + 1);
                    assertEquals(Dnnl.dnnl_success, status);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double sum = 0;
                            for (int p = 0; p < k; p++) {
                                float av = a.getAtIndex(ValueLayout.JAVA_FLOAT, ta ? (long) p * (aCols + 2) + i : (long) i * (aCols + 2) + p);
                                float bv = b.getAtIndex(ValueLayout.JAVA_FLOAT, tb ? (long) j * (bCols + 2) + p : (long) p * (bCols + 2) + j);
                                sum += (double) av * bv;
                            }
                            double want = 0.5 * sum + 2.0 * before[i * n + j];
                            float got = c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * (n + 1) + j);
                            assertEquals(want, got, 1e-5, "ta " + ta + " tb " + tb + " at (" + i + ", " + j + ")");
                        }
                        // The padding column of C is left alone.
                        assertTrue(Float.isNaN(c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * (n + 1) + n)));
                    }
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresWhatCHeld() {
        assumeOneDnn();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = matrix(arena, 3, 4, 4, 1), b = matrix(arena, 4, 2, 2, 2);
            MemorySegment c = arena.allocate(4L * 3 * 2, 64);
            c.fill((byte) 0xFF); // NaN bit patterns
            assertEquals(Dnnl.dnnl_success, Dnnl.dnnl_sgemm(Dnnl.NO_TRANS, Dnnl.NO_TRANS, 3, 2, 4, 1f, a.address(), 4,
                    b.address(), 2, 0f, c.address(), 2));
            for (int i = 0; i < 6; i++) {
                assertFalse(Float.isNaN(c.getAtIndex(ValueLayout.JAVA_FLOAT, i)), "element " + i);
            }
        }
    }

    @Test
    void invalidArgumentsGiveAStatusNotACrash() {
        assumeOneDnn();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(64, 64), c = arena.allocate(64, 64);
            // lda 1 < k 2 for a row-major, untransposed A.
            assertEquals(Dnnl.dnnl_invalid_arguments, Dnnl.dnnl_sgemm(Dnnl.NO_TRANS, Dnnl.NO_TRANS, 2, 2, 2, 1f, a.address(), 1,
                    a.address(), 2, 0f, c.address(), 2));
            assertEquals(Dnnl.dnnl_invalid_arguments, Dnnl.dnnl_sgemm((byte) 'X', Dnnl.NO_TRANS, 2, 2, 2, 1f, a.address(), 2,
                    a.address(), 2, 0f, c.address(), 2));
        }
    }

    @Test
    void versionRuntimeAndInstructionSetAreReadable() {
        assumeOneDnn();
        assertTrue(OneDnn.version().matches("[23]\\.\\d+\\.\\d+"), OneDnn.version());
        assertTrue(List.of("omp", "seq", "tbb", "threadpool").contains(OneDnn.cpuRuntime()), OneDnn.cpuRuntime());
        assertNotEquals(0, OneDnn.cpuIsa());
        String d = OneDnn.describe();
        assertTrue(d.startsWith("oneDNN: "), d);
        assertTrue(d.contains(OneDnn.libraryPath().toString()) && d.contains(OneDnn.version()), d);
    }

    @Test
    void theThreadCountBelongsToTheCallingThread() throws Exception {
        assumeOneDnn();
        assumeTrue(OneDnn.cpuRuntimeCode() == Dnnl.DNNL_RUNTIME_OMP, "oneDNN does not run on OpenMP here");
        int mine = OneDnn.numThreadsOnThisThread();
        AtomicInteger seen = new AtomicInteger();
        Thread other = new Thread(() -> {
            OneDnn.setNumThreadsOnThisThread(mine + 3);
            seen.set(OneDnn.numThreadsOnThisThread());
        });
        other.start();
        other.join();
        assertEquals(mine + 3, seen.get());
        assertEquals(mine, OneDnn.numThreadsOnThisThread(), "another thread's setting changed this one's");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OneDnn.setNumThreadsOnThisThread(0));
        assertEquals("OneDnn.setNumThreadsOnThisThread: threads must be >= 1, got 0", e.getMessage());
    }

    @Test
    void anExplicitPathThatDoesNotExistSaysWhereItLookedAndHowToInstall() {
        String missing = temp.resolve("nowhere/libdnnl.so.3").toString();
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> LibraryLocator.locate(
                new LibraryLocator.Inputs(LibraryLocator.ONEDNN, missing, "ZEROGRAD_ONEDNN", List.of(temp))));
        String message = e.getMessage();
        assertTrue(message.startsWith("Could not load oneDNN (libdnnl). Places searched, in order:"), message);
        assertTrue(message.contains("1. ZEROGRAD_ONEDNN=" + missing + ": no such file"), message);
        assertTrue(message.contains("apt-get install libdnnl2"), message);
        assertTrue(message.contains("set ZEROGRAD_ONEDNN=/path/to/libdnnl.so.3"), message);
    }

    @Test
    void aLibraryThatIsNotOneDnnIsRefused() {
        Path openBlas = OpenBlas.libraryPath();
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> LibraryLocator.locate(
                new LibraryLocator.Inputs(LibraryLocator.ONEDNN, openBlas.toString(), "-Dzerograd.onednn", List.of())));
        assertTrue(e.getMessage().contains("-Dzerograd.onednn=" + openBlas + ": not oneDNN (libdnnl): it does not export"
                + " dnnl_sgemm"), e.getMessage());
    }

    @Test
    void aJvmWithoutOneDnnFailsClearlyAndDoesNotCrash() throws Exception {
        String missing = temp.resolve("nowhere/libdnnl.so.3").toString();
        ChildJvm.Result result = ChildJvm.start(OneDnnChildMain.class, temp, ChildJvm.classPath(false),
                Map.of("ZEROGRAD_ONEDNN", missing), List.of()).await();
        assertNotEquals(0, result.exitCode(), result.stdout());
        assertFalse(ChildJvm.crashed(temp), "the JVM wrote a crash report");
        String out = result.stdout();
        assertTrue(out.contains("available false\ndescribe oneDNN: unavailable\nCould not load oneDNN (libdnnl)."), out);
        assertTrue(out.contains("first failure: Could not load oneDNN (libdnnl)."), out);
        assertTrue(result.stderr().contains("Exception in thread \"main\" dev.zerograd.bindings.NativeLibraryException:"
                + " Could not load oneDNN (libdnnl)."), result.stderr());
        assertFalse(result.stderr().contains("ExceptionInInitializerError"), result.stderr());
    }
}
