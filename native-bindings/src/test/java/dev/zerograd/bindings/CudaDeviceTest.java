package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bindings driving a real device: memory round trips, streams, and cuBLAS GEMMs against a CPU
 * reference. Skipped, with the reason, where no device is visible.
 */
@SuppressWarnings("restricted") // device pointers are sized and given a cleanup with reinterpret
class CudaDeviceTest {
    /** Per test, so that each one is reported as skipped, with the reason. */
    @BeforeEach
    void device() {
        assumeTrue(Cuda.isAvailable(), () -> "no CUDA device: " + Cuda.describe());
    }

    /** {@code cudaMalloc}: a device buffer of {@code bytes}, freed when {@code arena} closes. */
    private static MemorySegment deviceBuffer(Arena arena, long bytes) {
        MemorySegment out = arena.allocate(ADDRESS);
        Cuda.check(CudaRuntime.cudaMalloc(out, bytes), "cudaMalloc");
        MemorySegment pointer = out.get(ADDRESS, 0);
        assertNotEquals(MemorySegment.NULL, pointer);
        return pointer.reinterpret(bytes, arena, p -> Cuda.check(CudaRuntime.cudaFree(p), "cudaFree"));
    }

    @Test
    void mallocMemcpyMemsetRoundTrip() {
        int n = 1000;
        long bytes = 4L * n;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) {
                host.setAtIndex(JAVA_FLOAT, i, i * 0.5f - 7f);
            }
            MemorySegment a = deviceBuffer(arena, bytes);
            MemorySegment b = deviceBuffer(arena, bytes);
            Cuda.check(CudaRuntime.cudaMemcpy(a, host, bytes, CudaRuntime.cudaMemcpyHostToDevice), "cudaMemcpy");
            Cuda.check(CudaRuntime.cudaMemcpy(b, a, bytes, CudaRuntime.cudaMemcpyDeviceToDevice), "cudaMemcpy");
            MemorySegment back = arena.allocate(JAVA_FLOAT, n);
            Cuda.check(CudaRuntime.cudaMemcpy(back, b, bytes, CudaRuntime.cudaMemcpyDeviceToHost), "cudaMemcpy");
            assertArrayEquals(host.toArray(JAVA_FLOAT), back.toArray(JAVA_FLOAT));

