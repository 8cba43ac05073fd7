package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @AfterAll
    static void restore() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void everyIndexExactlyOnceForAnyThreadCount() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            Parallel.setThreads(threads);
            assertEquals(threads, Parallel.threads());
            for (long n : new long[] {0, 1, 63, 64, 1000, 100_003}) {
                for (long grain : new long[] {1, 64, 5000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray((int) n);
                    Parallel.forRange(n, grain, (from, to) -> {
                        assertTrue(from < to, "empty chunk");
                        for (long i = from; i < to; i++) {
                            hits.incrementAndGet((int) i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits.get(i), "index " + i + " of " + n + ", grain " + grain + ", threads " + threads);
                    }
                }
            }
        }
    }

    /**
     * Back-to-back short regions, the second with more chunks than the first: no chunk may still run, or run
     * twice, once forRange has returned (Note [Region protocol]: a late worker once claimed a chunk of the next
     * region through the finished region's cursor).
     */
    @Test
    void noChunkRunsAfterItsRegionReturned() {
        Parallel.setThreads(2);
        java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
        AtomicLong indices = new AtomicLong();
        Parallel.RangeTask task = (from, to) -> {
            active.incrementAndGet();
            long spin = System.nanoTime() + 2_000;
            while (System.nanoTime() < spin) {
                Thread.onSpinWait();
            }
            indices.addAndGet(to - from);
            active.decrementAndGet();
        };
        for (int i = 0; i < 20_000; i++) {
            long n = i % 2 == 0 ? 128 : 512;
            indices.set(0);
            Parallel.forRange(n, 64, task);
            assertEquals(0, active.get(), "a chunk still ran after region " + i + " returned");
            assertEquals(n, indices.get(), "indices run by region " + i);
        }
    }

    /**
     * A worker parked by {@link Parallel#quiesce()} must be woken by the next region. On a shared 2-core machine the
     * woken worker can still be off-CPU for the whole of one region (the JIT's and the GC's threads, other
     * processes), so each round tries the same sequence up to {@value #ATTEMPTS} times: a worker that stays parked
     * for good fails every attempt.
     */
    @Test
    void workersQuiescedForABlasCallStillJoinTheNextRegion() throws InterruptedException {
        Parallel.setThreads(2);
        Thread caller = Thread.currentThread();
        for (int round = 0; round < 10; round++) {
            long onWorker = 0;
            int attempt = 0;
            while (onWorker == 0 && attempt++ < ATTEMPTS) {
                Parallel.forRange(4096, 64, (from, to) -> { });
                Parallel.quiesce();                       // as MatMul does before a GEMM
                Thread.sleep(round % 2);                  // the worker parks, or is still spinning, when the region starts
                AtomicIntegerArray hits = new AtomicIntegerArray(8 * 64);
                AtomicLong workerChunks = new AtomicLong();
                Parallel.forRange(8 * 64, 64, (from, to) -> {
                    if (Thread.currentThread() != caller) {
                        workerChunks.incrementAndGet();
                    }
                    for (long i = from; i < to; i++) {
                        hits.incrementAndGet((int) i);
                    }
                    LockSupport.parkNanos(2_000_000);     // long chunks: a woken worker that gets a core claims one
                });
                for (int i = 0; i < 8 * 64; i++) {
                    assertEquals(1, hits.get(i), "index " + i + ", round " + round + ", attempt " + attempt);
                }
                onWorker = workerChunks.get();
            }
            assertTrue(onWorker > 0, "round " + round + ": no chunk ran on the worker after quiesce() in " + ATTEMPTS + " attempts");
        }
    }

    private static final int ATTEMPTS = 25;

    @Test
    void nestedRegionsRunInline() {
        Parallel.setThreads(3);
        AtomicLong sum = new AtomicLong();
        Parallel.forRange(10_000, 100, (from, to) -> Parallel.forRange(to - from, 1, (f, t) -> sum.addAndGet(t - f)));
        assertEquals(10_000, sum.get());
    }

    @Test
    void anExceptionInAChunkReachesTheCaller() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(100_000, 64, (from, to) -> {
            if (from <= 50_000 && 50_000 < to) {
                throw new IllegalStateException("chunk failed");
            }
        }));
        assertEquals("chunk failed", e.getMessage());
        AtomicLong sum = new AtomicLong();
        Parallel.forRange(100_000, 64, (from, to) -> sum.addAndGet(to - from));
        assertEquals(100_000, sum.get(), "the pool still works after a failure");
    }

    @Test
    void concurrentCallersDoNotInterfere() throws InterruptedException {
        Parallel.setThreads(2);
        AtomicLong total = new AtomicLong();
        Thread[] callers = new Thread[3];
        for (int c = 0; c < callers.length; c++) {
            callers[c] = new Thread(() -> {
                for (int r = 0; r < 200; r++) {
                    Parallel.forRange(10_000, 64, (from, to) -> total.addAndGet(to - from));
                }
            });
            callers[c].start();
        }
        for (Thread t : callers) {
            t.join();
        }
        assertEquals(3L * 200 * 10_000, total.get());
    }

    @Test
    void badThreadCount() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }
}
