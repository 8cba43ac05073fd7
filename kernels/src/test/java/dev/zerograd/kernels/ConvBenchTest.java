package dev.zerograd.kernels;

import dev.zerograd.bindings.Cblas;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Timings of the conv kernels on the Fashion-MNIST CNN shapes, with workspaces for one GEMM per image (the
 * default), per 16 images and per batch (Note [Batched GEMM] in {@link Conv}), and of the GEMMs alone. Run with
 * {@code -Dzerograd.bench=true}; add {@code -Dzerograd.bench.cpu=true} to measure the calling thread's CPU
 * time with one intra-op thread and one OpenBLAS thread, which a loaded machine disturbs much less than
 * wall time. Prints the best and the median of each.
 */
@EnabledIfSystemProperty(named = "zerograd.bench", matches = "true")
class ConvBenchTest {
    private static final int REPS = 40;
    private static final boolean CPU = Boolean.getBoolean("zerograd.bench.cpu");
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private static String time(Runnable body) {
        for (int i = 0; i < 10; i++) {
            body.run();
        }
        double[] t = new double[REPS];
        for (int i = 0; i < REPS; i++) {
            long t0 = CPU ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
            body.run();
            t[i] = ((CPU ? THREADS.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
        }
        Arrays.sort(t);
        return String.format("%.2f/%.2f", t[0], t[REPS / 2]);
    }

    @Test
    void fashionMnistShapes() {
        int threads = Parallel.threads();
        if (CPU) {
            Parallel.setThreads(1);
            Cblas.openblas_set_num_threads(1);
        }
        int[][] shapes = {{64, 1, 28, 28, 32}, {64, 32, 14, 14, 64}};
        try (TensorArena arena = TensorArena.ofConfined(256L << 20)) {
            System.out.printf("%s, %d intra-op thread(s), OpenBLAS %d thread(s); ms best/median%n", CPU ? "thread CPU time"
                    : "wall time", Parallel.threads(), Cblas.openblas_get_num_threads());
            for (int[] s : shapes) {
                int n = s[0], cin = s[1], h = s[2], w = s[3], cout = s[4];
                DType dt = DType.F32;
                Tensor x = arena.rand(dt, new long[] {n, cin, h, w}, 1), wt = arena.rand(dt, new long[] {cout, cin, 3, 3}, 2);
                Tensor b = arena.rand(dt, new long[] {cout}, 3), y = arena.empty(dt, n, cout, h, w);
                Tensor gy = arena.rand(dt, new long[] {n, cout, h, w}, 4);
                Tensor dx = arena.empty(dt, n, cin, h, w), dw = arena.empty(dt, cout, cin, 3, 3), db = arena.empty(dt, cout);
                for (long images : new long[] {1, 16, n}) {
                    Tensor ws = arena.empty(dt, Conv.workspaceElements(x, wt, 1, 1, 1, 1, 1, 1, 1, images));
                    System.out.printf("x[%d,%d,%d,%d] w[%d,%d,3,3], chunks of %d image(s): forward %s, backward input %s,"
                                    + " backward weight %s, bias %s%n", n, cin, h, w, cout, cin, images,
                            time(() -> Conv.conv2d(x, wt, b, 1, 1, 1, 1, 1, 1, 1, ws, y)),
                            time(() -> Conv.conv2dBackwardInput(gy, wt, 1, 1, 1, 1, 1, 1, 1, ws, dx)),
                            time(() -> Conv.conv2dBackwardWeight(gy, x, 1, 1, 1, 1, 1, 1, 1, ws, dw)),
                            time(() -> Conv.conv2dBackwardBias(gy, db)));
                }
                // The forward GEMMs alone: one [Cout, K] @ [K, N P] against N of [Cout, K] @ [K, P].
                long k = cin * 9L, p = (long) h * w;
                Tensor cols = arena.rand(dt, new long[] {n, k, p}, 5), out = arena.empty(dt, n, cout, p);
                Tensor wm = wt.reshape(cout, k), bigCols = arena.rand(dt, new long[] {k, n * p}, 6);
                Tensor bigOut = arena.empty(dt, cout, n * p);
                Tensor[] cv = new Tensor[n], ov = new Tensor[n];
                for (int i = 0; i < n; i++) {
                    cv[i] = cols.slice(0, i, i + 1).reshape(k, p);
                    ov[i] = out.slice(0, i, i + 1).reshape(cout, p);
                }
                System.out.printf("  forward GEMMs alone: one for the batch %s, one per image %s%n",
                        time(() -> MatMul.gemm(wm, false, bigCols, false, 1, 0, bigOut)),
                        time(() -> {
                            for (int i = 0; i < n; i++) {
                                MatMul.gemm(wm, false, cv[i], false, 1, 0, ov[i]);
                            }
                        }));
                arena.reset();
            }
        } finally {
            if (CPU) {
                Parallel.setThreads(threads);
                Cblas.openblas_set_num_threads(threads);
            }
        }
    }
}
