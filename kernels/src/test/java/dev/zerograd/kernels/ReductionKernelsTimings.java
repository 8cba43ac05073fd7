package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Rough timings of the kernels, printed, not asserted (JMH lives in the bench module). Runs only with
 * {@code -Dzerograd.timings=true}. Times are the calling thread's CPU time, best of five rounds, so they hold
 * on a shared machine; gemm runs OpenBLAS on one thread for the same reason (single-core figures).
 */
class ReductionKernelsTimings {
    private interface Body {
        void run();
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private static double nsPerCall(Body body, int calls) {
        for (int i = 0; i < calls; i++) {
            body.run();
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long t0 = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) {
                body.run();
            }
            best = Math.min(best, (THREADS.getCurrentThreadCpuTime() - t0) / (double) calls);
        }
        return best;
    }

    @Test
    void print() {
        Assumptions.assumeTrue(Boolean.getBoolean("zerograd.timings"));
        try (TensorArena arena = TensorArena.ofConfined(64 << 20)) {
            for (boolean simd : new boolean[] {true, false}) {
                BlockMath.simd = simd;
                for (DType dt : RefTensors.FLOATS) {
                    Tensor x64 = arena.rand(dt, new long[] {64}, 1), one = arena.empty(dt, 1);
                    Tensor big = arena.rand(dt, new long[] {1 << 20}, 2);
                    Tensor m = arena.rand(dt, new long[] {256, 1024}, 3), rowOut = arena.empty(dt, 256, 1), colOut = arena.empty(dt, 1, 1024);
                    Tensor sm = arena.empty(dt, 256, 1024);
                    String tag = dt + (simd ? " vector" : " scalar");
                    System.out.printf("%s sum of 64: %.1f ns%n", tag, nsPerCall(() -> Reduce.sum(x64, 1, one), 200_000));
                    System.out.printf("%s sumAll of 2^20: %.2f GB/s%n", tag,
                            big.byteSize() / nsPerCall(() -> Reduce.sumAll(big), 300));
                    System.out.printf("%s sum rows of 256x1024: %.2f GB/s%n", tag, m.byteSize() / nsPerCall(() -> Reduce.sum(m, 0b10, rowOut), 300));
                    System.out.printf("%s sum cols of 256x1024: %.2f GB/s%n", tag, m.byteSize() / nsPerCall(() -> Reduce.sum(m, 0b01, colOut), 300));
                    System.out.printf("%s softmax 256x1024: %.2f ns/element%n", tag, nsPerCall(() -> Softmax.softmax(m, 1, sm), 100) / m.numel());
                }
            }
            BlockMath.simd = true;
            int blasThreads = dev.zerograd.bindings.OpenBlas.numThreads();
            dev.zerograd.bindings.OpenBlas.setNumThreads(1);
            for (DType dt : RefTensors.FLOATS) {
                for (int n : new int[] {64, 256, 1024}) {
                    arena.reset();
                    Tensor a = arena.rand(dt, new long[] {n, n}, 4), b = arena.rand(dt, new long[] {n, n}, 5), c = arena.empty(dt, n, n);
                    double ns = nsPerCall(() -> MatMul.gemm(a, false, b, false, 1, 0, c), n >= 1024 ? 5 : 200);
                    System.out.printf("%s gemm n=%d, 1 thread: %.1f GFLOP/s (%.1f us)%n", dt, n, 2.0 * n * n * n / ns, ns / 1000);
                }
            }
            dev.zerograd.bindings.OpenBlas.setNumThreads(blasThreads);
        }
    }
}
