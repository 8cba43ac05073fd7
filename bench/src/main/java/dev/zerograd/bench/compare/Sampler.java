package dev.zerograd.bench.compare;

import dev.zerograd.bench.workloads.Workload;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a zerograd workload step by step, the way the peer times its own ({@code time.perf_counter_ns} around
 * each step): {@code System.nanoTime} around each {@link Workload#step()}, into a preallocated array, so the
 * timed loop allocates nothing.
 *
 * <p>Recorded steps also count the heap bytes this thread allocates inside the step. A step during which a JIT
 * compilation finished (the {@link CompilationMXBean}'s total time grew since the previous step) is counted
 * apart: while C2 installs code the JVM allocates a few KB on the calling thread, which is not the workload's
 * allocation (Note [Training warm-up] in the train command). Both figures are reported.
 */
public final class Sampler {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private final long[] times;
    private int count;
    private long steadyBytes;
    private long steadySteps;
    private long jitBytes;
    private long jitSteps;
    /** Keeps step results observable, so no step can be eliminated. */
    private volatile double sink;

    /** Room for {@code capacity} step times. */
    public Sampler(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("Sampler: capacity " + capacity + " must be positive");
        }
        times = new long[capacity];
    }

    /**
     * Runs steps until both {@code minSteps} and {@code minSeconds} are reached, or {@code maxSteps}, or the
     * sampler is full; records each step's time when {@code record}. Returns the steps run.
     */
    public int run(Workload w, int minSteps, double minSeconds, int maxSteps, boolean record) {
        long deadline = System.nanoTime() + (long) (minSeconds * 1e9);
        double s = 0;
        int n = 0;
        long tid = Thread.currentThread().threadId();
        long compiled = compileMillis();
        while (n < maxSteps && (!record || count < times.length) && (n < minSteps || System.nanoTime() < deadline)) {
            long b0 = THREADS.getThreadAllocatedBytes(tid);
            long t0 = System.nanoTime();
            s += w.step();
            long t = System.nanoTime() - t0;
            long bytes = THREADS.getThreadAllocatedBytes(tid) - b0;
            long c = compileMillis();
            if (record) {
                times[count++] = t;
                if (c != compiled) {
                    jitSteps++;
                    jitBytes += bytes;
                } else {
                    steadySteps++;
                    steadyBytes += bytes;
                }
            }
            compiled = c;
            n++;
        }
        sink = s;
        return n;
    }

    /** Heap bytes per recorded step, over the steps that no JIT compilation overlapped (0 when there are none). */
    public long steadyBytesPerStep() {
        return steadySteps == 0 ? 0 : steadyBytes / steadySteps;
    }

    /** Recorded steps that a JIT compilation overlapped. */
    public long jitSteps() {
        return jitSteps;
    }

    /** Heap bytes allocated in all during the recorded steps that a JIT compilation overlapped. */
    public long jitBytes() {
        return jitBytes;
    }

    private static long compileMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
    }

    /** Recorded step times so far, in nanoseconds (allocates a copy). */
    public long[] times() {
        return Arrays.copyOf(times, count);
    }

    /** The median of {@code ns} (the mean of the middle two for even counts), in seconds. */
    public static double medianSeconds(long[] ns) {
        if (ns.length == 0) {
            throw new IllegalArgumentException("Sampler.medianSeconds: no samples");
        }
        long[] s = ns.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        double median = s.length % 2 == 1 ? s[m] : (s[m - 1] + (double) s[m]) / 2;
        return median * 1e-9;
    }
}
