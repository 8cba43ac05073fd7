// Written by hand in jextract's shape from cuda_runtime_api.h and driver_types.h of the CUDA 13.0
// toolkit (CUDART_VERSION 13000, /usr/local/cuda-13.0/include); jextract is not available in this
// build environment. CudaRuntimeConformanceTest checks every descriptor and constant below against
// those headers wherever they are installed. Differences from jextract's output: only the functions
// zerograd uses are bound, the enum constants are compile-time int fields instead of accessor
// methods, and the handles come from a library located at run time (see LibraryLocator) rather than
// from a fixed library name.
package dev.zerograd.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Binding to the CUDA runtime API ({@code cuda_runtime_api.h}, library {@code libcudart}). No logic:
 * availability, status codes and C strings are handled one layer up, in {@link Cuda}. When the
 * runtime cannot be loaded, every function throws a {@link NativeLibraryException} that says where
 * it was searched and how to provide it. Without a driver or a device the library still loads, and
 * its functions return an error code such as {@link #cudaErrorInsufficientDriver} or
 * {@link #cudaErrorNoDevice}.
 *
 * <p>Types: {@code cudaError_t} and the other enums are {@code int}; {@code size_t} is {@code long};
 * pointers, including device pointers and {@code cudaStream_t} handles, are {@link MemorySegment}s
 * ({@link MemorySegment#NULL} is the default stream). Out-parameters such as {@code int *count} must
 * be native (off-heap) segments.
 *
 * <p>Note [No critical CUDA downcalls]: unlike the short BLAS calls of {@link Cblas}, no function
 * here is linked with {@code Linker.Option.critical}: any CUDA call may block on the device, and the
 * first one initialises the driver, which takes from milliseconds to seconds. A thread inside a
 * critical call cannot reach a GC safepoint, so it would stall every other thread that waits for
 * one. The transition saved (a few nanoseconds) is negligible next to a kernel launch (microseconds).
 */
public final class CudaRuntime {
    private CudaRuntime() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    /** {@code enum cudaError} (the values zerograd names; any other is reported by its name at run time). */
    public static final int cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2,
            cudaErrorInitializationError = 3, cudaErrorStubLibrary = 34, cudaErrorInsufficientDriver = 35,
            cudaErrorDevicesUnavailable = 46, cudaErrorNoDevice = 100, cudaErrorInvalidDevice = 101,
            cudaErrorNotReady = 600, cudaErrorSystemDriverMismatch = 803,
            cudaErrorCompatNotSupportedOnDevice = 804, cudaErrorUnknown = 999;
    /** {@code enum cudaMemcpyKind} */
    public static final int cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2,
            cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4;

    // ---- Errors and versions ----

    private static final class cudaGetErrorName {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaGetErrorName", DESC);
    }

    /** Function descriptor of {@code cudaGetErrorName}. */
    public static FunctionDescriptor cudaGetErrorName$descriptor() { return cudaGetErrorName.DESC; }

    /**
     * The returned string is static: never freed.
     * {@snippet lang=c :
     * const char* cudaGetErrorName(cudaError_t error)
     * }
     */
    public static MemorySegment cudaGetErrorName(int error) {
        try {
            return (MemorySegment) cudaGetErrorName.HANDLE.invokeExact(error);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaGetErrorString {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaGetErrorString", DESC);
    }

    /** Function descriptor of {@code cudaGetErrorString}. */
    public static FunctionDescriptor cudaGetErrorString$descriptor() { return cudaGetErrorString.DESC; }

    /**
     * The returned string is static: never freed.
     * {@snippet lang=c :
     * const char* cudaGetErrorString(cudaError_t error)
     * }
     */
    public static MemorySegment cudaGetErrorString(int error) {
        try {
            return (MemorySegment) cudaGetErrorString.HANDLE.invokeExact(error);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaGetLastError {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaGetLastError", DESC);
    }

    /** Function descriptor of {@code cudaGetLastError}. */
    public static FunctionDescriptor cudaGetLastError$descriptor() { return cudaGetLastError.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaGetLastError(void)
     * }
     */
    public static int cudaGetLastError() {
        try {
            return (int) cudaGetLastError.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaRuntimeGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaRuntimeGetVersion", DESC);
    }

    /** Function descriptor of {@code cudaRuntimeGetVersion}. */
    public static FunctionDescriptor cudaRuntimeGetVersion$descriptor() { return cudaRuntimeGetVersion.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaRuntimeGetVersion(int *runtimeVersion)
     * }
     */
    public static int cudaRuntimeGetVersion(MemorySegment runtimeVersion) {
        try {
            return (int) cudaRuntimeGetVersion.HANDLE.invokeExact(runtimeVersion);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaDriverGetVersion {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaDriverGetVersion", DESC);
    }

    /** Function descriptor of {@code cudaDriverGetVersion}. */
    public static FunctionDescriptor cudaDriverGetVersion$descriptor() { return cudaDriverGetVersion.DESC; }

    /**
     * Stores 0 when no driver is installed.
     * {@snippet lang=c :
     * cudaError_t cudaDriverGetVersion(int *driverVersion)
     * }
     */
    public static int cudaDriverGetVersion(MemorySegment driverVersion) {
        try {
            return (int) cudaDriverGetVersion.HANDLE.invokeExact(driverVersion);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- Devices ----

    private static final class cudaGetDeviceCount {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaGetDeviceCount", DESC);
    }

    /** Function descriptor of {@code cudaGetDeviceCount}. */
    public static FunctionDescriptor cudaGetDeviceCount$descriptor() { return cudaGetDeviceCount.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaGetDeviceCount(int *count)
     * }
     */
    public static int cudaGetDeviceCount(MemorySegment count) {
        try {
            return (int) cudaGetDeviceCount.HANDLE.invokeExact(count);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaSetDevice {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaSetDevice", DESC);
    }

    /** Function descriptor of {@code cudaSetDevice}. */
    public static FunctionDescriptor cudaSetDevice$descriptor() { return cudaSetDevice.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaSetDevice(int device)
     * }
     */
    public static int cudaSetDevice(int device) {
        try {
            return (int) cudaSetDevice.HANDLE.invokeExact(device);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaGetDevice {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaGetDevice", DESC);
    }

    /** Function descriptor of {@code cudaGetDevice}. */
    public static FunctionDescriptor cudaGetDevice$descriptor() { return cudaGetDevice.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaGetDevice(int *device)
     * }
     */
    public static int cudaGetDevice(MemorySegment device) {
        try {
            return (int) cudaGetDevice.HANDLE.invokeExact(device);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaDeviceSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaDeviceSynchronize", DESC);
    }

    /** Function descriptor of {@code cudaDeviceSynchronize}. */
    public static FunctionDescriptor cudaDeviceSynchronize$descriptor() { return cudaDeviceSynchronize.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaDeviceSynchronize(void)
     * }
     */
    public static int cudaDeviceSynchronize() {
        try {
            return (int) cudaDeviceSynchronize.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- Memory ----

    private static final class cudaMalloc {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_LONG);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaMalloc", DESC);
    }

    /** Function descriptor of {@code cudaMalloc}. */
    public static FunctionDescriptor cudaMalloc$descriptor() { return cudaMalloc.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMalloc(void **devPtr, size_t size)
     * }
     */
    public static int cudaMalloc(MemorySegment devPtr, long size) {
        try {
            return (int) cudaMalloc.HANDLE.invokeExact(devPtr, size);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaFree {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaFree", DESC);
    }

    /** Function descriptor of {@code cudaFree}. */
    public static FunctionDescriptor cudaFree$descriptor() { return cudaFree.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaFree(void *devPtr)
     * }
     */
    public static int cudaFree(MemorySegment devPtr) {
        try {
            return (int) cudaFree.HANDLE.invokeExact(devPtr);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaMemGetInfo {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaMemGetInfo", DESC);
    }

    /** Function descriptor of {@code cudaMemGetInfo}. */
    public static FunctionDescriptor cudaMemGetInfo$descriptor() { return cudaMemGetInfo.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemGetInfo(size_t *free, size_t *total)
     * }
     */
    public static int cudaMemGetInfo(MemorySegment free, MemorySegment total) {
        try {
            return (int) cudaMemGetInfo.HANDLE.invokeExact(free, total);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaMemcpy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_LONG, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaMemcpy", DESC);
    }

    /** Function descriptor of {@code cudaMemcpy}. */
    public static FunctionDescriptor cudaMemcpy$descriptor() { return cudaMemcpy.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind)
     * }
     */
    public static int cudaMemcpy(MemorySegment dst, MemorySegment src, long count, int kind) {
        try {
            return (int) cudaMemcpy.HANDLE.invokeExact(dst, src, count, kind);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaMemcpyAsync {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_LONG, C_INT,
                C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaMemcpyAsync", DESC);
    }

    /** Function descriptor of {@code cudaMemcpyAsync}. */
    public static FunctionDescriptor cudaMemcpyAsync$descriptor() { return cudaMemcpyAsync.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
     *                             cudaStream_t stream)
     * }
     */
    public static int cudaMemcpyAsync(MemorySegment dst, MemorySegment src, long count, int kind,
            MemorySegment stream) {
        try {
            return (int) cudaMemcpyAsync.HANDLE.invokeExact(dst, src, count, kind, stream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaMemset {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_LONG);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaMemset", DESC);
    }

    /** Function descriptor of {@code cudaMemset}. */
    public static FunctionDescriptor cudaMemset$descriptor() { return cudaMemset.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaMemset(void *devPtr, int value, size_t count)
     * }
     */
    public static int cudaMemset(MemorySegment devPtr, int value, long count) {
        try {
            return (int) cudaMemset.HANDLE.invokeExact(devPtr, value, count);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- Streams ----

    private static final class cudaStreamCreate {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaStreamCreate", DESC);
    }

    /** Function descriptor of {@code cudaStreamCreate}. */
    public static FunctionDescriptor cudaStreamCreate$descriptor() { return cudaStreamCreate.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaStreamCreate(cudaStream_t *pStream)
     * }
     */
    public static int cudaStreamCreate(MemorySegment pStream) {
        try {
            return (int) cudaStreamCreate.HANDLE.invokeExact(pStream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaStreamDestroy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaStreamDestroy", DESC);
    }

    /** Function descriptor of {@code cudaStreamDestroy}. */
    public static FunctionDescriptor cudaStreamDestroy$descriptor() { return cudaStreamDestroy.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaStreamDestroy(cudaStream_t stream)
     * }
     */
    public static int cudaStreamDestroy(MemorySegment stream) {
        try {
            return (int) cudaStreamDestroy.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cudaStreamSynchronize {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.runtime().downcall("cudaStreamSynchronize", DESC);
    }

    /** Function descriptor of {@code cudaStreamSynchronize}. */
    public static FunctionDescriptor cudaStreamSynchronize$descriptor() { return cudaStreamSynchronize.DESC; }

    /**
     * {@snippet lang=c :
     * cudaError_t cudaStreamSynchronize(cudaStream_t stream)
     * }
     */
    public static int cudaStreamSynchronize(MemorySegment stream) {
        try {
            return (int) cudaStreamSynchronize.HANDLE.invokeExact(stream);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
