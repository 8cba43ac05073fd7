package dev.zerograd.bindings;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The layer above the {@link Dnnl} binding: whether oneDNN is available, where it came from, its
 * version, threading runtime and CPU instruction set, and its thread count.
 *
 * <p>oneDNN is optional. It is located and opened once per JVM, on first use of {@link Dnnl}, in
 * this order: the file named by {@code ZEROGRAD_ONEDNN} (or {@code -Dzerograd.onednn}); {@code libdnnl.so.3},
 * {@code .so.2} and {@code .so} through the dynamic loader; the same names in the usual system library
 * directories. When that fails, {@link #isAvailable()} is false and every other method throws a
 * {@link NativeLibraryException} listing the places searched and how to install it.
 */
public final class OneDnn {
    private OneDnn() {}

    /** {@code dnnl_cpu_isa_avx512_core}'s bits: every later x86 ISA value of oneDNN 2 and 3 contains them. */
    static final int ISA_AVX512_CORE = 0x27;

    /** Whether a oneDNN was found and opened. */
    public static boolean isAvailable() {
        return OneDnnLibraries.dnnl().find().isPresent();
    }

    /** The opened library, or empty when none could be found (see {@link #load()} for why). */
    public static Optional<LoadedLibrary> find() {
        return OneDnnLibraries.dnnl().find();
    }

    /**
     * The opened library.
     *
     * @throws NativeLibraryException when none could be found; its message lists the places
     *                                searched and how to install oneDNN
     */
    public static LoadedLibrary load() {
        return OneDnnLibraries.dnnl().get();
    }

    /** The file that was opened. */
    public static Path libraryPath() {
        return load().path();
    }

    /** {@code major.minor.patch}, e.g. {@code "2.6.3"}. */
    public static String version() {
        MemorySegment v = versionStruct();
        return v.get(Dnnl.C_INT, Dnnl.VERSION_MAJOR) + "." + v.get(Dnnl.C_INT, Dnnl.VERSION_MINOR) + "."
                + v.get(Dnnl.C_INT, Dnnl.VERSION_PATCH);
    }

    /** The CPU threading runtime oneDNN was built with: {@code "omp"}, {@code "seq"}, {@code "tbb"}, {@code "threadpool"}. */
    public static String cpuRuntime() {
        return switch (cpuRuntimeCode()) {
            case Dnnl.DNNL_RUNTIME_OMP -> "omp";
            case Dnnl.DNNL_RUNTIME_SEQ -> "seq";
            case Dnnl.DNNL_RUNTIME_TBB -> "tbb";
            case Dnnl.DNNL_RUNTIME_THREADPOOL -> "threadpool";
            case Dnnl.DNNL_RUNTIME_NONE -> "none";
            default -> "unknown (" + cpuRuntimeCode() + ")";
        };
    }

    /** {@code dnnl_version()->cpu_runtime}: one of {@code Dnnl.DNNL_RUNTIME_*}. Read once; allocates nothing. */
    public static int cpuRuntimeCode() {
        load(); // throws the locator's message, not an initializer error, when oneDNN is missing
        return Runtime.CODE;
    }

    /** The runtime, read when first asked: the thread-count methods run on hot paths and must not allocate. */
    private static final class Runtime {
        static final int CODE = versionStruct().get(Dnnl.C_INT, Dnnl.VERSION_CPU_RUNTIME);
    }

    /** {@code dnnl_get_effective_cpu_isa()}: the instruction set oneDNN's generated kernels use on this CPU. */
    public static int cpuIsa() {
        return Dnnl.dnnl_get_effective_cpu_isa();
    }

    /** Whether oneDNN's kernels run AVX-512 (its {@code avx512_core} level or above) on this CPU. */
    public static boolean hasAvx512Core() {
        return (cpuIsa() & ISA_AVX512_CORE) == ISA_AVX512_CORE;
    }

    /** A name for {@link #cpuIsa()}; values are oneDNN 2.x's, later ones are printed in hex. */
    public static String cpuIsaName() {
        int isa = cpuIsa();
        return switch (isa) {
            case 0x1 -> "sse41";
            case 0x3 -> "avx";
            case 0x7 -> "avx2";
            case 0x407 -> "avx2_vnni";
            case 0x27 -> "avx512_core";
            case 0x67 -> "avx512_core_vnni";
            case 0xe7 -> "avx512_core_bf16";
            case 0x3e7 -> "avx512_core_amx";
            default -> "0x" + Integer.toHexString(isa);
        };
    }

    /**
     * Whether oneDNN's thread count can be set per calling thread: it runs on OpenMP
     * ({@link #setNumThreadsOnThisThread} works) or is sequential (nothing to set).
     */
    public static boolean threadCountSettable() {
        int rt = cpuRuntimeCode();
        return rt == Dnnl.DNNL_RUNTIME_OMP || rt == Dnnl.DNNL_RUNTIME_SEQ;
    }

    /**
     * The number of threads oneDNN uses for a call made from this thread: OpenMP's
     * {@code omp_get_max_threads()} for an OpenMP build, 1 for a sequential one.
     *
     * @throws IllegalStateException for a TBB or threadpool build, whose count zerograd cannot read
     */
    public static int numThreadsOnThisThread() {
        return switch (cpuRuntimeCode()) {
            case Dnnl.DNNL_RUNTIME_OMP -> OpenMp.omp_get_max_threads();
            case Dnnl.DNNL_RUNTIME_SEQ -> 1;
            default -> throw new IllegalStateException("OneDnn.numThreadsOnThisThread: oneDNN at " + libraryPath()
                    + " runs on " + cpuRuntime() + ", whose thread count zerograd does not control; use an OpenMP build");
        };
    }

    /**
     * Sets the number of threads oneDNN uses for calls made from this thread (OpenMP's
     * {@code omp_set_num_threads}, which sets the calling thread's setting only). A sequential build
     * has nothing to set.
     *
     * @param threads at least 1
     * @throws IllegalStateException for a TBB or threadpool build
     */
    public static void setNumThreadsOnThisThread(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("OneDnn.setNumThreadsOnThisThread: threads must be >= 1, got " + threads);
        }
        switch (cpuRuntimeCode()) {
            case Dnnl.DNNL_RUNTIME_OMP -> OpenMp.omp_set_num_threads(threads);
            case Dnnl.DNNL_RUNTIME_SEQ -> { }
            default -> throw new IllegalStateException("OneDnn.setNumThreadsOnThisThread: oneDNN at " + libraryPath()
                    + " runs on " + cpuRuntime() + ", whose thread count zerograd does not control; use an OpenMP build");
        }
    }

    /** A few lines for {@code zerograd info}: path, version, runtime, ISA; or, when oneDNN is unavailable, the reason. */
    public static String describe() {
        LoadedLibrary library;
        try {
            library = load();
        } catch (NativeLibraryException e) {
            return "oneDNN: unavailable\n" + e.getMessage();
        }
        return "oneDNN: " + library.source() + " " + library.path()
                + "\n  version: " + version() + " (" + cpuRuntime() + ")"
                + "\n  cpu isa: " + cpuIsaName();
    }

    private static MemorySegment versionStruct() {
        MemorySegment p = Dnnl.dnnl_version();
        if (p.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("dnnl_version() returned NULL from " + libraryPath());
        }
        return p.reinterpret(Dnnl.VERSION_SIZE);
    }
}
