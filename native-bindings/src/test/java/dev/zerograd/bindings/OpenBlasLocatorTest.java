package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search order, its inputs, and the message when nothing is found. */
class OpenBlasLocatorTest {
    private static final ClassLoader NO_BUNDLE = new URLClassLoader(new URL[0], null);
    private static final ClassLoader WITH_BUNDLE = OpenBlasLocatorTest.class.getClassLoader();

    @TempDir
    Path temp;

    private OpenBlasLocator.Inputs inputs(String explicit, boolean system, List<Path> systemPaths, ClassLoader loader) {
        return new OpenBlasLocator.Inputs(explicit, OpenBlasLocator.ENV_PATH, system, "libzerograd-test-absent.so.0",
                systemPaths, loader, temp.resolve("cache"));
    }

    private static void assertSaysHowToProvide(String message) {
        assertTrue(message.startsWith("OpenBLAS could not be loaded. Places searched, in order:"), message);
        assertTrue(message.contains("apt-get install libopenblas0 (or libopenblas0-openmp)"), message);
        assertTrue(message.contains("set ZEROGRAD_OPENBLAS=/path/to/libopenblas.so.0"), message);
        assertTrue(message.contains("put org.bytedeco:openblas:0.3.28-1.5.11:linux-x86_64 on the classpath"), message);
    }

