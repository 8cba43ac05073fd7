package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Entry point of the child JVMs started by the CUDA tests: asks what a user's program would ask,
 * prints the answers, then calls the runtime directly. It does not catch a failure of the second
 * call, so that the test sees exactly what a user's program would.
 */
public final class CudaChildMain {
    private CudaChildMain() {}

    public static void main(String[] args) {
        System.out.println("installed " + Cuda.isInstalled());
        System.out.println("available " + Cuda.isAvailable());
        System.out.println("count " + Cuda.deviceCount());
        System.out.println("describe " + Cuda.describe());
        try {
            Cuda.check(CudaRuntime.cudaErrorMemoryAllocation, "cudaMalloc");
        } catch (CudaException e) {
            System.out.println("check " + e.getMessage());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            try {
                System.out.println("status " + CudaRuntime.cudaGetDeviceCount(count));
            } catch (NativeLibraryException first) {
                System.out.println("first failure: " + first.getMessage());
            }
            System.out.println("status " + CudaRuntime.cudaGetDeviceCount(count));
        }
    }
}
