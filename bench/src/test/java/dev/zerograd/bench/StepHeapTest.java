package dev.zerograd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The JIT counter behind Note [Steps that overlap the JIT]: the test JVM exports jdk.internal.jvmstat as the
 * launcher does, so it counts finished compilations, moves when a new method is compiled, and is read without
 * allocating.
 */
class StepHeapTest {
    private static volatile long sink;

    /** A method only this test calls, so compiling it is a compilation that has not happened yet. */
    private static long work(long x) {
        long s = x;
        for (int i = 0; i < 50; i++) {
            s = s * 31 + i ^ (s >>> 7);
        }
        return s;
    }

    @Test
    void countsFinishedCompilations() throws InterruptedException {
        assertTrue(StepHeap.countsCompilations(), "the perf counters should be readable with the exported package");
        long before = StepHeap.jitEvents();
        long deadline = System.nanoTime() + 20_000_000_000L;
        long x = 0;
        while (StepHeap.jitEvents() == before && System.nanoTime() < deadline) {
            for (int i = 0; i < 100_000; i++) {
                x = work(x);
            }
            Thread.sleep(1);
        }
        sink = x;
        assertTrue(StepHeap.jitEvents() > before, "no compilation was counted while a new method ran hot for 20 s");
    }

    /**
     * Rounds of 100,000 reads until one allocates nothing (the JIT compiling the reads allocates on this
     * thread, see the Note); a read that allocated would make every round allocate megabytes.
     */
    @Test
    void readingTheCounterAllocatesNothing() {
        long s = 0;
        long bytes = -1;
        for (int round = 0; round < 50 && bytes != 0; round++) {
            long before = StepHeap.threadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                s += StepHeap.jitEvents();
            }
            bytes = StepHeap.threadAllocatedBytes() - before;
        }
        sink = s;
        assertEquals(0, bytes, "50 rounds of 100,000 reads of the JIT counter each allocated; the last " + bytes + " bytes");
    }
}