    @Test
    void anExplicitPathThatDoesNotExistFailsClearlyWithoutFallingBack() {
        String missing = temp.resolve("nowhere/libopenblas.so.0").toString();
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> OpenBlasLocator.locate(inputs(missing, true, OpenBlasLocator.SYSTEM_PATHS, WITH_BUNDLE)));
        assertSaysHowToProvide(e.getMessage());
        assertTrue(e.getMessage().contains("1. ZEROGRAD_OPENBLAS=" + missing + ": no such file"), e.getMessage());
        assertTrue(e.getMessage().contains("are not tried while ZEROGRAD_OPENBLAS is set"), e.getMessage());
    }

    @Test
    void anExplicitFileThatIsNotALibraryOrNotOpenBlasIsRefused() throws IOException {
        // The JVM prints a warning about the stack guard for a file without ELF headers; it is harmless.
        Path empty = Files.createFile(temp.resolve("empty.so"));
        NativeLibraryException notElf = assertThrows(NativeLibraryException.class,
                () -> OpenBlasLocator.locate(inputs(empty.toString(), false, List.of(), NO_BUNDLE)));
        assertTrue(notElf.getMessage().contains(empty + ": could not be opened as a shared library"),
                notElf.getMessage());

        Path quadmath = BundledOpenBlas.extract(WITH_BUNDLE, OpenBlasLocator.Inputs.fromEnvironment().cacheRoot())
                .resolve("libquadmath.so.0");
        NativeLibraryException notOpenBlas = assertThrows(NativeLibraryException.class,
                () -> OpenBlasLocator.locate(inputs(quadmath.toString(), false, List.of(), NO_BUNDLE)));
        assertTrue(notOpenBlas.getMessage().contains("not OpenBLAS: it does not export cblas_sgemm"),
                notOpenBlas.getMessage());
    }

    @Test
    void nothingFoundListsEveryPlaceSearched() {
        Path absent = temp.resolve("usr/lib/libopenblas.so.0");
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> OpenBlasLocator.locate(inputs(null, true, List.of(absent), NO_BUNDLE)));
        String message = e.getMessage();
        assertSaysHowToProvide(message);
        assertTrue(message.contains("1. ZEROGRAD_OPENBLAS / -Dzerograd.openblas: not set"), message);
        assertTrue(message.contains("2. system libzerograd-test-absent.so.0 via the dynamic loader"), message);
        assertTrue(message.contains("3. " + absent + ": no such file"), message);
        assertTrue(message.contains("4. bundled org/bytedeco/openblas/linux-x86_64/libopenblas.so.0 on the classpath:"
                + " not found"), message);

        NativeLibraryException skipped = assertThrows(NativeLibraryException.class,
                () -> OpenBlasLocator.locate(inputs(null, false, List.of(absent), NO_BUNDLE)));
        assertTrue(skipped.getMessage().contains("2. system libzerograd-test-absent.so.0: skipped"), skipped.getMessage());
        assertFalse(skipped.getMessage().contains(absent.toString()), skipped.getMessage());
    }

    @Test
    void anExplicitPathWinsAndIsRecordedAsEnv() {
        Path loaded = OpenBlas.libraryPath(); // the same file: dlopen hands back the loaded library
        LoadedLibrary library = OpenBlasLocator.locate(inputs(loaded.toString(), true, List.of(), NO_BUNDLE));
        assertEquals(LibrarySource.ENV, library.source());
        assertEquals(loaded, library.path());
        assertTrue(library.lookup().find("cblas_sgemm").isPresent());
    }

    @Test
    void theBundledCopyIsUsedWhenTheSystemHasNone() {
        // The user's real cache, so that this opens the file the process may already have loaded.
        Path cache = OpenBlasLocator.Inputs.fromEnvironment().cacheRoot();
        LoadedLibrary library = OpenBlasLocator.locate(new OpenBlasLocator.Inputs(null, OpenBlasLocator.ENV_PATH,
                true, "libzerograd-test-absent.so.0", List.of(), WITH_BUNDLE, cache));
        assertEquals(LibrarySource.BUNDLED, library.source());
        assertTrue(library.path().startsWith(cache.resolve("zerograd")), library.path().toString());
        assertEquals(3, library.searched().size(), library.searched().toString());
        assertTrue(library.searched().get(2).contains("loaded " + library.path()), library.searched().toString());
    }

    @Test
    void inputsComeFromPropertiesThenEnvironment() {
        Properties props = new Properties();
        props.setProperty("user.home", "/home/someone");
        OpenBlasLocator.Inputs none = OpenBlasLocator.Inputs.from(Map.of(), props, NO_BUNDLE);
        assertNull(none.explicitPath());
        assertTrue(none.systemEnabled());
        assertEquals(Path.of("/home/someone/.cache"), none.cacheRoot());

        OpenBlasLocator.Inputs env = OpenBlasLocator.Inputs.from(Map.of("ZEROGRAD_OPENBLAS", "/opt/a.so",
                "ZEROGRAD_OPENBLAS_NO_SYSTEM", "1", "XDG_CACHE_HOME", "/var/cache/me"), props, NO_BUNDLE);
        assertEquals("/opt/a.so", env.explicitPath());
        assertEquals("ZEROGRAD_OPENBLAS", env.explicitOrigin());
        assertFalse(env.systemEnabled());
        assertEquals(Path.of("/var/cache/me"), env.cacheRoot());

        props.setProperty("zerograd.openblas", "/opt/b.so");
        props.setProperty("zerograd.openblas.disableSystem", "true");
        OpenBlasLocator.Inputs prop = OpenBlasLocator.Inputs.from(
                Map.of("ZEROGRAD_OPENBLAS", "/opt/a.so", "XDG_CACHE_HOME", "relative/cache"), props, NO_BUNDLE);
        assertEquals("/opt/b.so", prop.explicitPath());
        assertEquals("-Dzerograd.openblas", prop.explicitOrigin());
        assertFalse(prop.systemEnabled());
        assertEquals(Path.of("/home/someone/.cache"), prop.cacheRoot(), "a relative XDG_CACHE_HOME is ignored");
    }

    @Test
    void aJvmWithoutAnyOpenBlasFailsClearlyAndDoesNotCrash() throws Exception {
        ChildJvm.Result result = ChildJvm.start(temp, ChildJvm.classPath(false),
                Map.of("XDG_CACHE_HOME", temp.resolve("cache").toString()),
                List.of("-Dzerograd.openblas.disableSystem=true")).await();
        assertNotEquals(0, result.exitCode());
        assertFalse(ChildJvm.crashed(temp), "the JVM wrote a crash report");
        assertTrue(result.stdout().contains("available false"), result.stdout());
        assertTrue(result.stdout().contains("first failure: OpenBLAS could not be loaded."), result.stdout());
        // The second call fails the same way: the failure is remembered, not an ExceptionInInitializerError.
        assertTrue(result.stderr().contains("Exception in thread \"main\" dev.zerograd.bindings.NativeLibraryException:"
                + " OpenBLAS could not be loaded."), result.stderr());
        assertSaysHowToProvide(result.stderr().substring(result.stderr().indexOf("OpenBLAS could not be loaded.")));
        assertFalse(result.stderr().contains("ExceptionInInitializerError"), result.stderr());
        assertFalse(result.stderr().contains("NoClassDefFoundError"), result.stderr());
    }

    @Test
    void mappedFileFindsTheLibraryOfASymbol() throws IOException {
        LoadedLibrary library = OpenBlas.load();
        assertEquals(library.path().toRealPath(),
                NativeLibrary.mappedFile(library.lookup().find("cblas_sgemm").orElseThrow()).orElseThrow());
    }
}
