package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled library is extracted once per content, completely, even when JVMs race. */
class BundledExtractionTest {
    private static final ClassLoader LOADER = BundledExtractionTest.class.getClassLoader();

    @TempDir
    Path cacheRoot;

    private List<Path> entries() throws IOException {
        try (Stream<Path> files = Files.list(cacheRoot.resolve("zerograd"))) {
            return files.sorted().toList();
        }
    }

    /** The extracted directories, and nothing temporary left behind. */
    private List<Path> extractedDirectories() throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (Path entry : entries()) {
            String name = entry.getFileName().toString();
            assertFalse(name.contains(".tmp-"), "temporary directory left behind: " + name);
            if (Files.isDirectory(entry)) {
                dirs.add(entry);
            }
        }
        return dirs;
    }

    @Test
    void extractsOnceIntoAContentKeyedDirectory() throws IOException {
        Path dir = BundledOpenBlas.extract(LOADER, cacheRoot);
        assertTrue(dir.getFileName().toString().matches("openblas-[0-9a-f]{16}"), dir.toString());
        assertEquals(cacheRoot.resolve("zerograd"), dir.getParent());
        assertTrue(BundledOpenBlas.isComplete(dir));
        for (String file : BundledOpenBlas.FILES) {
            assertTrue(Files.size(dir.resolve(file)) > 0, file);
        }
        List<String> marker = Files.readAllLines(dir.resolve(BundledOpenBlas.MARKER));
        assertTrue(marker.get(4).matches("libopenblas\\.so\\.0 \\d+ [0-9a-f]{64}"), marker.get(4));

        FileTime written = Files.getLastModifiedTime(dir.resolve(BundledOpenBlas.LIBRARY));
        Files.setLastModifiedTime(dir.resolve(BundledOpenBlas.LIBRARY), FileTime.fromMillis(0));
        assertEquals(dir, BundledOpenBlas.extract(LOADER, cacheRoot));
        assertEquals(FileTime.fromMillis(0), Files.getLastModifiedTime(dir.resolve(BundledOpenBlas.LIBRARY)),
                "a complete directory must be reused, not rewritten (was written at " + written + ")");
        assertEquals(List.of(dir), extractedDirectories());
    }

    @Test
    void theKeyDependsOnTheContentOnly() throws IOException {
        assertEquals(BundledOpenBlas.contentKey(LOADER), BundledOpenBlas.contentKey(LOADER));
        Path dir = BundledOpenBlas.extract(LOADER, cacheRoot);
        assertEquals("openblas-" + BundledOpenBlas.contentKey(LOADER), dir.getFileName().toString());
    }

    /** A loader whose bundled files are the given bytes, in a jar or in a plain directory. */
    private ClassLoader fakeBundle(Path where, boolean jar, String openblasContent) throws IOException {
        Files.createDirectories(where);
        Path root = jar ? where.resolve("fake.jar") : where;
        if (jar) {
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(root))) {
                for (String file : BundledOpenBlas.FILES) {
                    out.putNextEntry(new JarEntry(BundledOpenBlas.RESOURCE_DIR + file));
                    out.write((file.equals(BundledOpenBlas.LIBRARY) ? openblasContent : file).getBytes());
                    out.closeEntry();
                }
            }
        } else {
            Path dir = Files.createDirectories(where.resolve(BundledOpenBlas.RESOURCE_DIR));
            for (String file : BundledOpenBlas.FILES) {
                Files.writeString(dir.resolve(file), file.equals(BundledOpenBlas.LIBRARY) ? openblasContent : file);
            }
        }
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
    }

    @Test
    void theKeyChangesWithTheContentInAJarOrADirectory() throws IOException {
        for (boolean jar : new boolean[] {true, false}) {
            String kind = jar ? "jar" : "dir";
            String a = BundledOpenBlas.contentKey(fakeBundle(cacheRoot.resolve(kind + "-a"), jar, "content A"));
            String again = BundledOpenBlas.contentKey(fakeBundle(cacheRoot.resolve(kind + "-a2"), jar, "content A"));
            String b = BundledOpenBlas.contentKey(fakeBundle(cacheRoot.resolve(kind + "-b"), jar, "content B"));
            assertEquals(a, again, kind);
            assertNotEquals(a, b, kind);
        }
    }

    @Test
    void aTruncatedLibraryIsDetectedAndRepaired() throws IOException {
        Path dir = BundledOpenBlas.extract(LOADER, cacheRoot);
        long size = Files.size(dir.resolve(BundledOpenBlas.LIBRARY));
        Files.write(dir.resolve(BundledOpenBlas.LIBRARY), new byte[] {0x7f, 'E', 'L', 'F'});
        assertFalse(BundledOpenBlas.isComplete(dir));
        assertEquals(dir, BundledOpenBlas.extract(LOADER, cacheRoot));
        assertTrue(BundledOpenBlas.isComplete(dir));
        assertEquals(size, Files.size(dir.resolve(BundledOpenBlas.LIBRARY)));
    }

    @Test
    void aDirectoryWithoutItsMarkerIsDetectedAndRepaired() throws IOException {
        Path dir = BundledOpenBlas.extract(LOADER, cacheRoot);
        Files.delete(dir.resolve(BundledOpenBlas.MARKER));
        Files.delete(dir.resolve("libgfortran.so.5"));
        assertFalse(BundledOpenBlas.isComplete(dir));
        assertEquals(dir, BundledOpenBlas.extract(LOADER, cacheRoot));
        assertTrue(BundledOpenBlas.isComplete(dir));
        assertTrue(Files.exists(dir.resolve("libgfortran.so.5")));
    }

    @Test
    void leftoversOfADeadWriterAreRemoved() throws IOException {
        String key = BundledOpenBlas.contentKey(LOADER);
        Path zerograd = Files.createDirectories(cacheRoot.resolve("zerograd"));
        Path stale = Files.createDirectory(zerograd.resolve(".openblas-" + key + ".tmp-12345"));
        Files.writeString(stale.resolve(BundledOpenBlas.LIBRARY), "half written");
        Path target = Files.createDirectory(zerograd.resolve("openblas-" + key)); // empty: never completed
        assertEquals(target, BundledOpenBlas.extract(LOADER, cacheRoot));
        assertTrue(BundledOpenBlas.isComplete(target));
        assertFalse(Files.exists(stale));
        assertEquals(List.of(target), extractedDirectories());
    }

    @Test
    void threadsRacingToExtractShareOneDirectory() throws Exception {
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return BundledOpenBlas.extract(LOADER, cacheRoot);
                }));
            }
            Set<Path> dirs = new HashSet<>();
            for (Future<Path> result : results) {
                dirs.add(result.get());
            }
            assertEquals(1, dirs.size(), dirs.toString());
            assertEquals(List.copyOf(dirs), extractedDirectories());
            assertTrue(BundledOpenBlas.isComplete(dirs.iterator().next()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void jvmsRacingToExtractShareOneDirectoryAndAllWork(@TempDir Path workDir) throws Exception {
        String classPath = ChildJvm.classPath(true);
        Map<String, String> env = Map.of("XDG_CACHE_HOME", cacheRoot.toString(),
                OpenBlasLocator.ENV_NO_SYSTEM, "1");
        List<ChildJvm.Child> children = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            children.add(ChildJvm.start(workDir, classPath, env, List.of()));
        }
        Set<String> sources = new HashSet<>();
        for (ChildJvm.Child child : children) {
            ChildJvm.Result result = child.await();
            assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
            assertTrue(result.stdout().contains("sdot 32.0"), result.stdout());
            sources.add(result.stdout().lines().filter(l -> l.startsWith("source ")).findFirst().orElseThrow());
        }
        List<Path> dirs = extractedDirectories();
        assertEquals(1, dirs.size(), dirs.toString());
        assertTrue(BundledOpenBlas.isComplete(dirs.get(0)));
        assertEquals(Set.of("source BUNDLED " + dirs.get(0).resolve(BundledOpenBlas.LIBRARY)), sources);
        assertFalse(ChildJvm.crashed(workDir));
    }
}
