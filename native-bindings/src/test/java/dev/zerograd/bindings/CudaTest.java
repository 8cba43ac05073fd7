package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The capability layer over the CUDA bindings. On a machine with the runtime and no device (the
 * build machines) the runtime is called for real and must answer with error codes; on a GPU
 * machine the device branch is checked instead.
 */
class CudaTest {
    private static void assumeInstalled() {
        assumeTrue(Cuda.isInstalled(), () -> "the CUDA runtime is not installed: " + Cuda.describe());
    }

    private static void assumeNoDevice() {
        assumeInstalled();
        assumeFalse(Cuda.isAvailable(), () -> "a CUDA device is visible: " + Cuda.describe());
    }

    @Test
    void describeNamesTheRuntimeAndWhyNoDeviceIsVisible() {
        assumeNoDevice();
        String description = Cuda.describe();
        LoadedLibrary runtime = Cuda.runtimeLibrary().orElseThrow();
        int status = statusOfDeviceCount();
        String name = Cuda.errorName(status);
        assertNotEquals(CudaRuntime.cudaSuccess, status);
        assertTrue(name.matches("cudaError\\w+"), name);
        String expected = runtime.path() + " (runtime " + Cuda.versionString(Cuda.runtimeVersion()) + ", driver "
                + (Cuda.driverVersion() == 0 ? "n/a" : Cuda.versionString(Cuda.driverVersion()))
                + "): no device visible (" + name + ": " + Cuda.errorString(status) + "); cuBLAS: ";
        assertTrue(description.startsWith(expected), description + "\nexpected to start with\n" + expected);
        assertEquals(0, Cuda.deviceCount());
        assertFalse(Cuda.isAvailable());
    }

    @Test
    void describeCountsTheDevices() {
        assumeTrue(Cuda.isAvailable(), () -> "no CUDA device: " + Cuda.describe());
        int count = Cuda.deviceCount();
        assertTrue(Cuda.describe().contains("): " + count + (count == 1 ? " device;" : " devices;")), Cuda.describe());
    }

    @Test
    void versions() {
        assertEquals("13.0", Cuda.versionString(13000));
        assertEquals("12.4", Cuda.versionString(12040));
        assertEquals("11.8", Cuda.versionString(11080));
        assumeInstalled();
        assertTrue(Cuda.runtimeVersion() >= 12000, "runtime " + Cuda.runtimeVersion());
        assertTrue(Cuda.driverVersion() >= 0);
    }

    /** The names the binding gives the error codes are the runtime's own names for them. */
    @Test
    void theRuntimeNamesEachErrorConstantAsTheBindingDoes() {
        assumeInstalled();
        for (Map.Entry<String, Integer> constant : Bindings.intConstants(CudaRuntime.class, "cudaError").entrySet()) {
            assertEquals(constant.getKey(), Cuda.errorName(constant.getValue()));
        }
        assertEquals("cudaSuccess", Cuda.errorName(CudaRuntime.cudaSuccess));
        assertEquals("no CUDA-capable device is detected", Cuda.errorString(CudaRuntime.cudaErrorNoDevice));
    }

    @Test
    void checkNamesTheCallTheErrorAndItsDescription() {
        assertDoesNotThrow(() -> Cuda.check(CudaRuntime.cudaSuccess, "cudaMalloc"));
        assumeInstalled();
        CudaException e = assertThrows(CudaException.class,
                () -> Cuda.check(CudaRuntime.cudaErrorMemoryAllocation, "cudaMalloc"));
        assertEquals("cudaMalloc failed: cudaErrorMemoryAllocation (2): out of memory", e.getMessage());
        assertEquals("cudaMalloc", e.call());
        assertEquals(2, e.status());
        assertEquals("cudaErrorMemoryAllocation", e.statusName());
        CudaException driver = assertThrows(CudaException.class,
                () -> Cuda.check(CudaRuntime.cudaErrorInsufficientDriver, "cudaGetDeviceCount"));
        assertEquals("cudaGetDeviceCount failed: cudaErrorInsufficientDriver (35): CUDA driver version is"
                + " insufficient for CUDA runtime version", driver.getMessage());
    }

    @Test
    void checkCublasNamesTheStatus() {
        assertDoesNotThrow(() -> Cuda.checkCublas(Cublas.CUBLAS_STATUS_SUCCESS, "cublasSgemm_v2"));
        CudaException e = assertThrows(CudaException.class,
                () -> Cuda.checkCublas(Cublas.CUBLAS_STATUS_INVALID_VALUE, "cublasSgemm_v2"));
        assertEquals("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (7): an unsupported value or parameter"
                + " was passed", e.getMessage());
        for (Map.Entry<String, Integer> constant : Bindings.intConstants(Cublas.class, "CUBLAS_STATUS_").entrySet()) {
            assertEquals(constant.getKey(), Cuda.cublasStatusName(constant.getValue()));
        }
        assertEquals("cublasStatus 42", Cuda.cublasStatusName(42));
    }

    /** In steady state: a run may see the JIT's one-off work, so the best of a few runs must allocate nothing. */
    @Test
    void checkAllocatesNothingOnSuccess() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        for (int run = 0; run < 5 && allocated != 0; run++) {
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 10_000; i++) {
                Cuda.check(CudaRuntime.cudaSuccess, "cudaMemcpyAsync");
                Cuda.checkCublas(Cublas.CUBLAS_STATUS_SUCCESS, "cublasSgemm_v2");
            }
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }
        assertEquals(0, allocated);
    }

    /** Without a device the GPU path still runs: each call answers with an error code that check reports. */
    @Test
    void withoutADeviceEveryCallReturnsAnErrorThatCheckReports() {
        assumeNoDevice();
        int noDevice = statusOfDeviceCount();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(ADDRESS);
            MemorySegment host = arena.allocate(JAVA_INT, 4);
            int malloc = CudaRuntime.cudaMalloc(pointer, 1024);
            assertEquals(noDevice, malloc);
            assertEquals(MemorySegment.NULL, pointer.get(ADDRESS, 0));
            CudaException e = assertThrows(CudaException.class, () -> Cuda.check(malloc, "cudaMalloc"));
            assertTrue(e.getMessage().startsWith("cudaMalloc failed: " + Cuda.errorName(noDevice) + " (" + noDevice
                    + "): "), e.getMessage());
            assertEquals(noDevice, CudaRuntime.cudaMemcpy(host, host, 16, CudaRuntime.cudaMemcpyHostToHost));
            assertEquals(noDevice, CudaRuntime.cudaMemcpyAsync(host, host, 16, CudaRuntime.cudaMemcpyDefault,
                    MemorySegment.NULL));
            assertEquals(noDevice, CudaRuntime.cudaStreamCreate(pointer));
            assertEquals(noDevice, CudaRuntime.cudaDeviceSynchronize());
            assertEquals(noDevice, CudaRuntime.cudaMemGetInfo(host, host.asSlice(8)));
            assertEquals(noDevice, CudaRuntime.cudaGetDevice(host));
            assertEquals(noDevice, CudaRuntime.cudaSetDevice(0));
            assertEquals(noDevice, CudaRuntime.cudaFree(MemorySegment.NULL));
            assertNotEquals(CudaRuntime.cudaSuccess, CudaRuntime.cudaGetLastError());
        }
    }

    private static int statusOfDeviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            return CudaRuntime.cudaGetDeviceCount(arena.allocate(JAVA_INT));
        }
    }
}
