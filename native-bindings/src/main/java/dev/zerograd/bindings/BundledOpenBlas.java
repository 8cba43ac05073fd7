package dev.zerograd.bindings;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;

/**
 * The OpenBLAS shipped in {@code org.bytedeco:openblas:0.3.28-1.5.11:linux-x86_64}, extracted once
 * to a per-user cache directory {@code <cacheRoot>/zerograd/openblas-<key>/} together with the
 * libraries it needs.
 *
 * <p>Note [Extraction is atomic and locked]: a directory under its final name is always complete.
 * It is written under a temporary name in the same parent, its marker file last, each file forced to
 * disk, and then renamed with {@code ATOMIC_MOVE}. Writers are serialised across JVMs by an exclusive
 * {@link FileLock} on {@code openblas-<key>.lock} (and within one JVM by a monitor, because a JVM may
 * hold only one lock on a file). Readers take no lock: they trust a directory only when its marker
 * lists every file with the size found on disk. Under the lock, a directory that fails that check is
 * deleted and rewritten, and temporary directories left by a writer that died are removed (while
 * the lock is held, no live writer owns one). Where the file system has no locks, the rename alone
 * keeps racing writers apart: it fails for all but the first, which then use the first's directory.
 *
 * <p>Note [Cache key]: the key is the first 16 hex digits of a SHA-256 over each file's name, size
 * and CRC-32 as recorded in the jar's central directory, which the jar writer computed from the
 * bytes. Hashing the 37 MB of compressed bytes themselves costs about 300 ms at every JVM start;
 * the recorded CRC-32 identifies the content just as well for a cache key and costs nothing. When
 * the resources are not in a jar (an exploded classpath directory), the bytes are hashed.
 */
final class BundledOpenBlas {
    /** Directory of the native files inside the bytedeco jar. */
    static final String RESOURCE_DIR = "org/bytedeco/openblas/linux-x86_64/";
    /** The files to extract, in the order they must be loaded: dependencies first. */
    static final List<String> FILES =
            List.of("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0");
    static final String LIBRARY = "libopenblas.so.0";
    static final String MARKER = "COMPLETE";
    static final String COORDINATES = "org.bytedeco:openblas:0.3.28-1.5.11:linux-x86_64";

    private static final String MARKER_HEADER = "zerograd bundled openblas v1";
    private static final Object JVM_WIDE_LOCK = new Object();

    private BundledOpenBlas() {}

    /** Whether this platform can use the bundled files (they are built for linux-x86_64). */
    static boolean platformSupported() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        return os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** Whether {@code loader} sees the bundled library at all. */
    static boolean present(ClassLoader loader) {
        return loader.getResource(RESOURCE_DIR + LIBRARY) != null;
    }

    /**
     * Returns the complete cache directory for the bundled files seen by {@code loader}, extracting
     * them first if needed. Safe to call from several threads and JVMs at once.
     *
     * @param cacheRoot the per-user cache root ({@code $XDG_CACHE_HOME} or {@code ~/.cache})
     */
    static Path extract(ClassLoader loader, Path cacheRoot) throws IOException {
        String key = contentKey(loader);
        Path parent = cacheRoot.resolve("zerograd");
        Path target = parent.resolve("openblas-" + key);
        if (isComplete(target)) {
            return target;
        }
        Files.createDirectories(parent);
        synchronized (JVM_WIDE_LOCK) {
            try (FileChannel channel = FileChannel.open(parent.resolve("openblas-" + key + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = lockOrNull(channel);
                try {
                    return populate(loader, parent, target, key, lock != null);
                } finally {
                    if (lock != null) {
                        lock.release();
                    }
                }
            }
        }
    }

    /**
     * Writes {@code target} unless it is complete. Holding the lock, leftovers are cleared first.
     * Without it (a file system with no locks), nothing is deleted and a lost race is settled by
     * the rename: the loser's rename fails and it uses the winner's complete directory.
     */
    private static Path populate(ClassLoader loader, Path parent, Path target, String key, boolean locked)
            throws IOException {
        if (isComplete(target)) {
            return target;
        }
        String tempPrefix = ".openblas-" + key + ".tmp-";
        if (locked) {
            deleteStale(parent, tempPrefix);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                deleteRecursively(target);
            }
        }
        Path temp = Files.createTempDirectory(parent, tempPrefix);
        try {
            writeFiles(loader, temp);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!isComplete(target)) {
                throw e;
            }
        } finally {
            deleteRecursively(temp);
        }
        return target;
    }

    /** An exclusive lock, or null on a file system that does not support locks (some NFS mounts). */
    private static FileLock lockOrNull(FileChannel channel) {
        try {
            return channel.lock();
        } catch (IOException locksNotSupported) {
            return null;
        }
    }

    /** A directory is complete when its marker names every file with the size found on disk. */
    static boolean isComplete(Path dir) {
        Path marker = dir.resolve(MARKER);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(marker)) {
            return false;
        }
        try {
            List<String> lines = Files.readAllLines(marker, StandardCharsets.UTF_8);
            if (lines.size() != FILES.size() + 1 || !lines.get(0).equals(MARKER_HEADER)) {
                return false;
            }
            for (int i = 0; i < FILES.size(); i++) {
                String[] fields = lines.get(i + 1).split(" ");
                Path file = dir.resolve(FILES.get(i));
                if (fields.length != 3 || !fields[0].equals(FILES.get(i))
                        || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                        || Files.size(file) != Long.parseLong(fields[1])) {
                    return false;
                }
            }
            return true;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** First 16 hex digits of a SHA-256 identifying the bundled files; see Note [Cache key]. */
    static String contentKey(ClassLoader loader) throws IOException {
        MessageDigest digest = sha256();
        for (String name : FILES) {
            URL url = resource(loader, name);
            digest.update(name.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            URLConnection connection = url.openConnection();
            JarEntry entry = connection instanceof JarURLConnection jar ? jar.getJarEntry() : null;
            if (entry != null && entry.getCrc() != -1 && entry.getSize() != -1) {
                digest.update((entry.getSize() + ":" + Long.toHexString(entry.getCrc()))
                        .getBytes(StandardCharsets.UTF_8));
            } else {
                try (InputStream in = connection.getInputStream()) {
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            digest.update((byte) 0);
        }
        return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    }

    private static void writeFiles(ClassLoader loader, Path dir) throws IOException {
        List<String> marker = new ArrayList<>();
        marker.add(MARKER_HEADER);
        for (String name : FILES) {
            Path file = dir.resolve(name);
            MessageDigest digest = sha256();
            try (InputStream in = resource(loader, name).openStream();
                    OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
                in.transferTo(out);
            }
            force(file);
            marker.add(name + " " + Files.size(file) + " " + HexFormat.of().formatHex(digest.digest()));
        }
        Path markerFile = dir.resolve(MARKER);
        Files.write(markerFile, marker, StandardCharsets.UTF_8);
        force(markerFile);
    }

    private static URL resource(ClassLoader loader, String name) throws IOException {
        URL url = loader.getResource(RESOURCE_DIR + name);
        if (url == null) {
            throw new NoSuchFileException(RESOURCE_DIR + name, null, "not on the classpath");
        }
        return url;
    }

    private static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static void deleteStale(Path parent, String prefix) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, prefix + "*")) {
            for (Path entry : entries) {
                deleteRecursively(entry);
            }
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
                for (Path entry : entries) {
                    deleteRecursively(entry);
                }
            }
        }
        Files.deleteIfExists(path);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
