package dev.zerograd.bench.compare;

import dev.zerograd.bench.StepHeap;
import dev.zerograd.bench.workloads.Workload;
import java.util.Arrays;

/**
 * Times a zerograd workload step by step, the way the peer times its own ({@code time.perf_counter_ns} around
 * each step): {@code System.nanoTime} around each {@link Workload#step()}, into a preallocated array, so the
 * timed loop allocates nothing.
 *
 * <p>Recorded steps also count the heap bytes this thread allocates inside the step, with the steps that
 * overlapped a JIT compilation counted apart ({@link StepHeap}, Note [Steps that overlap the JIT]). Both
 * figures are reported.
 */
public final class Sampler {
    private final long[] times;
    private int count;
    private final StepHeap heap = new StepHeap();
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
        while (n < maxSteps && (!record || count < times.length) && (n < minSteps || System.nanoTime() < deadline)) {
            if (record) {
                heap.begin();
            }
            long t0 = System.nanoTime();
            s += w.step();
            long t = System.nanoTime() - t0;
            if (record) {
                heap.end();
                times[count++] = t;
            }
            n++;
        }
        heap.finish();
        sink = s;
        return n;
    }

    /** Steps in a row that must allocate nothing before {@link #warmUp} ends. */
    static final int QUIET_STEPS = 3;

    /**
     * Warm-up: runs unrecorded steps for at least {@code minSteps} and {@code minSeconds}, then on until
     * {@value #QUIET_STEPS} steps in a row allocate nothing on this thread's heap and finish no JIT compilation
     * (the JIT has compiled what the step runs: before C2 does, the step runs slower code and the Vector API's
     * fallback allocates) or {@code maxSeconds} pass. Returns the steps run.
     */
    public int warmUp(Workload w, int minSteps, double minSeconds, double maxSeconds) {
        long start = System.nanoTime();
        long minEnd = start + (long) (minSeconds * 1e9);
        long maxEnd = start + (long) (maxSeconds * 1e9);
        double s = 0;
        int n = 0;
        int quiet = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= maxEnd || n >= minSteps && now >= minEnd && quiet >= QUIET_STEPS) {
                break;
            }
            long before = StepHeap.threadAllocatedBytes();
            long compiled = StepHeap.jitEvents();
            s += w.step();
            quiet = StepHeap.threadAllocatedBytes() == before && StepHeap.jitEvents() == compiled ? quiet + 1 : 0;
            n++;
        }
        sink = s;
        return n;
    }

    /** Heap bytes per recorded step, over the steps that no JIT compilation overlapped (0 when there are none). */
    public long steadyBytesPerStep() {
        return heap.steadyBytesPerStep();
    }

    /** Recorded steps that a JIT compilation overlapped. */
    public long jitSteps() {
        return heap.jitSteps();
    }

    /** Heap bytes allocated in all during the recorded steps that a JIT compilation overlapped. */
    public long jitBytes() {
        return heap.jitBytes();
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
