package dev.zerograd.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Heap bytes the calling thread allocates per step, sorted into steady steps and steps that overlapped a JIT
 * compilation, for {@code ./zerograd train} and the PyTorch comparison.
 *
 * <p>Note [Steps that overlap the JIT]: while C2 installs compiled code the JVM allocates a few hundred bytes
 * to a few KB on the calling thread (a loop of nothing but {@code TensorArena.reset()} shows it under C2, never
 * with -Xint or C1 only). Those bytes are the JVM's, not the step's, so a step counts as overlapping when a
 * JIT compilation finished during it or during the next step (the code is installed before the counter
 * moves, and the step before may already have run it). Finished compilations are counted with the JVM's
 * own counters ({@code sun.ci.totalCompiles} and {@code sun.ci.totalInvalidates} in its perf data, read
 * through {@code jdk.internal.jvmstat} without allocating; the launcher exports that package). Without
 * access to them the total compilation time in ms stands in, and it misses compilations shorter than a
 * ms: a CNN's late C2 compilations of small methods then left 61 B per step in the comparison's steady
 * figure. Overlapping steps are counted and reported apart, not dropped. Deoptimizations move neither
 * counter until the method is recompiled, so their re-materialized objects stay in the steady figure.
 *
 * <p>Use from one thread: {@link #begin()} and {@link #end()} around each step, {@link #finish()} after the
 * last. Allocates nothing per step.
 */
public final class StepHeap {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private final String label;
    private final int trace;
    private int traced;
    private long before;
    private long compiled = jitEvents();
    private long index = -1;
    private boolean pending;
    private long pendingBytes;
    private boolean pendingJit;
    private long steadyBytes;
    private long steadySteps;
    private long allocatingSteps;
    private long jitBytes;
    private long jitSteps;

    /** Counts silently. */
    public StepHeap() {
        this("", 0);
    }

    /** Prints the first {@code trace} allocating steps as "step i of {@code label} allocated n bytes". */
    public StepHeap(String label, int trace) {
        this.label = label;
        this.trace = trace;
    }

    /** Total JIT compilation time so far, in ms; it grows when a compilation finishes. */
    public static long compileMillis() {
        return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : 0;
    }

    /**
     * A number that changes whenever a JIT compilation finishes or compiled code is invalidated: the count of
     * both from the JVM's perf counters when they can be read, else {@link #compileMillis()} (Note [Steps that
     * overlap the JIT]). Allocates nothing.
     */
    public static long jitEvents() {
        if (PerfCounters.COMPILES != null) {
            try {
                return (long) PerfCounters.COMPILES.invokeExact() + (long) PerfCounters.INVALIDATES.invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException("reading the JIT's perf counters failed", e);
            }
        }
        return compileMillis();
    }

    /** Whether {@link #jitEvents()} counts compilations (rather than standing in with compilation ms). */
    public static boolean countsCompilations() {
        return PerfCounters.COMPILES != null;
    }

    /**
     * The JVM's {@code sun.ci.totalCompiles} and {@code sun.ci.totalInvalidates} counters as {@code ()long}
     * handles, or null when the perf data or {@code jdk.internal.jvmstat} is not available (the launcher runs
     * the JVM with {@code --add-exports jdk.internal.jvmstat/sun.jvmstat.monitor=ALL-UNNAMED}).
     */
    private static final class PerfCounters {
        static final java.lang.invoke.MethodHandle COMPILES;
        static final java.lang.invoke.MethodHandle INVALIDATES;

        static {
            java.lang.invoke.MethodHandle compiles = null;
            java.lang.invoke.MethodHandle invalidates = null;
            try {
                Class<?> hostClass = Class.forName("sun.jvmstat.monitor.MonitoredHost");
                Class<?> idClass = Class.forName("sun.jvmstat.monitor.VmIdentifier");
                Class<?> vmClass = Class.forName("sun.jvmstat.monitor.MonitoredVm");
                Class<?> longMonitor = Class.forName("sun.jvmstat.monitor.LongMonitor");
                Object host = hostClass.getMethod("getMonitoredHost", String.class).invoke(null, "local://localhost");
                Object id = idClass.getConstructor(String.class).newInstance(String.valueOf(ProcessHandle.current().pid()));
                Object vm = hostClass.getMethod("getMonitoredVm", idClass).invoke(host, id);
                java.lang.reflect.Method find = vmClass.getMethod("findByName", String.class);
                java.lang.invoke.MethodHandle value = java.lang.invoke.MethodHandles.lookup()
                        .unreflect(longMonitor.getMethod("longValue"));
                Object c = find.invoke(vm, "sun.ci.totalCompiles");
                Object i = find.invoke(vm, "sun.ci.totalInvalidates");
                if (longMonitor.isInstance(c) && longMonitor.isInstance(i)) {
                    compiles = value.bindTo(c).asType(java.lang.invoke.MethodType.methodType(long.class));
                    invalidates = value.bindTo(i).asType(java.lang.invoke.MethodType.methodType(long.class));
                    long unused = (long) compiles.invokeExact() + (long) invalidates.invokeExact();
                }
            } catch (Throwable e) {
                compiles = null; // not exported to this code, no perf data (-XX:-UsePerfData), or not HotSpot
                invalidates = null;
            }
            COMPILES = invalidates == null ? null : compiles;
            INVALIDATES = invalidates;
        }

        private PerfCounters() {}
    }

    private static long allocated() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /** Heap bytes the calling thread has allocated so far. */
    public static long threadAllocatedBytes() {
        return allocated();
    }

    /** Starts a step. */
    public void begin() {
        before = allocated();
    }

    /** Ends the step started by {@link #begin()}; it is sorted once the next step ends or {@link #finish()}. */
    public void end() {
        long bytes = allocated() - before;
        long c = jitEvents();
        boolean jit = c != compiled;
        compiled = c;
        if (pending) {
            settle(pendingJit || jit);
        }
        index++;
        pending = true;
        pendingBytes = bytes;
        pendingJit = jit;
    }

    /** Sorts the last step; call it after the last {@link #end()} before reading the figures. */
    public void finish() {
        if (pending) {
            settle(pendingJit);
            pending = false;
        }
    }

    private void settle(boolean jit) {
        long bytes = pendingBytes;
        if (bytes != 0 && traced < trace) {
            traced++;
            System.out.printf("  step %d of %s allocated %d bytes%s%n", index, label, bytes,
                    jit ? " (a JIT compilation finished during it or the next step)" : "");
        }
        if (jit) {
            jitSteps++;
            jitBytes += bytes;
        } else {
            steadySteps++;
            steadyBytes += bytes;
            if (bytes != 0) {
                allocatingSteps++;
            }
        }
    }

    /** Steps no JIT compilation overlapped. */
    public long steadySteps() {
        return steadySteps;
    }

    /** Heap bytes per steady step (0 when there are none). */
    public long steadyBytesPerStep() {
        return steadySteps == 0 ? 0 : steadyBytes / steadySteps;
    }

    /** Steady steps that allocated anything. */
    public long allocatingSteps() {
        return allocatingSteps;
    }

    /** Steps that a JIT compilation overlapped. */
    public long jitSteps() {
        return jitSteps;
    }

    /** Heap bytes allocated in all during the steps that a JIT compilation overlapped. */
    public long jitBytes() {
        return jitBytes;
    }
}
