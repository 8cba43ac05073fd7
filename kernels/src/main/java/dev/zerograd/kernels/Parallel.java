package dev.zerograd.kernels;

import dev.zerograd.bindings.AsyncSignals;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Intra-op parallelism: one fixed pool of daemon worker threads that splits a range of work into chunks.
 * The calling thread runs chunks too, so {@code threads()} threads work in all. A parallel region allocates
 * nothing: the work is a preallocated {@link RangeTask} whose fields the caller set before the call.
 *
 * <p>Only one region runs at a time. A region started while another runs (a nested call from inside a task,
 * or a second thread) runs inline on its caller, serially, instead of waiting.
 *
 * <p>Note [Thread pools]: zerograd runs two pools on the same cores: these workers and OpenBLAS's own
 * threads inside GEMM calls. They take turns rather than share: a kernel either runs an elementwise region
 * here or calls BLAS from the caller thread, never both at once. After a region the workers spin for
 * {@code zerograd.spinMicros} (default 50 us) so that back-to-back regions start without a wake-up, then
 * park (LockSupport) and use no CPU. A BLAS call first calls {@link #quiesce()}, which ends that spin at once,
 * so a GEMM right after a region has the cores to itself from its start rather than 50 us later (with two
 * cores, a spinning worker would otherwise halve OpenBLAS's second thread for the whole spin). Give OpenBLAS the same thread count as this pool ({@link #threads()}) so that neither pool
 * oversubscribes the machine, and keep both at most the number of physical cores. The thread count comes
 * from {@code -Dzerograd.threads=N} or {@link #setThreads(int)}; the default is
 * {@code Runtime.availableProcessors()}.
 *
 * <p>Note [Region protocol]: the caller publishes a region by writing the task fields, then the cursor
 * (region epoch in the high 32 bits, next chunk index in the low 32), then the volatile {@code epoch}.
 * Everyone claims chunks by CAS on the cursor, which fails once the epoch moved on, so a worker that wakes up
 * late can never run a chunk of a finished region, and the caller never waits for a worker that has not
 * claimed anything. A worker that has claimed a chunk keeps the region open (its chunk is not done), so the
 * task fields it reads cannot change under it. The caller waits until every chunk is done; the worker that
 * finishes the last chunk unparks it, and the caller then closes the region by setting the cursor's chunk
 * index to {@code Integer.MAX_VALUE}. Without the close, a worker that read the cursor of a finished region
 * (index = chunks, all claimed) and then the next region's larger {@code chunks} field, written before the
 * next cursor, passed the bounds test and claimed a chunk with the old cursor, running units of the next
 * region as a chunk of the old one; its completion was counted twice and the caller returned while it
 * still ran (seen with two back-to-back regions of a few microseconds each).
 */
public final class Parallel {
    /** A preallocated piece of work over an index range; {@code run} must not allocate. */
    public interface RangeTask {
        /** Processes the indices {@code [from, to)}. May run on any pool thread, concurrently with other ranges. */
        void run(long from, long to);
    }

    private static final int CHUNKS_PER_THREAD = 4;
    private static final long ALIGN = 64;
    private static final long SPIN_NANOS = Long.getLong("zerograd.spinMicros", 50L) * 1_000L;

    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static volatile Pool pool = new Pool(initialThreads());

    private Parallel() {}

    private static int initialThreads() {
        int n = Integer.getInteger("zerograd.threads", Runtime.getRuntime().availableProcessors());
        if (n < 1) {
            throw new IllegalArgumentException("zerograd.threads=" + n + ": expected at least 1");
        }
        return n;
    }

    /**
     * Whether no region is running now (a hint: another caller may start one right after). A caller that would
     * rather not run a region inline asks first.
     */
    public static boolean idle() {
        return !BUSY.get();
    }

    /** Threads that work in a parallel region, the caller included. */
    public static int threads() {
        return pool.threads;
    }

    /**
     * Replaces the pool with one of {@code n} threads ({@code n = 1}: everything runs on the caller). Waits for
     * a running region to end. Allocates; call it at start-up, not in a training loop.
     */
    public static void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallel.setThreads: " + n + " threads, expected at least 1");
        }
        while (!BUSY.compareAndSet(false, true)) {
            Thread.onSpinWait();
        }
        try {
            Pool old = pool;
            if (old.threads != n) {
                pool = new Pool(n);
                old.shutdown();
            }
        } finally {
            BUSY.set(false);
        }
    }

    /**
     * Runs {@code task} over {@code [0, n)}, split into chunks of at least {@code grain} indices (and multiples
     * of 64 except the last), on the pool. Runs inline when {@code n <= grain}, when the pool has one thread,
     * or when another region is running. Rethrows the first exception a chunk threw, after all chunks ended.
     */
    public static void forRange(long n, long grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        Pool p = pool;
        if (p.threads == 1 || n <= grain || !BUSY.compareAndSet(false, true)) {
            task.run(0, n);
            return;
        }
        try {
            p.region(n, Math.max(grain, 1), task);
        } finally {
            BUSY.set(false);
        }
    }

    /**
     * Tells the workers that the cores are about to be handed to another pool (a BLAS call): workers spinning
     * after the last region park now instead of at the end of their spin (Note [Thread pools]). The next
     * region wakes them as usual. Allocates nothing; costs one volatile read when already quiet.
     */
    public static void quiesce() {
        Pool p = pool;
        if (!p.quiet) {
            p.quiet = true;
        }
    }

    /** The workers and the state of the current region. */
    private static final class Pool {
        final int threads;
        final Worker[] workers;

        // Region fields: written by the caller before the cursor and epoch are published (Note [Region protocol]).
        RangeTask task;
        long total;
        long chunk;
        int chunks;
        Thread waiter;
        volatile Throwable failure;

        final AtomicLong cursor = new AtomicLong();
        final AtomicInteger done = new AtomicInteger();
        volatile int epoch;
        volatile boolean stopped;
        /** Set by {@link #quiesce()}, cleared when a region starts: workers do not spin while it is set. */
        volatile boolean quiet;

        Pool(int threads) {
            this.threads = threads;
            this.workers = new Worker[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker(this, i);
                workers[i].start();
            }
        }

        void shutdown() {
            stopped = true;
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        }

        void region(long n, long grain, RangeTask t) {
            long parts = Math.min(Math.ceilDiv(n, grain), (long) threads * CHUNKS_PER_THREAD);
            long c = Math.ceilDiv(Math.ceilDiv(n, parts), ALIGN) * ALIGN;
            task = t;
            total = n;
            chunk = c;
            chunks = (int) Math.ceilDiv(n, c);
            waiter = Thread.currentThread();
            failure = null;
            done.set(0);
            quiet = false;
            int e = epoch + 1;
            cursor.set((long) e << 32);
            epoch = e;
            for (Worker w : workers) {
                if (w.sleeping) {
                    LockSupport.unpark(w);
                }
            }
            work(e);
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (done.get() < chunks) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            cursor.set(((long) epoch << 32) | Integer.MAX_VALUE); // closed (Note [Region protocol])
            task = null;
            waiter = null;
            Throwable f = failure;
            if (f != null) {
                failure = null;
                if (f instanceof RuntimeException r) {
                    throw r;
                }
                if (f instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("parallel task failed", f);
            }
        }

        /** Claims and runs chunks of region {@code e} until none is left. */
        void work(int e) {
            while (true) {
                long c = cursor.get();
                if ((int) (c >>> 32) != e) {
                    return;
                }
                int idx = (int) c;
                if (idx >= chunks) {
                    return;
                }
                if (!cursor.compareAndSet(c, c + 1)) {
                    continue;
                }
                int all = chunks;
                long from = idx * chunk;
                long to = Math.min(total, from + chunk);
                try {
                    task.run(from, to);
                } catch (Throwable th) {
                    if (failure == null) {
                        failure = th;
                    }
                } finally {
                    if (done.incrementAndGet() == all) {
                        Thread w = waiter;
                        if (w != null) {
                            LockSupport.unpark(w);
                        }
                    }
                }
            }
        }
    }

    private static final class Worker extends Thread {
        private final Pool pool;
        volatile boolean sleeping;

        Worker(Pool pool, int index) {
            super("zerograd-worker-" + index);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            AsyncSignals.prepare(); // its buffer now, not at the first oneDNN call some region hands this worker
            int seen = pool.epoch;
            while (!pool.stopped) {
                int e = pool.epoch;
                if (e != seen) {
                    seen = e;
                    pool.work(e);
                    continue;
                }
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (pool.epoch == seen && !pool.stopped && !pool.quiet && System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                }
                if (pool.epoch == seen && !pool.stopped) {
                    // Publish "asleep" before the last look at the epoch: the caller reads the flag after
                    // bumping the epoch, so either we see the new epoch or it unparks us.
                    sleeping = true;
                    if (pool.epoch == seen && !pool.stopped) {
                        LockSupport.park(this);
                    }
                    sleeping = false;
                }
            }
        }
    }
}
