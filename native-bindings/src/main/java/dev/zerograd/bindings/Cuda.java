package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The layer above the {@link CudaRuntime} and {@link Cublas} bindings: whether CUDA can be used
 * here, a one-line description for {@code zerograd info}, and status codes turned into exceptions.
 *
 * <p>Three things must be present for a GPU path: the runtime library ({@link #isInstalled()}), a
 * driver, and a device; {@link #isAvailable()} is true only with all three. Each library is located
 * and opened once per JVM, on first use; when that fails, the capability queries here answer
 * {@code false} or {@code 0} and {@link #describe()} says why, while the bindings' functions throw
 * a {@link NativeLibraryException} listing the places searched. The device count is read once, by
 * the first query, and kept: CUDA fixes the visible devices when it initialises.
 *
 * <p>Where the libraries are searched: the file named by {@code ZEROGRAD_CUDART}
 * ({@code -Dzerograd.cudart}), else {@code libcudart.so.13}, {@code .so.12} and {@code .so} through
 * the dynamic loader, else in {@code $CUDA_HOME/lib64}, {@code /usr/local/cuda/lib64} and
 * {@code /usr/local/cuda-<version>/lib64} (and {@code lib}); the same for cuBLAS with
 * {@code ZEROGRAD_CUBLAS} and {@code libcublas}.
 */
@SuppressWarnings("restricted") // reading C strings returned by the runtime
public final class Cuda {
    private Cuda() {}

    /** What {@code cudaGetDeviceCount} answered, asked once. */
    private static final class Probe {
        static final int STATUS;
        static final int COUNT;

        static {
            int status = -1;
            int count = 0;
            if (isInstalled()) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment out = arena.allocate(JAVA_INT);
                    status = CudaRuntime.cudaGetDeviceCount(out);
                    count = status == CudaRuntime.cudaSuccess ? out.get(JAVA_INT, 0) : 0;
                }
            }
            STATUS = status;
            COUNT = count;
        }
    }

    /** Whether the CUDA runtime library was found and opened; a device needs a driver too. */
    public static boolean isInstalled() {
        return CudaLibraries.runtime().find().isPresent();
    }

    /** Whether CUDA can run here: the runtime is installed and at least one device is visible. */
    public static boolean isAvailable() {
        return deviceCount() > 0;
    }

    /**
     * The number of devices visible; 0 when the runtime is not installed or reports none (no
     * driver, no device, a driver older than the runtime: {@link #describe()} says which).
     */
    public static int deviceCount() {
        return isInstalled() ? Probe.COUNT : 0;
    }

    /** The opened runtime library, or empty when none could be found (see {@link #describe()}). */
    public static Optional<LoadedLibrary> runtimeLibrary() {
        return CudaLibraries.runtime().find();
    }

    /** The opened cuBLAS library, or empty when none could be found; searched on first use. */
    public static Optional<LoadedLibrary> cublasLibrary() {
        return CudaLibraries.cublas().find();
    }

    /**
     * {@code cudaRuntimeGetVersion}: {@code 1000 * major + 10 * minor}, e.g. 13000 for 13.0.
     *
     * @throws NativeLibraryException when the runtime is not installed
     */
    public static int runtimeVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check(CudaRuntime.cudaRuntimeGetVersion(out), "cudaRuntimeGetVersion");
            return out.get(JAVA_INT, 0);
        }
    }

    /**
     * {@code cudaDriverGetVersion}: the newest runtime version the installed driver supports, in
     * the encoding of {@link #runtimeVersion()}; 0 when no driver is installed.
     *
     * @throws NativeLibraryException when the runtime is not installed
     */
    public static int driverVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            check(CudaRuntime.cudaDriverGetVersion(out), "cudaDriverGetVersion");
            return out.get(JAVA_INT, 0);
        }
    }

    /** A CUDA version number as {@code "major.minor"}: 13000 is {@code "13.0"}, 12040 is {@code "12.4"}. */
    public static String versionString(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    /**
     * One line for {@code zerograd info}, e.g.
     * {@code "/usr/local/cuda-13.0/lib/libcudart.so.13 (runtime 13.0, driver n/a): no device visible
     * (cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version);
     * cuBLAS: not found"}, or {@code "not installed: libcudart not found (searched ...)"}.
     */
    public static String describe() {
        Optional<LoadedLibrary> runtime = runtimeLibrary();
        if (runtime.isEmpty()) {
            NativeLibraryException failure = CudaLibraries.runtime().failure().orElseThrow();
            return failure.searched().isEmpty()
                    ? "not installed: " + failure.getMessage().lines().findFirst().orElse("")
                    : "not installed: libcudart not found (searched " + String.join("; ", failure.searched()) + ")";
        }
        int runtimeVersion = versionOrZero(true);
        int driverVersion = versionOrZero(false);
        StringBuilder line = new StringBuilder().append(runtime.get().path())
                .append(" (runtime ").append(runtimeVersion == 0 ? "unknown" : versionString(runtimeVersion))
                .append(", driver ").append(driverVersion == 0 ? "n/a" : versionString(driverVersion)).append("): ");
        if (Probe.COUNT > 0) {
            line.append(Probe.COUNT).append(Probe.COUNT == 1 ? " device" : " devices");
        } else if (Probe.STATUS == CudaRuntime.cudaSuccess) {
            line.append("no device visible (cudaGetDeviceCount found none)");
        } else {
            line.append("no device visible (").append(errorName(Probe.STATUS)).append(": ")
                    .append(errorString(Probe.STATUS)).append(")");
        }
        Optional<LoadedLibrary> cublas = cublasLibrary();
        return line.append("; cuBLAS: ").append(cublas.isPresent() ? cublas.get().path().toString() : "not found")
                .toString();
    }

    /** {@link #runtimeVersion()} or {@link #driverVersion()}, 0 when the call fails: for messages. */
    private static int versionOrZero(boolean runtime) {
        try {
            return runtime ? runtimeVersion() : driverVersion();
        } catch (CudaException e) {
            return 0;
        }
    }

    /**
     * Throws when {@code status}, returned by the CUDA runtime function {@code call}, is not
     * {@code cudaSuccess}; allocates nothing when it is.
     *
     * @throws CudaException naming the call, the error's name and the runtime's description of it
     */
    public static void check(int status, String call) {
        if (status != CudaRuntime.cudaSuccess) {
            throw new CudaException(call, status, errorName(status), errorString(status));
        }
    }

    /**
     * Throws when {@code status}, returned by the cuBLAS function {@code call}, is not
     * {@code CUBLAS_STATUS_SUCCESS}; allocates nothing when it is.
     *
     * @throws CudaException naming the call and the status
     */
    public static void checkCublas(int status, String call) {
        if (status != Cublas.CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(call, status, cublasStatusName(status), cublasStatusDescription(status));
        }
    }

    /** {@code cudaGetErrorName(status)}, e.g. {@code "cudaErrorNoDevice"}; "cudaError N" when the runtime is not loaded. */
    public static String errorName(int status) {
        return isInstalled() ? cString(CudaRuntime.cudaGetErrorName(status)) : "cudaError " + status;
    }

    /** {@code cudaGetErrorString(status)}, e.g. {@code "no CUDA-capable device is detected"}. */
    public static String errorString(int status) {
        return isInstalled() ? cString(CudaRuntime.cudaGetErrorString(status))
                : "(no description: the CUDA runtime is not loaded)";
    }

    /** The name of a {@code cublasStatus_t}, e.g. {@code "CUBLAS_STATUS_INVALID_VALUE"}. */
    public static String cublasStatusName(int status) {
        return switch (status) {
            case Cublas.CUBLAS_STATUS_SUCCESS -> "CUBLAS_STATUS_SUCCESS";
            case Cublas.CUBLAS_STATUS_NOT_INITIALIZED -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case Cublas.CUBLAS_STATUS_ALLOC_FAILED -> "CUBLAS_STATUS_ALLOC_FAILED";
            case Cublas.CUBLAS_STATUS_INVALID_VALUE -> "CUBLAS_STATUS_INVALID_VALUE";
            case Cublas.CUBLAS_STATUS_ARCH_MISMATCH -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case Cublas.CUBLAS_STATUS_MAPPING_ERROR -> "CUBLAS_STATUS_MAPPING_ERROR";
            case Cublas.CUBLAS_STATUS_EXECUTION_FAILED -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case Cublas.CUBLAS_STATUS_INTERNAL_ERROR -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case Cublas.CUBLAS_STATUS_NOT_SUPPORTED -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case Cublas.CUBLAS_STATUS_LICENSE_ERROR -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus " + status;
        };
    }

    /** What a {@code cublasStatus_t} means, in a few words. */
    private static String cublasStatusDescription(int status) {
        return switch (status) {
            case Cublas.CUBLAS_STATUS_NOT_INITIALIZED -> "the cuBLAS library was not initialized (no handle,"
                    + " or the CUDA runtime could not initialise)";
            case Cublas.CUBLAS_STATUS_ALLOC_FAILED -> "resource allocation failed inside cuBLAS";
            case Cublas.CUBLAS_STATUS_INVALID_VALUE -> "an unsupported value or parameter was passed";
            case Cublas.CUBLAS_STATUS_ARCH_MISMATCH -> "the device does not support the requested feature";
            case Cublas.CUBLAS_STATUS_MAPPING_ERROR -> "access to GPU memory space failed";
            case Cublas.CUBLAS_STATUS_EXECUTION_FAILED -> "the GPU program failed to execute";
            case Cublas.CUBLAS_STATUS_INTERNAL_ERROR -> "an internal cuBLAS operation failed";
            case Cublas.CUBLAS_STATUS_NOT_SUPPORTED -> "the functionality requested is not supported";
            case Cublas.CUBLAS_STATUS_LICENSE_ERROR -> "the functionality requested requires a license";
            default -> "unknown cuBLAS status";
        };
    }

    /** Reads a NUL-terminated C string returned by the runtime; its storage is static, never freed. */
    private static String cString(MemorySegment pointer) {
        return pointer.equals(MemorySegment.NULL) ? "" : pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
