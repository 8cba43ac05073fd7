package dev.zerograd.bench.workloads;

import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code C = A B} for square f32 matrices straight through {@link GemmBackend} (the library zerograd's matmuls use,
 * OpenBLAS or oneDNN), no framework: one FFM downcall per step. Parameters: {@code n}. GFLOP/s = 2 n^3 / time.
 */
final class Sgemm implements Workload {
    private final int n;
    private final Arena arena;
    private final MemorySegment a;
    private final MemorySegment b;
    private final MemorySegment c;

    Sgemm(Params p) {
        n = p.integer("n");
        arena = Arena.ofShared();
        long bytes = 4L * n * n;
        a = arena.allocate(bytes, 64);
        b = arena.allocate(bytes, 64);
        c = arena.allocate(bytes, 64);
        for (long i = 0; i < (long) n * n; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, Inputs.value(i));
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, Inputs.value(i + 1));
        }
    }

    static double work(Params p) {
        double n = p.integer("n");
        return 2 * n * n * n;
    }

    @Override
    public double step() {
        Parallel.quiesce();
        GemmBackend.sgemm(false, false, n, n, n, 1.0f, a.address(), n, b.address(), n, 0.0f, c.address(), n);
        return c.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
    }

    @Override
    public void close() {
        arena.close();
    }
}
