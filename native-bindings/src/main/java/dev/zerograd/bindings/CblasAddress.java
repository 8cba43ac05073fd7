package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The GEMM functions of {@link Cblas} again, with every pointer argument carried as a raw 64-bit address
 * ({@code long}) instead of a {@code MemorySegment}. Same symbols, same C prototypes; no logic.
 *
 * <p>Note [Address downcalls]: a caller that holds a tensor as (slab segment, byte offset) would otherwise
 * build a slice segment per call ({@code slab.asSlice(offset)}) just to hand BLAS an address; C2 removes
 * that object only when the whole call chain inlines, which a large training step does not guarantee. On
 * the platforms zerograd supports (x86-64 System V, AArch64 AAPCS64) a pointer argument travels in an
 * integer register exactly like a {@code long}, so these handles pass {@code slab.address() + offset}
 * directly and allocate nothing at any JIT tier. The caller is responsible for the address being inside a
 * live segment for the whole call (zerograd's kernels check the handle and the extent first).
 */
public final class CblasAddress {
    private CblasAddress() {}

    private static final ValueLayout.OfLong C_ADDRESS = ValueLayout.JAVA_LONG;

    private static final class sgemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(Cblas.C_INT, Cblas.C_INT, Cblas.C_INT, Cblas.C_INT,
                Cblas.C_INT, Cblas.C_INT, Cblas.C_FLOAT, C_ADDRESS, Cblas.C_INT, C_ADDRESS, Cblas.C_INT, Cblas.C_FLOAT,
                C_ADDRESS, Cblas.C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_sgemm", DESC);
    }

    private static final class dgemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(Cblas.C_INT, Cblas.C_INT, Cblas.C_INT, Cblas.C_INT,
                Cblas.C_INT, Cblas.C_INT, Cblas.C_DOUBLE, C_ADDRESS, Cblas.C_INT, C_ADDRESS, Cblas.C_INT, Cblas.C_DOUBLE,
                C_ADDRESS, Cblas.C_INT);
        static final MethodHandle HANDLE = OpenBlasLibrary.downcall("cblas_dgemm", DESC);
    }

    /** Descriptor of {@link #cblas_sgemm}: {@link Cblas#cblas_sgemm$descriptor()} with pointers as JAVA_LONG. */
    public static FunctionDescriptor cblas_sgemm$descriptor() {
        return sgemm.DESC;
    }

    /** Descriptor of {@link #cblas_dgemm}: {@link Cblas#cblas_dgemm$descriptor()} with pointers as JAVA_LONG. */
    public static FunctionDescriptor cblas_dgemm$descriptor() {
        return dgemm.DESC;
    }

    /**
     * {@code void cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA,
     * const enum CBLAS_TRANSPOSE TransB, const blasint M, const blasint N, const blasint K, const float alpha,
     * const float *A, const blasint lda, const float *B, const blasint ldb, const float beta, float *C,
     * const blasint ldc)}, pointers as addresses.
     */
    public static void cblas_sgemm(int Order, int TransA, int TransB, int M, int N, int K, float alpha,
            long A, int lda, long B, int ldb, float beta, long C, int ldc) {
        try {
            sgemm.HANDLE.invokeExact(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    /** {@code cblas_dgemm}, the double-precision {@link #cblas_sgemm}, pointers as addresses. */
    public static void cblas_dgemm(int Order, int TransA, int TransB, int M, int N, int K, double alpha,
            long A, int lda, long B, int ldb, double beta, long C, int ldc) {
        try {
            dgemm.HANDLE.invokeExact(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
