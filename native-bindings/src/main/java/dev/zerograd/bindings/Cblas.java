// Written by hand in jextract's shape from cblas.h of OpenBLAS 0.3.28 (as shipped in
// org.bytedeco:openblas:0.3.28-1.5.11:linux-x86_64); jextract is not available in this build
// environment. CblasConformanceTest checks every descriptor below against the prototypes in that
// header. Differences from jextract's output: only the functions zerograd uses are bound, the enum
// constants are compile-time int fields instead of accessor methods, and the linker option
// critical(false) is chosen per function (see Note [Critical downcalls]).
package dev.zerograd.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Binding to OpenBLAS's {@code cblas.h}. No logic: availability, optional symbols and C strings are
 * handled one layer up, in {@link OpenBlas}. When OpenBLAS cannot be loaded, every function throws
 * a {@link NativeLibraryException} that says where it was searched and how to provide it.
 *
 * <p>Types: {@code blasint} is {@code int} ({@code OPENBLAS_USE64BITINT} is not defined in
 * {@code openblas_config.h}; the locator refuses a library built with it), enums are {@code int},
 * pointers are {@link MemorySegment}s that must be native (off-heap) segments.
 *
 * <p>Note [Critical downcalls]: {@code Linker.Option.critical(false)} drops the thread-state
 * transitions around a call, a few nanoseconds that matter for calls which themselves take well
 * under a microsecond. It is safe for OpenBLAS because no function here calls back into Java (no
 * upcalls) or blocks waiting for the JVM, and with {@code false} heap segments are rejected, so no
 * Java array is pinned. The cost is that the calling thread cannot reach a GC safepoint until the
 * call returns, stalling every other thread that waits for one. So it is used only for calls that
 * are short at the sizes zerograd uses: BLAS-1, BLAS-2 and the getters. GEMMs, whose time grows as
 * {@code m*n*k}, and {@code openblas_set_num_threads}, which may start or stop threads, are ordinary
 * downcalls; for small GEMMs the transition is negligible next to the call itself.
 */
public final class Cblas {
    private Cblas() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final ValueLayout.OfDouble C_DOUBLE = ValueLayout.JAVA_DOUBLE;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    /** {@code enum CBLAS_ORDER} */
    public static final int CblasRowMajor = 101, CblasColMajor = 102;
    /** {@code enum CBLAS_TRANSPOSE} */
    public static final int CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113, CblasConjNoTrans = 114;
    /** Values of {@code openblas_get_parallel()}. */
    public static final int OPENBLAS_SEQUENTIAL = 0, OPENBLAS_THREAD = 1, OPENBLAS_OPENMP = 2;

    // ---- BLAS level 1 ----

    private static final class cblas_sdot {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_FLOAT, C_INT, C_POINTER, C_INT,
                C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_sdot", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_sdot}. */
    public static FunctionDescriptor cblas_sdot$descriptor() { return cblas_sdot.DESC; }

