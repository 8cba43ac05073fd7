package dev.zerograd.bindings;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The layer above the {@link Cblas} binding: whether OpenBLAS is available, where it came from,
 * its optional symbols, its configuration strings and thread count.
 *
 * <p>The library is located and opened once per JVM, on first use of this class or of
 * {@link Cblas}. When that fails, {@link #isAvailable()} is false, {@link #find()} is empty and
 * every other method throws a {@link NativeLibraryException} listing the places searched and how to
 * provide the library, as do all of {@link Cblas}'s functions.
 */
@SuppressWarnings("restricted") // opening libraries and linking them is what this module is for
public final class OpenBlas {
    private OpenBlas() {}

    /** Whether an OpenBLAS was found and opened. */
    public static boolean isAvailable() {
        return OpenBlasLibrary.find().isPresent();
    }

    /** The opened library, or empty when none could be found (see {@link #load()} for why). */
    public static Optional<LoadedLibrary> find() {
        return OpenBlasLibrary.find();
    }

    /**
     * The opened library.
     *
     * @throws NativeLibraryException when none could be found; its message lists the places
     *                                searched and how to provide one
     */
    public static LoadedLibrary load() {
        return OpenBlasLibrary.get();
    }

    /** Where the library came from: {@code ZEROGRAD_OPENBLAS}, the system, or the bundled jar. */
    public static LibrarySource source() {
        return load().source();
    }

    /** The file that was opened. */
    public static Path libraryPath() {
        return load().path();
    }

    /** {@code openblas_get_config()}, e.g. {@code "OpenBLAS 0.3.28 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=128"}. */
    public static String configString() {
        return cString(Cblas.openblas_get_config());
    }

    /** {@code openblas_get_corename()}: the CPU kernel set in use, e.g. {@code "Haswell"}. */
    public static String coreName() {
        return cString(Cblas.openblas_get_corename());
    }

    /** The number of threads OpenBLAS uses for one call. */
    public static int numThreads() {
        return Cblas.openblas_get_num_threads();
    }

    /**
     * Sets the number of threads OpenBLAS uses for one call, for the whole process. OpenBLAS caps
     * it at the maximum it was built for; read {@link #numThreads()} for the value in effect.
     *
     * @param threads at least 1
     */
    public static void setNumThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("OpenBlas.setNumThreads: threads must be >= 1, got " + threads);
        }
        Cblas.openblas_set_num_threads(threads);
    }

    /** The threading model OpenBLAS was built with: {@code "sequential"}, {@code "pthreads"}, {@code "openmp"}. */
    public static String parallelism() {
        load();
        if (!OpenBlasLibrary.exports("openblas_get_parallel")) {
            return "unknown";
        }
        return switch (Cblas.openblas_get_parallel()) {
            case Cblas.OPENBLAS_SEQUENTIAL -> "sequential";
            case Cblas.OPENBLAS_THREAD -> "pthreads";
            case Cblas.OPENBLAS_OPENMP -> "openmp";
            default -> "unknown";
        };
    }

    /**
     * Whether {@link Cblas#cblas_sgemm_batch} may be called: the loaded library exports it and is
     * not a {@code DYNAMIC_ARCH} build; see Note [gemm_batch and DYNAMIC_ARCH].
     *
     * <p>Note [gemm_batch and DYNAMIC_ARCH]: in {@code DYNAMIC_ARCH} builds of OpenBLAS (the bundled
     * 0.3.28 is one), {@code cblas_?gemm_batch} sends a group with {@code m*n*k <= 100^3} to its
     * small-matrix kernel table without resolving the entry for the detected CPU, and jumps to the
     * raw table offset: the process dies with SIGSEGV. Larger groups take the ordinary GEMM path and
     * work. Upstream fixed it after 0.3.28 (OpenMathLib/OpenBLAS pull request 5980); as no release
     * number carrying the fix is known here, every {@code DYNAMIC_ARCH} build is treated as affected.
     */
    public static boolean hasSgemmBatch() {
        return exportsSgemmBatch() && !configString().contains("DYNAMIC_ARCH");
    }

    /** Whether the loaded library exports {@code cblas_sgemm_batch} at all (OpenBLAS 0.3.28 does). */
    public static boolean exportsSgemmBatch() {
        load();
        return OpenBlasLibrary.exports("cblas_sgemm_batch");
    }

    /**
     * A few lines for {@code zerograd info}: source, path, config, core, threads; or, when OpenBLAS
     * is unavailable, the reason.
     */
    public static String describe() {
        LoadedLibrary library;
        try {
            library = load();
        } catch (NativeLibraryException e) {
            return "OpenBLAS: unavailable\n" + e.getMessage();
        }
        return "OpenBLAS: " + library.source() + " " + library.path()
                + "\n  config:  " + configString()
                + "\n  core:    " + coreName()
                + "\n  threads: " + numThreads() + " (" + parallelism() + ")"
                + "\n  sgemm_batch: " + (hasSgemmBatch() ? "usable" : exportsSgemmBatch()
                        ? "exported, not used (DYNAMIC_ARCH small-matrix defect)" : "not exported");
    }

    /** Reads a NUL-terminated C string returned by OpenBLAS; its storage is static, never freed. */
    private static String cString(MemorySegment pointer) {
        return pointer.equals(MemorySegment.NULL) ? "" : pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
