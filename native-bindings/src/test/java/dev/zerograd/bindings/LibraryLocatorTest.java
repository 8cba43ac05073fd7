package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search order for the CUDA libraries (and, by the same code, oneDNN), its inputs, and the message when nothing is found. */
class LibraryLocatorTest {
    /** The runtime's search with names no loader knows, so that only the given directories can succeed. */
    private static final LibraryLocator.Spec ABSENT = new LibraryLocator.Spec("the CUDA runtime (libcudart)",
            "ZEROGRAD_CUDART", "zerograd.cudart", List.of("libzerograd-test-absent.so.13"),
            LibraryLocator.CUDART.required(), LibraryLocator.CUDART.installHint());

    @TempDir
    Path temp;

    private static void assertSaysHowToProvide(String message) {
        assertTrue(message.startsWith("Could not load the CUDA runtime (libcudart). Places searched, in order:"),
                message);
        assertTrue(message.contains("install the CUDA toolkit, or only its runtime"), message);
        assertTrue(message.contains("set ZEROGRAD_CUDART=/path/to/"), message);
    }

    @Test
    void anExplicitPathThatDoesNotExistFailsClearlyWithoutFallingBack() {
        String missing = temp.resolve("nowhere/libcudart.so.13").toString();
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> LibraryLocator.locate(
                new LibraryLocator.Inputs(LibraryLocator.CUDART, missing, "ZEROGRAD_CUDART", List.of(temp))));
        assertSaysHowToProvide(e.getMessage());
        assertTrue(e.getMessage().contains("\n  1. ZEROGRAD_CUDART=" + missing + ": no such file\n"), e.getMessage());
        assertTrue(e.getMessage().contains("Other places are not tried while ZEROGRAD_CUDART is set"), e.getMessage());
        assertEquals(List.of("ZEROGRAD_CUDART=" + missing + ": no such file"), e.searched());
    }

    @Test
    void anExplicitLibraryThatIsNotTheRuntimeIsRefused() {
        Path openBlas = OpenBlas.libraryPath();
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> LibraryLocator.locate(
                new LibraryLocator.Inputs(LibraryLocator.CUDART, openBlas.toString(), "-Dzerograd.cudart", List.of())));
        assertTrue(e.getMessage().contains("1. -Dzerograd.cudart=" + openBlas
                + ": not the CUDA runtime (libcudart): it does not export cudaGetDeviceCount"), e.getMessage());
    }

    @Test
    void nothingFoundListsEveryPlaceSearched() throws IOException {
        Path absentDir = temp.resolve("absent/lib64");
        Path emptyDir = Files.createDirectories(temp.resolve("empty/lib64"));
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> LibraryLocator.locate(new LibraryLocator.Inputs(ABSENT, null, "ZEROGRAD_CUDART",
                        List.of(absentDir, emptyDir))));
        assertSaysHowToProvide(e.getMessage());
        assertEquals(List.of("ZEROGRAD_CUDART / -Dzerograd.cudart: not set",
                "libzerograd-test-absent.so.13 via the dynamic loader: not found",
                absentDir + ": no such directory",
                emptyDir + ": none of libzerograd-test-absent.so.13"), e.searched());
    }

    @Test
    void theDynamicLoaderFindsTheInstalledRuntime() {
        assumeTrue(Cuda.isInstalled(), () -> "the CUDA runtime is not installed: " + Cuda.describe());
        LoadedLibrary library = LibraryLocator.locate(new LibraryLocator.Inputs(LibraryLocator.CUDART, null,
                "ZEROGRAD_CUDART", List.of()));
        assertEquals(LibrarySource.SYSTEM, library.source());
        assertTrue(library.path().isAbsolute(), "the file the loader mapped: " + library.path());
        assertTrue(library.path().getFileName().toString().startsWith("libcudart.so"), library.path().toString());
        assertTrue(library.searched().get(library.searched().size() - 1).contains(": loaded " + library.path()),
                library.searched().toString());
    }

    @Test
    void aToolkitDirectoryIsSearchedWhenTheLoaderFindsNothing() throws IOException {
        assumeTrue(Cuda.isInstalled(), () -> "the CUDA runtime is not installed: " + Cuda.describe());
        Path dir = Files.createDirectories(temp.resolve("cuda-13.0/lib64"));
        Path link = Files.createSymbolicLink(dir.resolve("libzerograd-test-absent.so.13"),
                Cuda.runtimeLibrary().orElseThrow().path());
        LoadedLibrary library = LibraryLocator.locate(new LibraryLocator.Inputs(ABSENT, null, "ZEROGRAD_CUDART",
                List.of(temp.resolve("cuda/lib64"), dir)));
        assertEquals(LibrarySource.SYSTEM, library.source());
        assertEquals(link, library.path());
        assertEquals(List.of("ZEROGRAD_CUDART / -Dzerograd.cudart: not set",
                "libzerograd-test-absent.so.13 via the dynamic loader: not found",
                temp.resolve("cuda/lib64") + ": no such directory",
                link + ": loaded " + link), library.searched());
        assertTrue(library.lookup().find("cudaGetDeviceCount").isPresent());
    }

    @Test
    void toolkitDirectoriesComeNewestFirstAndOnceEach() throws IOException {
        for (String version : List.of("cuda-9.2", "cuda-12.4", "cuda-12.10", "cuda-13.0", "cuda-tools")) {
            Files.createDirectories(temp.resolve(version));
        }
        Files.createSymbolicLink(temp.resolve("cuda"), temp.resolve("cuda-13.0"));
        Files.createDirectories(temp.resolve("cuda-13.0/lib"));
        Files.createSymbolicLink(temp.resolve("cuda-13.0/lib64"), temp.resolve("cuda-13.0/lib"));
        assertEquals(List.of(Path.of("/opt/cuda/lib64"), Path.of("/opt/cuda/lib"),
                        temp.resolve("cuda/lib64"),
                        temp.resolve("cuda-12.10/lib64"), temp.resolve("cuda-12.10/lib"),
                        temp.resolve("cuda-12.4/lib64"), temp.resolve("cuda-12.4/lib"),
                        temp.resolve("cuda-9.2/lib64"), temp.resolve("cuda-9.2/lib")),
                LibraryLocator.toolkitDirectories("/opt/cuda", temp));
    }

    @Test
    void inputsComeFromPropertiesThenEnvironment() {
        Properties props = new Properties();
        LibraryLocator.Inputs none = LibraryLocator.Inputs.from(LibraryLocator.CUDART, Map.of(), props, temp);
        assertNull(none.explicitPath());
        assertEquals(List.of(temp.resolve("cuda/lib64"), temp.resolve("cuda/lib")), none.directories());

        LibraryLocator.Inputs env = LibraryLocator.Inputs.from(LibraryLocator.CUDART,
                Map.of("ZEROGRAD_CUDART", "/opt/a.so", "ZEROGRAD_CUBLAS", "/opt/b.so", "CUDA_HOME", "/opt/cuda"),
                props, temp);
        assertEquals("/opt/a.so", env.explicitPath());
        assertEquals("ZEROGRAD_CUDART", env.explicitOrigin());
        assertEquals(Path.of("/opt/cuda/lib64"), env.directories().get(0));
        assertEquals("/opt/b.so", LibraryLocator.Inputs.from(LibraryLocator.CUBLAS,
                Map.of("ZEROGRAD_CUBLAS", "/opt/b.so"), props, temp).explicitPath());

        props.setProperty("zerograd.cudart", "/opt/c.so");
        LibraryLocator.Inputs prop = LibraryLocator.Inputs.from(LibraryLocator.CUDART, Map.of("ZEROGRAD_CUDART", "/opt/a.so"),
                props, temp);
        assertEquals("/opt/c.so", prop.explicitPath());
        assertEquals("-Dzerograd.cudart", prop.explicitOrigin());
        props.setProperty("zerograd.cudart", " ");
        assertNull(LibraryLocator.Inputs.from(LibraryLocator.CUDART, Map.of("ZEROGRAD_CUDART", ""), props, temp)
                .explicitPath(), "blank settings are ignored");
    }

    @Test
    void aJvmWhoseRuntimeIsMissingFailsClearlyAndDoesNotCrash() throws Exception {
        String missing = temp.resolve("nowhere/libcudart.so.13").toString();
        ChildJvm.Result result = ChildJvm.start(CudaChildMain.class, temp, ChildJvm.classPath(false),
                Map.of("ZEROGRAD_CUDART", missing), List.of()).await();
        assertNotEquals(0, result.exitCode(), result.stdout());
        assertFalse(ChildJvm.crashed(temp), "the JVM wrote a crash report");
        String out = result.stdout();
        assertTrue(out.contains("installed false\navailable false\ncount 0\n"), out);
        assertTrue(out.contains("describe not installed: libcudart not found (searched ZEROGRAD_CUDART=" + missing
                + ": no such file)\n"), out);
        assertTrue(out.contains("check cudaMalloc failed: cudaError 2 (2): (no description: the CUDA runtime is"
                + " not loaded)"), out);
        assertTrue(out.contains("first failure: Could not load the CUDA runtime (libcudart)."), out);
        // The second call fails the same way: the failure is remembered, not an ExceptionInInitializerError.
        assertTrue(result.stderr().contains("Exception in thread \"main\" dev.zerograd.bindings.NativeLibraryException:"
                + " Could not load the CUDA runtime (libcudart)."), result.stderr());
        assertFalse(result.stderr().contains("ExceptionInInitializerError"), result.stderr());
        assertFalse(result.stderr().contains("NoClassDefFoundError"), result.stderr());
    }

    /** Asking a runtime without a driver or a device only returns an error code: checked where a crash is harmless. */
    @Test
    void aJvmWithTheRuntimeAndWithoutADeviceAnswersAndDoesNotCrash() throws Exception {
        assumeTrue(Cuda.isInstalled(), () -> "the CUDA runtime is not installed: " + Cuda.describe());
        ChildJvm.Result result = ChildJvm.start(CudaChildMain.class, temp, ChildJvm.classPath(false), Map.of(),
                List.of()).await();
        assertFalse(ChildJvm.crashed(temp), "the JVM wrote a crash report");
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        String out = result.stdout();
        assertTrue(out.contains("installed true\navailable " + Cuda.isAvailable() + "\ncount " + Cuda.deviceCount()),
                out);
        assertTrue(out.contains("describe " + Cuda.describe() + "\n"), out);
        assertTrue(out.contains("check cudaMalloc failed: cudaErrorMemoryAllocation (2): out of memory"), out);
    }
}
