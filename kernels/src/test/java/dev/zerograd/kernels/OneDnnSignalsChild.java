package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * Entry point of the child JVM that {@link OneDnnSignalsTest} runs under JFR: oneDNN GEMMs at the shapes that
 * corrupted the heap under signals (Note [oneDNN and signals]), for {@code args[0]} seconds: the first half on
 * the calling thread alone, the second half split over the pool (Note [Split GEMMs]).
 */
public final class OneDnnSignalsChild {
    private OneDnnSignalsChild() {}

    public static void main(String[] args) {
        GemmBackend.use(GemmBackend.Kind.ONEDNN);
        GemmBackend.minWork = 0;
        GemmBackend.minSplitWork = 0;
        GemmBackend.setThreads(1);
        long start = System.nanoTime(), length = (long) (Double.parseDouble(args[0]) * 1e9);
        long deadline = start + length;
        boolean split = false;
        long calls = 0;
        try (TensorArena arena = TensorArena.ofConfined("child", 16 << 20)) {
            // [128 x 784] [784 x 256] (N-N); [1000 x 64]^T [1000 x 288] (T-N); [64 x 288] [288 x 1000] (N-N)
            Tensor a1 = arena.randn(new long[] {128, 784}, 1), b1 = arena.randn(new long[] {784, 256}, 2);
            Tensor c1 = arena.empty(DType.F32, 128, 256);
            Tensor a2 = arena.randn(new long[] {1000, 64}, 3), b2 = arena.randn(new long[] {1000, 288}, 4);
            Tensor c2 = arena.empty(DType.F32, 64, 288);
            Tensor a3 = arena.randn(new long[] {64, 288}, 5), b3 = arena.randn(new long[] {288, 1000}, 6);
            Tensor c3 = arena.empty(DType.F32, 64, 1000);
            for (long now = start; now < deadline; now = System.nanoTime()) {
                if (!split && now - start > length / 2) {
                    split = Parallel.threads() > 1;
                    GemmBackend.setThreads(2);
                }
                MatMul.gemm(a1, false, b1, false, 1, 0, c1);
                MatMul.gemm(a2, true, b2, false, 1, 0, c2);
                MatMul.gemm(a3, false, b3, false, 1, 0, c3);
                calls += 3;
            }
        }
        System.out.println("calls " + calls + " on " + GemmBackend.current());
    }
}