    /**
     * {@snippet lang=c :
     * float cblas_sdot(const blasint n, const float *x, const blasint incx, const float *y,
     *                  const blasint incy)
     * }
     */
    public static float cblas_sdot(int n, MemorySegment x, int incx, MemorySegment y, int incy) {
        try {
            return (float) cblas_sdot.HANDLE.invokeExact(n, x, incx, y, incy);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_ddot {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_DOUBLE, C_INT, C_POINTER, C_INT,
                C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_ddot", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_ddot}. */
    public static FunctionDescriptor cblas_ddot$descriptor() { return cblas_ddot.DESC; }

    /**
     * {@snippet lang=c :
     * double cblas_ddot(const blasint n, const double *x, const blasint incx, const double *y,
     *                   const blasint incy)
     * }
     */
    public static double cblas_ddot(int n, MemorySegment x, int incx, MemorySegment y, int incy) {
        try {
            return (double) cblas_ddot.HANDLE.invokeExact(n, x, incx, y, incy);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_saxpy {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_FLOAT, C_POINTER, C_INT,
                C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_saxpy", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_saxpy}. */
    public static FunctionDescriptor cblas_saxpy$descriptor() { return cblas_saxpy.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_saxpy(const blasint n, const float alpha, const float *x, const blasint incx, float *y,
     *                  const blasint incy)
     * }
     */
    public static void cblas_saxpy(int n, float alpha, MemorySegment x, int incx, MemorySegment y, int incy) {
        try {
            cblas_saxpy.HANDLE.invokeExact(n, alpha, x, incx, y, incy);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_daxpy {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_DOUBLE, C_POINTER, C_INT,
                C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_daxpy", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_daxpy}. */
    public static FunctionDescriptor cblas_daxpy$descriptor() { return cblas_daxpy.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_daxpy(const blasint n, const double alpha, const double *x, const blasint incx, double *y,
     *                  const blasint incy)
     * }
     */
    public static void cblas_daxpy(int n, double alpha, MemorySegment x, int incx, MemorySegment y, int incy) {
        try {
            cblas_daxpy.HANDLE.invokeExact(n, alpha, x, incx, y, incy);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_sscal {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_FLOAT, C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_sscal", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_sscal}. */
    public static FunctionDescriptor cblas_sscal$descriptor() { return cblas_sscal.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_sscal(const blasint N, const float alpha, float *X, const blasint incX)
     * }
     */
    public static void cblas_sscal(int N, float alpha, MemorySegment X, int incX) {
        try {
            cblas_sscal.HANDLE.invokeExact(N, alpha, X, incX);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_dscal {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_DOUBLE, C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_dscal", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_dscal}. */
    public static FunctionDescriptor cblas_dscal$descriptor() { return cblas_dscal.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_dscal(const blasint N, const double alpha, double *X, const blasint incX)
     * }
     */
    public static void cblas_dscal(int N, double alpha, MemorySegment X, int incX) {
        try {
            cblas_dscal.HANDLE.invokeExact(N, alpha, X, incX);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- BLAS level 2 ----

    private static final class cblas_sgemv {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_INT, C_INT, C_INT, C_FLOAT,
                C_POINTER, C_INT, C_POINTER, C_INT, C_FLOAT, C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_sgemv", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_sgemv}. */
    public static FunctionDescriptor cblas_sgemv$descriptor() { return cblas_sgemv.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m,
     *                  const blasint n, const float alpha, const float *a, const blasint lda, const float *x,
     *                  const blasint incx, const float beta, float *y, const blasint incy)
     * }
     */
    public static void cblas_sgemv(int order, int trans, int m, int n, float alpha, MemorySegment a, int lda,
            MemorySegment x, int incx, float beta, MemorySegment y, int incy) {
        try {
            cblas_sgemv.HANDLE.invokeExact(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_dgemv {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_INT, C_INT, C_INT, C_DOUBLE,
                C_POINTER, C_INT, C_POINTER, C_INT, C_DOUBLE, C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_dgemv", DESC, CRITICAL);
    }

    /** Function descriptor of {@code cblas_dgemv}. */
    public static FunctionDescriptor cblas_dgemv$descriptor() { return cblas_dgemv.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_dgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m,
     *                  const blasint n, const double alpha, const double *a, const blasint lda,
     *                  const double *x, const blasint incx, const double beta, double *y, const blasint incy)
     * }
     */
    public static void cblas_dgemv(int order, int trans, int m, int n, double alpha, MemorySegment a, int lda,
            MemorySegment x, int incx, double beta, MemorySegment y, int incy) {
        try {
            cblas_dgemv.HANDLE.invokeExact(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- BLAS level 3 ----

    private static final class cblas_sgemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_INT, C_INT, C_INT, C_INT,
                C_INT, C_FLOAT, C_POINTER, C_INT, C_POINTER, C_INT, C_FLOAT, C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_sgemm", DESC);
    }

    /** Function descriptor of {@code cblas_sgemm}. */
    public static FunctionDescriptor cblas_sgemm$descriptor() { return cblas_sgemm.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
     *                  const enum CBLAS_TRANSPOSE TransB, const blasint M, const blasint N, const blasint K,
     *                  const float alpha, const float *A, const blasint lda, const float *B,
     *                  const blasint ldb, const float beta, float *C, const blasint ldc)
     * }
     */
    public static void cblas_sgemm(int Order, int TransA, int TransB, int M, int N, int K, float alpha,
            MemorySegment A, int lda, MemorySegment B, int ldb, float beta, MemorySegment C, int ldc) {
        try {
            cblas_sgemm.HANDLE.invokeExact(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_dgemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_INT, C_INT, C_INT, C_INT,
                C_INT, C_DOUBLE, C_POINTER, C_INT, C_POINTER, C_INT, C_DOUBLE, C_POINTER, C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_dgemm", DESC);
    }

    /** Function descriptor of {@code cblas_dgemm}. */
    public static FunctionDescriptor cblas_dgemm$descriptor() { return cblas_dgemm.DESC; }

    /**
     * {@snippet lang=c :
     * void cblas_dgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
     *                  const enum CBLAS_TRANSPOSE TransB, const blasint M, const blasint N, const blasint K,
     *                  const double alpha, const double *A, const blasint lda, const double *B,
     *                  const blasint ldb, const double beta, double *C, const blasint ldc)
     * }
     */
    public static void cblas_dgemm(int Order, int TransA, int TransB, int M, int N, int K, double alpha,
            MemorySegment A, int lda, MemorySegment B, int ldb, double beta, MemorySegment C, int ldc) {
        try {
            cblas_dgemm.HANDLE.invokeExact(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class cblas_sgemm_batch {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER,
                C_POINTER, C_POINTER, C_INT, C_POINTER);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_sgemm_batch", DESC);
    }

    /** Function descriptor of {@code cblas_sgemm_batch}. */
    public static FunctionDescriptor cblas_sgemm_batch$descriptor() { return cblas_sgemm_batch.DESC; }

    /**
     * Optional: call it only when {@link OpenBlas#hasSgemmBatch()} is true. Older libraries do not
     * export it (this then throws a {@link NativeLibraryException}), and {@code DYNAMIC_ARCH} builds
     * such as the bundled 0.3.28 crash on groups with {@code m*n*k <= 100^3}: see
     * Note [gemm_batch and DYNAMIC_ARCH] in {@link OpenBlas}.
     * {@snippet lang=c :
     * void cblas_sgemm_batch(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE *TransA_array,
     *                        const enum CBLAS_TRANSPOSE *TransB_array, const blasint *M_array,
     *                        const blasint *N_array, const blasint *K_array, const float *alpha_array,
     *                        const float **A_array, const blasint *lda_array, const float **B_array,
     *                        const blasint *ldb_array, const float *beta_array, float **C_array,
     *                        const blasint *ldc_array, const blasint group_count, const blasint *group_size)
     * }
     */
    public static void cblas_sgemm_batch(int Order, MemorySegment TransA_array, MemorySegment TransB_array,
            MemorySegment M_array, MemorySegment N_array, MemorySegment K_array, MemorySegment alpha_array,
            MemorySegment A_array, MemorySegment lda_array, MemorySegment B_array, MemorySegment ldb_array,
            MemorySegment beta_array, MemorySegment C_array, MemorySegment ldc_array, int group_count,
            MemorySegment group_size) {
        try {
            cblas_sgemm_batch.HANDLE.invokeExact(Order, TransA_array, TransB_array, M_array, N_array, K_array,
                    alpha_array, A_array, lda_array, B_array, ldb_array, beta_array, C_array, ldc_array,
                    group_count, group_size);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    // ---- OpenBLAS extensions ----

    private static final class openblas_set_num_threads {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("openblas_set_num_threads", DESC);
    }

    /** Function descriptor of {@code openblas_set_num_threads}. */
    public static FunctionDescriptor openblas_set_num_threads$descriptor() {
        return openblas_set_num_threads.DESC;
    }

    /**
     * {@snippet lang=c :
     * void openblas_set_num_threads(int num_threads)
     * }
     */
    public static void openblas_set_num_threads(int num_threads) {
        try {
            openblas_set_num_threads.HANDLE.invokeExact(num_threads);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class openblas_get_num_threads {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("openblas_get_num_threads", DESC, CRITICAL);
    }

    /** Function descriptor of {@code openblas_get_num_threads}. */
    public static FunctionDescriptor openblas_get_num_threads$descriptor() {
        return openblas_get_num_threads.DESC;
    }

    /**
     * {@snippet lang=c :
     * int openblas_get_num_threads(void)
     * }
     */
    public static int openblas_get_num_threads() {
        try {
            return (int) openblas_get_num_threads.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class openblas_get_parallel {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("openblas_get_parallel", DESC, CRITICAL);
    }

    /** Function descriptor of {@code openblas_get_parallel}. */
    public static FunctionDescriptor openblas_get_parallel$descriptor() { return openblas_get_parallel.DESC; }

    /**
     * Optional: libraries older than the header may lack it; this then throws a
     * {@link NativeLibraryException}.
     * {@snippet lang=c :
     * int openblas_get_parallel(void)
     * }
     */
    public static int openblas_get_parallel() {
        try {
            return (int) openblas_get_parallel.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class openblas_get_config {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("openblas_get_config", DESC, CRITICAL);
    }

    /** Function descriptor of {@code openblas_get_config}. */
    public static FunctionDescriptor openblas_get_config$descriptor() { return openblas_get_config.DESC; }

    /**
     * {@snippet lang=c :
     * char *openblas_get_config(void)
     * }
     */
    public static MemorySegment openblas_get_config() {
        try {
            return (MemorySegment) openblas_get_config.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class openblas_get_corename {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("openblas_get_corename", DESC, CRITICAL);
    }

    /** Function descriptor of {@code openblas_get_corename}. */
    public static FunctionDescriptor openblas_get_corename$descriptor() { return openblas_get_corename.DESC; }

    /**
     * {@snippet lang=c :
     * char *openblas_get_corename(void)
     * }
     */
    public static MemorySegment openblas_get_corename() {
        try {
            return (MemorySegment) openblas_get_corename.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
