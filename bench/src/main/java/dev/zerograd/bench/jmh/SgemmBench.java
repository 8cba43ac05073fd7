package dev.zerograd.bench.jmh;

import dev.zerograd.bindings.Cblas;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code C = A B} for square f32 matrices through the {@link Cblas} binding (one FFM downcall per op).
 * GFLOP/s = 2 n^3 / time; the bench command prints it next to JMH's time per op and {@code -prof gc}'s
 * allocation per op (0 B/op: the downcall allocates nothing).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SgemmBench {
    @Param({"64", "256", "1024", "2048"})
    public int n;

    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        long bytes = 4L * n * n;
        a = arena.allocate(bytes, 64);
        b = arena.allocate(bytes, 64);
        c = arena.allocate(bytes, 64);
        for (long i = 0; i < (long) n * n; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 7919) % 1000) / 1000f - 0.5f);
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 104729) % 1000) / 1000f - 0.5f);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void sgemm() {
        Cblas.cblas_sgemm(Cblas.CblasRowMajor, Cblas.CblasNoTrans, Cblas.CblasNoTrans, n, n, n,
                1.0f, a, n, b, n, 0.0f, c, n);
    }

    /** Floating-point operations of one {@link #sgemm()} call. */
    public static double flops(int n) {
        return 2.0 * n * n * n;
    }
}