            Cuda.check(CudaRuntime.cudaMemset(b, 0x5a, 100), "cudaMemset");
            Cuda.check(CudaRuntime.cudaMemcpy(back, b, bytes, CudaRuntime.cudaMemcpyDefault), "cudaMemcpy");
            for (int i = 0; i < 100; i++) {
                assertEquals((byte) 0x5a, back.get(JAVA_BYTE, i), "byte " + i);
            }
            assertEquals(host.getAtIndex(JAVA_FLOAT, 25), back.getAtIndex(JAVA_FLOAT, 25), "past the memset");
            Cuda.check(CudaRuntime.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
        }
    }

    @Test
    void asyncCopiesOnAStream() {
        int n = 4096;
        long bytes = 8L * n;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment streamOut = arena.allocate(ADDRESS);
            Cuda.check(CudaRuntime.cudaStreamCreate(streamOut), "cudaStreamCreate");
            MemorySegment stream = streamOut.get(ADDRESS, 0);
            try {
                MemorySegment host = arena.allocate(JAVA_DOUBLE, n);
                for (int i = 0; i < n; i++) {
                    host.setAtIndex(JAVA_DOUBLE, i, Math.sin(i));
                }
                MemorySegment device = deviceBuffer(arena, bytes);
                MemorySegment back = arena.allocate(JAVA_DOUBLE, n);
                Cuda.check(CudaRuntime.cudaMemcpyAsync(device, host, bytes, CudaRuntime.cudaMemcpyHostToDevice,
                        stream), "cudaMemcpyAsync");
                Cuda.check(CudaRuntime.cudaMemcpyAsync(back, device, bytes, CudaRuntime.cudaMemcpyDeviceToHost,
                        stream), "cudaMemcpyAsync");
                Cuda.check(CudaRuntime.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
                assertArrayEquals(host.toArray(JAVA_DOUBLE), back.toArray(JAVA_DOUBLE));
            } finally {
                Cuda.check(CudaRuntime.cudaStreamDestroy(stream), "cudaStreamDestroy");
            }
        }
    }

    @Test
    void devicesMemoryAndErrors() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment device = arena.allocate(JAVA_INT);
            Cuda.check(CudaRuntime.cudaGetDevice(device), "cudaGetDevice");
            int current = device.get(JAVA_INT, 0);
            assertTrue(current >= 0 && current < Cuda.deviceCount(), "device " + current);
            Cuda.check(CudaRuntime.cudaSetDevice(current), "cudaSetDevice");

            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            Cuda.check(CudaRuntime.cudaMemGetInfo(free, total), "cudaMemGetInfo");
            assertTrue(free.get(JAVA_LONG, 0) > 0 && free.get(JAVA_LONG, 0) <= total.get(JAVA_LONG, 0));

            int invalid = CudaRuntime.cudaSetDevice(Cuda.deviceCount());
            assertEquals(CudaRuntime.cudaErrorInvalidDevice, invalid);
            CudaException e = assertThrows(CudaException.class, () -> Cuda.check(invalid, "cudaSetDevice"));
            assertTrue(e.getMessage().startsWith("cudaSetDevice failed: cudaErrorInvalidDevice (101): "),
                    e.getMessage());
            assertEquals(CudaRuntime.cudaErrorInvalidDevice, CudaRuntime.cudaGetLastError());
            assertEquals(CudaRuntime.cudaSuccess, CudaRuntime.cudaGetLastError(), "reading the error resets it");
        }
    }

    // ---- cuBLAS against a CPU reference ----

    /** A column-major {@code rows x cols} matrix of uniform values in [-1, 1). */
    private static double[] random(int rows, int cols, long seed) {
        Random random = new Random(seed);
        double[] m = new double[rows * cols];
        for (int i = 0; i < m.length; i++) {
            m[i] = random.nextDouble() * 2 - 1;
        }
        return m;
    }

    /** {@code alpha * op(A) * op(B) + beta * C} in double, column-major, with the GEMM call's leading dimensions. */
    private static double[] reference(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a,
            int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        double[] out = c.clone();
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double aip = transA ? a[p + i * lda] : a[i + p * lda];
                    double bpj = transB ? b[j + p * ldb] : b[p + j * ldb];
                    sum += aip * bpj;
                }
                out[i + j * ldc] = alpha * sum + beta * c[i + j * ldc];
            }
        }
        return out;
    }

    private static MemorySegment cublasHandle(Arena arena) {
        assumeTrue(Cuda.cublasLibrary().isPresent(), () -> "cuBLAS is not installed: "
                + CudaLibraries.cublas().failure().map(Throwable::getMessage).orElse(""));
        MemorySegment out = arena.allocate(ADDRESS);
        Cuda.checkCublas(Cublas.cublasCreate_v2(out), "cublasCreate_v2");
        MemorySegment handle = out.get(ADDRESS, 0);
        Cuda.checkCublas(Cublas.cublasSetStream_v2(handle, MemorySegment.NULL), "cublasSetStream_v2");
        // Pedantic: no TF32 or reduced-precision shortcuts, so the result is comparable with the reference.
        Cuda.checkCublas(Cublas.cublasSetMathMode(handle, Cublas.CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
        return handle;
    }

    @Test
    void sgemmMatchesTheCpuReference() {
        int m = 37, n = 29, k = 23;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = cublasHandle(arena);
            try {
                for (boolean transA : new boolean[] {false, true}) {
                    int lda = transA ? k : m; // op(A) is m x k
                    double[] a = random(transA ? k : m, transA ? m : k, 1);
                    double[] b = random(k, n, 2);
                    double[] c = random(m, n, 3);
                    double[] expected = reference(transA, false, m, n, k, 1.5, a, lda, b, k, -0.5, c, m);
                    float[] actual = sgemm(arena, handle, transA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, m, n, k,
                            1.5f, a, lda, b, k, -0.5f, c, m);
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])),
                                "transA " + transA + ", element " + i);
                    }
                }
            } finally {
                Cuda.checkCublas(Cublas.cublasDestroy_v2(handle), "cublasDestroy_v2");
            }
        }
    }

    @Test
    void dgemmMatchesTheCpuReference() {
        int m = 19, n = 31, k = 17;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = cublasHandle(arena);
            try {
                double[] a = random(m, k, 4);
                double[] b = random(n, k, 5); // op(B) = B^T is k x n
                double[] c = random(m, n, 6);
                double[] expected = reference(false, true, m, n, k, 0.75, a, m, b, n, 2.0, c, m);
                MemorySegment dA = upload(arena, a);
                MemorySegment dB = upload(arena, b);
                MemorySegment dC = upload(arena, c);
                Cuda.checkCublas(Cublas.cublasDgemm_v2(handle, Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_T, m, n, k,
                        arena.allocateFrom(JAVA_DOUBLE, 0.75), dA, m, dB, n, arena.allocateFrom(JAVA_DOUBLE, 2.0),
                        dC, m), "cublasDgemm_v2");
                MemorySegment back = arena.allocate(JAVA_DOUBLE, c.length);
                Cuda.check(CudaRuntime.cudaMemcpy(back, dC, 8L * c.length, CudaRuntime.cudaMemcpyDeviceToHost),
                        "cudaMemcpy");
                assertArrayEquals(expected, back.toArray(JAVA_DOUBLE), 1e-12);
            } finally {
                Cuda.checkCublas(Cublas.cublasDestroy_v2(handle), "cublasDestroy_v2");
            }
        }
    }

    @Test
    void aBadGemmArgumentIsReportedByName() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = cublasHandle(arena);
            try {
                MemorySegment one = arena.allocateFrom(JAVA_FLOAT, 1f);
                int status = Cublas.cublasSgemm_v2(handle, Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_N, 4, 4, 4, one,
                        MemorySegment.NULL, 1, MemorySegment.NULL, 4, one, MemorySegment.NULL, 4); // lda < m
                assertEquals(Cublas.CUBLAS_STATUS_INVALID_VALUE, status);
                CudaException e = assertThrows(CudaException.class, () -> Cuda.checkCublas(status, "cublasSgemm_v2"));
                assertTrue(e.getMessage().startsWith("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7)"),
                        e.getMessage());
            } finally {
                Cuda.checkCublas(Cublas.cublasDestroy_v2(handle), "cublasDestroy_v2");
            }
        }
    }

    private static MemorySegment upload(Arena arena, double[] values) {
        MemorySegment device = deviceBuffer(arena, 8L * values.length);
        Cuda.check(CudaRuntime.cudaMemcpy(device, arena.allocateFrom(JAVA_DOUBLE, values), 8L * values.length,
                CudaRuntime.cudaMemcpyHostToDevice), "cudaMemcpy");
        return device;
    }

    private static float[] sgemm(Arena arena, MemorySegment handle, int transA, int m, int n, int k, float alpha,
            double[] a, int lda, double[] b, int ldb, float beta, double[] c, int ldc) {
        MemorySegment dA = uploadFloats(arena, a);
        MemorySegment dB = uploadFloats(arena, b);
        MemorySegment dC = uploadFloats(arena, c);
        Cuda.checkCublas(Cublas.cublasSgemm_v2(handle, transA, Cublas.CUBLAS_OP_N, m, n, k,
                arena.allocateFrom(JAVA_FLOAT, alpha), dA, lda, dB, ldb, arena.allocateFrom(JAVA_FLOAT, beta), dC, ldc),
                "cublasSgemm_v2");
        MemorySegment back = arena.allocate(JAVA_FLOAT, c.length);
        Cuda.check(CudaRuntime.cudaMemcpy(back, dC, 4L * c.length, CudaRuntime.cudaMemcpyDeviceToHost), "cudaMemcpy");
        return back.toArray(JAVA_FLOAT);
    }

    private static MemorySegment uploadFloats(Arena arena, double[] values) {
        MemorySegment host = arena.allocate(JAVA_FLOAT, values.length);
        for (int i = 0; i < values.length; i++) {
            host.setAtIndex(JAVA_FLOAT, i, (float) values[i]);
        }
        MemorySegment device = deviceBuffer(arena, 4L * values.length);
        Cuda.check(CudaRuntime.cudaMemcpy(device, host, 4L * values.length, CudaRuntime.cudaMemcpyHostToDevice),
                "cudaMemcpy");
        return device;
    }
}
