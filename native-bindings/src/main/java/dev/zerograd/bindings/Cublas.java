// Written by hand in jextract's shape from cublas_api.h of cuBLAS 13.0.0 (CUBLAS_VER_BUILD 19, as
// shipped with the CUDA 13.0 toolkit); jextract is not available in this build environment. The
// build machines have the CUDA runtime but not cuBLAS, so CublasConformanceTest checks every
// descriptor and constant below against a cublas_api.h wherever one is installed, and says that it
// skipped otherwise. Only the _v2 entry points are bound: they are the symbols libcublas exports,
// which cublas_v2.h maps the unsuffixed names to. Differences from jextract's output: only the
// functions zerograd uses are bound, the enum constants are compile-time int fields instead of
// accessor methods, and the handles come from a library located at run time (see LibraryLocator).
package dev.zerograd.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Binding to cuBLAS ({@code cublas_api.h}, library {@code libcublas}). No logic: availability and
 * status codes are handled one layer up, in {@link Cuda}. When cuBLAS cannot be loaded, every
 * function throws a {@link NativeLibraryException} that says where it was searched and how to
 * provide it.
 *
 * <p>Types: {@code cublasStatus_t} and the other enums are {@code int}; {@code cublasHandle_t} and
 * {@code cudaStream_t} are opaque pointers, as are device and host pointers: all are
 * {@link MemorySegment}s. Matrices are column-major. No function is linked as a critical downcall;
 * see Note [No critical CUDA downcalls] in {@link CudaRuntime}.
 */
public final class Cublas {
    private Cublas() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    /** {@code cublasStatus_t} */
    public static final int CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1,
            CUBLAS_STATUS_ALLOC_FAILED = 3, CUBLAS_STATUS_INVALID_VALUE = 7, CUBLAS_STATUS_ARCH_MISMATCH = 8,
            CUBLAS_STATUS_MAPPING_ERROR = 11, CUBLAS_STATUS_EXECUTION_FAILED = 13,
            CUBLAS_STATUS_INTERNAL_ERROR = 14, CUBLAS_STATUS_NOT_SUPPORTED = 15, CUBLAS_STATUS_LICENSE_ERROR = 16;
    /** {@code cublasOperation_t} */
    public static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2;
    /** {@code cublasMath_t} */
    public static final int CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3,
            CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16;

    // ---- Helper functions ----

    private static final class cublasCreate_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.cublas().downcall("cublasCreate_v2", DESC);
    }

    /** Function descriptor of {@code cublasCreate_v2}. */
    public static FunctionDescriptor cublasCreate_v2$descriptor() { return cublasCreate_v2.DESC; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasCreate_v2(cublasHandle_t* handle)
     * }
     */
    public static int cublasCreate_v2(MemorySegment handle) {
        try {
            return (int) cublasCreate_v2.HANDLE.invokeExact(handle);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cublasDestroy_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.cublas().downcall("cublasDestroy_v2", DESC);
    }

    /** Function descriptor of {@code cublasDestroy_v2}. */
    public static FunctionDescriptor cublasDestroy_v2$descriptor() { return cublasDestroy_v2.DESC; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
     * }
     */
    public static int cublasDestroy_v2(MemorySegment handle) {
        try {
            return (int) cublasDestroy_v2.HANDLE.invokeExact(handle);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cublasSetStream_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);
        static final MethodHandle HANDLE = CudaLibraries.cublas().downcall("cublasSetStream_v2", DESC);
    }

    /** Function descriptor of {@code cublasSetStream_v2}. */
    public static FunctionDescriptor cublasSetStream_v2$descriptor() { return cublasSetStream_v2.DESC; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
     * }
     */
    public static int cublasSetStream_v2(MemorySegment handle, MemorySegment streamId) {
        try {
            return (int) cublasSetStream_v2.HANDLE.invokeExact(handle, streamId);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cublasSetMathMode {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.cublas().downcall("cublasSetMathMode", DESC);
    }

    /** Function descriptor of {@code cublasSetMathMode}. */
    public static FunctionDescriptor cublasSetMathMode$descriptor() { return cublasSetMathMode.DESC; }

    /**
     * {@snippet lang=c :
     * cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
     * }
     */
    public static int cublasSetMathMode(MemorySegment handle, int mode) {
        try {
            return (int) cublasSetMathMode.HANDLE.invokeExact(handle, mode);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- BLAS level 3 ----

    private static final class cublasSgemm_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT,
                C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_INT, C_POINTER, C_POINTER, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.cublas().downcall("cublasSgemm_v2", DESC);
    }

    /** Function descriptor of {@code cublasSgemm_v2}. */
    public static FunctionDescriptor cublasSgemm_v2$descriptor() { return cublasSgemm_v2.DESC; }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, column-major; {@code alpha} and {@code beta} point to host
     * memory in the default pointer mode.
     * {@snippet lang=c :
     * cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
     *                               cublasOperation_t transb, int m, int n, int k, const float* alpha,
     *                               const float* A, int lda, const float* B, int ldb, const float* beta,
     *                               float* C, int ldc)
     * }
     */
    public static int cublasSgemm_v2(MemorySegment handle, int transa, int transb, int m, int n, int k,
            MemorySegment alpha, MemorySegment A, int lda, MemorySegment B, int ldb, MemorySegment beta,
            MemorySegment C, int ldc) {
        try {
            return (int) cublasSgemm_v2.HANDLE.invokeExact(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb,
                    beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cublasDgemm_v2 {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT, C_INT, C_INT,
                C_INT, C_POINTER, C_POINTER, C_INT, C_POINTER, C_INT, C_POINTER, C_POINTER, C_INT);
        static final MethodHandle HANDLE = CudaLibraries.cublas().downcall("cublasDgemm_v2", DESC);
    }

    /** Function descriptor of {@code cublasDgemm_v2}. */
    public static FunctionDescriptor cublasDgemm_v2$descriptor() { return cublasDgemm_v2.DESC; }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, column-major; {@code alpha} and {@code beta} point to host
     * memory in the default pointer mode.
     * {@snippet lang=c :
     * cublasStatus_t cublasDgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
     *                               cublasOperation_t transb, int m, int n, int k, const double* alpha,
     *                               const double* A, int lda, const double* B, int ldb, const double* beta,
     *                               double* C, int ldc)
     * }
     */
    public static int cublasDgemm_v2(MemorySegment handle, int transa, int transb, int m, int n, int k,
            MemorySegment alpha, MemorySegment A, int lda, MemorySegment B, int ldb, MemorySegment beta,
            MemorySegment C, int ldc) {
        try {
            return (int) cublasDgemm_v2.HANDLE.invokeExact(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb,
                    beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
