// Written by hand in jextract's shape from oneDNN's dnnl.h and dnnl_types.h (the C API, the same in
// oneDNN 2.x and 3.x for the functions bound here). Only the functions zerograd uses are bound.
package dev.zerograd.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Binding to oneDNN's C API ({@code libdnnl}): its row-major {@code dnnl_sgemm} and the version and
 * CPU queries. No logic: availability, version strings and the choice of GEMM live one layer up,
 * in {@link OneDnn}. When oneDNN cannot be loaded, every function throws a
 * {@link NativeLibraryException} that says where it was searched and how to provide it.
 *
 * <p>Types: {@code dnnl_dim_t} is {@code int64_t}, {@code dnnl_status_t} and the enums are
 * {@code int}, {@code char} is a Java {@code byte}. {@code dnnl_sgemm} takes its pointers as raw
 * addresses ({@code long}), as {@link CblasAddress} does and for the same reason (Note [Address
 * downcalls] there): the caller checks that they lie in live segments. It is an ordinary downcall,
 * as GEMMs are in {@link Cblas} (Note [Critical downcalls]); the queries are short and critical.
 */
public final class Dnnl {
    private Dnnl() {}

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_DIM = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;
    private static final ValueLayout.OfLong C_ADDRESS = ValueLayout.JAVA_LONG;

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    /** {@code dnnl_status_t} */
    public static final int dnnl_success = 0, dnnl_out_of_memory = 1, dnnl_invalid_arguments = 2,
            dnnl_unimplemented = 3, dnnl_runtime_error = 5;
    /** {@code DNNL_RUNTIME_*}: the CPU threading runtime in {@code dnnl_version_t.cpu_runtime}. */
    public static final int DNNL_RUNTIME_NONE = 0, DNNL_RUNTIME_SEQ = 1, DNNL_RUNTIME_OMP = 2,
            DNNL_RUNTIME_TBB = 4, DNNL_RUNTIME_THREADPOOL = 8;
    /** Transpose flags of {@code dnnl_sgemm} (upper case; oneDNN reads {@code 'T'} and {@code 'N'}). */
    public static final byte TRANS = 'T', NO_TRANS = 'N';

    /** Byte offsets in {@code dnnl_version_t {int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime;}}. */
    public static final long VERSION_MAJOR = 0, VERSION_MINOR = 4, VERSION_PATCH = 8, VERSION_HASH = 16,
            VERSION_CPU_RUNTIME = 24, VERSION_GPU_RUNTIME = 28, VERSION_SIZE = 32;

    private static final class dnnl_sgemm {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_CHAR, C_CHAR, C_DIM, C_DIM, C_DIM,
                C_FLOAT, C_ADDRESS, C_DIM, C_ADDRESS, C_DIM, C_FLOAT, C_ADDRESS, C_DIM);
        static final MethodHandle HANDLE = OneDnnLibraries.dnnl().downcall("dnnl_sgemm", DESC);
    }

    /** Function descriptor of {@code dnnl_sgemm}, pointers as addresses. */
    public static FunctionDescriptor dnnl_sgemm$descriptor() { return dnnl_sgemm.DESC; }

    /**
     * {@snippet lang=c :
     * dnnl_status_t dnnl_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
     *         float alpha, const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta,
     *         float *C, dnnl_dim_t ldc)
     * }
     * Row-major: {@code C = alpha * op(A) op(B) + beta * C}, pointers as addresses.
     */
    public static int dnnl_sgemm(byte transa, byte transb, long M, long N, long K, float alpha, long A, long lda,
            long B, long ldb, float beta, long C, long ldc) {
        try {
            return (int) dnnl_sgemm.HANDLE.invokeExact(transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class dnnl_version {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_POINTER);
        static final MethodHandle HANDLE = OneDnnLibraries.dnnl().downcall("dnnl_version", DESC, CRITICAL);
    }

    /** Function descriptor of {@code dnnl_version}. */
    public static FunctionDescriptor dnnl_version$descriptor() { return dnnl_version.DESC; }

    /**
     * {@snippet lang=c :
     * const dnnl_version_t *dnnl_version(void)
     * }
     * A pointer to static storage, as a zero-length segment.
     */
    public static MemorySegment dnnl_version() {
        try {
            return (MemorySegment) dnnl_version.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class dnnl_get_effective_cpu_isa {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MethodHandle HANDLE = OneDnnLibraries.dnnl().downcall("dnnl_get_effective_cpu_isa", DESC, CRITICAL);
    }

    /** Function descriptor of {@code dnnl_get_effective_cpu_isa}. */
    public static FunctionDescriptor dnnl_get_effective_cpu_isa$descriptor() { return dnnl_get_effective_cpu_isa.DESC; }

    /**
     * {@snippet lang=c :
     * dnnl_cpu_isa_t dnnl_get_effective_cpu_isa(void)
     * }
     */
    public static int dnnl_get_effective_cpu_isa() {
        try {
            return (int) dnnl_get_effective_cpu_isa.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
