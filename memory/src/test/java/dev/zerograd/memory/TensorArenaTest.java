package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.IdentityHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Bump allocation, alignment, reset and marks, statistics, exhaustion, bad shapes and thread confinement. */
class TensorArenaTest {

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected \"" + part + "\" in: " + message);
        }
    }

    private static long rounded(long bytes) {
        return (bytes + 63) / 64 * 64;
    }

    @Test
    void everyAllocationIs64ByteAligned() {
        try (TensorArena arena = TensorArena.ofConfined("align", 1 << 20)) {
            long[][] shapes = {{1}, {3}, {7, 5}, {2, 3, 5}, {0}, {17}, {1, 1, 1}, {}};
            long expectedTop = 0;
            for (DType dtype : DType.values()) {
                for (long[] shape : shapes) {
                    Tensor t = arena.empty(dtype, shape);
                    assertEquals(0, t.byteOffset() % TensorArena.ALIGNMENT, () -> t.describe() + " at " + t.byteOffset());
                    assertEquals(0, (t.segment().address() + t.byteOffset()) % TensorArena.ALIGNMENT, t::describe);
                    assertEquals(expectedTop, t.byteOffset(), "bump allocation is sequential");
                    expectedTop += rounded(t.byteSize());
                    assertEquals(expectedTop, arena.bytesInUse());
                }
            }
        }
    }

    @Test
    void statisticsTrackUsePeakCapacityAndCount() {
        try (TensorArena arena = TensorArena.ofConfined("stats", 4096)) {
            assertEquals(4096, arena.capacity());
            assertEquals(0, arena.bytesInUse());
            assertEquals(0, arena.peakBytes());
            assertEquals(0, arena.allocationCount());
            arena.empty(DType.F32, 3);        // 12 bytes -> 64
            arena.empty(DType.F64, 10);       // 80 bytes -> 128
            arena.zeros(DType.I64, 2, 8);     // 128 bytes
            assertEquals(64 + 128 + 128, arena.bytesInUse());
            assertEquals(320, arena.peakBytes());
            assertEquals(3, arena.allocationCount());
            assertEquals(3, arena.handlesInUse());

            arena.reset();
            assertEquals(0, arena.bytesInUse());
            assertEquals(320, arena.peakBytes(), "reset keeps the peak");
            assertEquals(3, arena.allocationCount(), "the count is never reset");
            assertEquals(0, arena.handlesInUse());

            arena.empty(DType.F32, 16);
            assertEquals(64, arena.bytesInUse());
            assertEquals(320, arena.peakBytes());
            arena.resetPeak();
            assertEquals(64, arena.peakBytes());
            assertEquals(4, arena.allocationCount());
        }
    }

    @Test
    void resetFreesEverythingAndReusesTheSlabFromTheStart() {
        try (TensorArena arena = TensorArena.ofConfined("reset", 1 << 20)) {
            for (int i = 0; i < 1000; i++) {
                arena.empty(DType.F32, 100);
            }
            assertEquals(1000 * 448, arena.bytesInUse());
            int generation = arena.generation();
            arena.reset();
            assertEquals(0, arena.bytesInUse());
            assertEquals(generation + 1, arena.generation());
            Tensor t = arena.full(DType.F32, 3.0, 4);
            assertEquals(0, t.byteOffset(), "the first tensor after reset starts at the slab's start");
            assertEquals(3.0, t.getDouble(3));
        }
    }

    @Test
    void resetToMarkFreesOnlyWhatCameAfterIt() {
        try (TensorArena arena = TensorArena.ofConfined("marks", 1 << 16)) {
            Tensor a = arena.full(DType.F32, 1.0, 10);
            long m1 = arena.mark();
            Tensor b = arena.full(DType.F32, 2.0, 10);
            long m2 = arena.mark();
            Tensor c = arena.full(DType.F32, 3.0, 100);
            assertEquals(64 + 64 + 448, arena.bytesInUse());

            arena.reset(m2);
            assertEquals(128, arena.bytesInUse());
            assertTrue(a.isValid());
            assertTrue(b.isValid());
            assertFalse(c.isValid());
            assertEquals(2, arena.handlesInUse());

            Tensor c2 = arena.full(DType.F32, 4.0, 10);
            assertEquals(128, c2.byteOffset(), "memory after the mark is reused");

            arena.reset(m1);
            assertEquals(64, arena.bytesInUse());
            assertTrue(a.isValid());
            assertFalse(b.isValid());
            assertEquals(1.0, a.getDouble(9), "what came before the mark is untouched");

            arena.reset(m1); // resetting to the same mark twice is harmless
            assertEquals(64, arena.bytesInUse());
        }
    }

    @Test
    void markAheadOfTheArenaIsRejected() {
        try (TensorArena arena = TensorArena.ofConfined("ahead", 1 << 16)) {
            long m0 = arena.mark();
            arena.empty(DType.F32, 10);
            long m1 = arena.mark();
            arena.reset(m0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arena.reset(m1));
            assertContains(e.getMessage(), "'ahead'", "mark (64 bytes, 1 handles) is ahead of the arena (0 bytes, 0 handles)");
        }
    }

    @Test
    void markFromBeforeAFullResetIsRejected() {
        try (TensorArena arena = TensorArena.ofConfined("old-mark", 1 << 16)) {
            arena.empty(DType.F32, 10);
            long mark = arena.mark();
            arena.reset();
            // Lay out the new generation differently: one big tensor that the old mark would cut in half.
            Tensor big = arena.empty(DType.F32, 1000);
            arena.empty(DType.F32, 10);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arena.reset(mark));
            assertContains(e.getMessage(), "'old-mark'", "generation 0", "generation 1", "full reset()");
            assertTrue(big.isValid());
            assertEquals(4032 + 64, arena.bytesInUse(), "a rejected mark frees nothing");
        }
    }

    @Test
    void exhaustionReportsRequestedAvailableAndCapacityAndLeavesTheArenaUsable() {
        try (TensorArena arena = TensorArena.ofConfined("small", 1024)) {
            Tensor a = arena.full(DType.F32, 7.0, 200); // 800 bytes -> 832
            ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class, () -> arena.empty(DType.F32, 10, 10));
            assertEquals(400, e.requested());
            assertEquals(192, e.available());
            assertEquals(1024, e.capacity());
            assertContains(e.getMessage(), "'small'", "f32[10, 10]", "requested 400 bytes", "448 with 64-byte alignment",
                    "available 192 bytes", "capacity 1024 bytes");
            assertEquals(832, arena.bytesInUse(), "a failed allocation takes nothing");
            assertEquals(1, arena.allocationCount());

            Tensor b = arena.full(DType.F32, 1.0, 48); // exactly the 192 bytes left
            assertEquals(1024, arena.bytesInUse());
            assertEquals(7.0, a.getDouble(199));
            assertEquals(1.0, b.getDouble(47));
            assertThrows(ArenaExhaustedException.class, () -> arena.empty(DType.I32, 1));
            arena.reset();
            assertEquals(0, arena.full(DType.F64, 2.0, 128).byteOffset(), "usable after reset");
        }
    }

    @Test
    void aRequestNearLongMaxIsExhaustionNotOverflow() {
        try (TensorArena arena = TensorArena.ofConfined("huge", 1024)) {
            ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class,
                    () -> arena.empty(DType.I64, Long.MAX_VALUE / 8));
            assertEquals(Long.MAX_VALUE / 8 * 8, e.requested());
            assertEquals(0, arena.bytesInUse());
        }
    }

    @Test
    void badCapacitiesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorArena.ofConfined("zero", 0));
        assertContains(e.getMessage(), "'zero'", "got 0 bytes");
        assertThrows(IllegalArgumentException.class, () -> TensorArena.ofShared(-5));
        assertThrows(IllegalArgumentException.class, () -> TensorArena.ofConfined(TensorArena.MAX_CAPACITY + 1));
    }

    @Test
    void badShapesAreRejectedNamingTheShape() {
        try (TensorArena arena = TensorArena.ofConfined("shapes", 1 << 16)) {
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> arena.empty(DType.F32, 2, -3));
            assertContains(neg.getMessage(), "[2, -3]", "negative size -3 at dim 1");

            IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                    () -> arena.zeros(DType.F32, 1, 1, 1, 1, 1, 1, 1, 1, 1));
            assertContains(rank.getMessage(), "rank 9", "[1, 1, 1, 1, 1, 1, 1, 1, 1]", "0..8");

            IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
                    () -> arena.empty(DType.F32, 1L << 32, 1L << 32));
            assertContains(overflow.getMessage(), "[4294967296, 4294967296]", "Long.MAX_VALUE");
            IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class,
                    () -> arena.empty(DType.F64, 1L << 61));
            assertContains(bytes.getMessage(), "[2305843009213693952]", "bytes");

            IllegalArgumentException shortShape = assertThrows(IllegalArgumentException.class,
                    () -> arena.empty(DType.F32, new long[] {2, 3}, 3));
            assertContains(shortShape.getMessage(), "rank 3", "[2, 3]");

            IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                    () -> arena.fromArray(new float[] {1, 2, 3, 4, 5}, 2, 3));
            assertContains(mismatch.getMessage(), "fromArray(float[])", "5 values", "[2, 3]", "6 elements");
            assertThrows(IllegalArgumentException.class, () -> arena.fromArray(DType.F16, new double[] {1}, 2));

            assertEquals(0, arena.bytesInUse(), "rejected shapes allocate nothing");
            assertEquals(0, arena.handlesInUse());
        }
    }

    @Test
    void zeroSizedTensorsAreFine() {
        try (TensorArena arena = TensorArena.ofConfined("empty", 1024)) {
            Tensor t = arena.zeros(DType.F32, 3, 0, 2);
            assertEquals(0, t.numel());
            assertEquals(0, t.toFloatArray().length);
            assertEquals(0, arena.bytesInUse());
            t.fill(2.0);
            assertThrows(IllegalStateException.class, t::item);
        }
    }

    @Test
    void confinedArenaRejectsOtherThreadsButWorkersMayTouchTheBytes() throws Exception {
        try (TensorArena arena = TensorArena.ofConfined("mine", 1 << 16)) {
            Tensor t = arena.zeros(DType.F32, 4);
            long mark = arena.mark();
            String ownerName = Thread.currentThread().getName();
            AtomicReference<Throwable> allocate = new AtomicReference<>();
            AtomicReference<Throwable> reset = new AtomicReference<>();
            AtomicReference<Throwable> resetMark = new AtomicReference<>();
            AtomicReference<Throwable> view = new AtomicReference<>();
            AtomicReference<Throwable> close = new AtomicReference<>();
            AtomicReference<Throwable> data = new AtomicReference<>();
            Thread worker = new Thread(() -> {
                allocate.set(catching(() -> arena.empty(DType.F32, 4)));
                reset.set(catching(arena::reset));
                resetMark.set(catching(() -> arena.reset(mark)));
                view.set(catching(() -> t.reshape(2, 2)));
                close.set(catching(arena::close));
                data.set(catching(() -> t.setDouble(2, 5.0)));
            }, "intruder");
            worker.start();
            worker.join();
            for (Throwable e : new Throwable[] {allocate.get(), reset.get(), resetMark.get(), view.get(), close.get()}) {
                assertTrue(e instanceof IllegalStateException, String.valueOf(e));
                assertContains(e.getMessage(), "'mine'", "confined to thread '" + ownerName + "'", "from thread 'intruder'");
            }
            assertContains(allocate.get().getMessage(), "allocate");
            assertContains(reset.get().getMessage(), "reset was called");
            assertContains(close.get().getMessage(), "close");
            assertEquals(null, data.get(), "workers may read and write tensor bytes");
            assertEquals(5.0, t.getDouble(2));
            assertFalse(arena.isClosed());
            assertEquals(64, arena.bytesInUse());
        }
    }

    private static Throwable catching(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    @Test
    void sharedArenaGivesNonOverlappingAllocationsToConcurrentThreads() throws Exception {
        final int perThread = 20_000;
        final int threads = 2;
        final int rounds = 5;
        try (TensorArena arena = TensorArena.ofShared("together", 64L * perThread * threads)) {
            assertTrue(arena.isShared());
            for (int round = 0; round < rounds; round++) {
                Tensor[][] made = new Tensor[threads][perThread];
                CyclicBarrier start = new CyclicBarrier(threads);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread[] ts = new Thread[threads];
                for (int k = 0; k < threads; k++) {
                    final int id = k;
                    ts[k] = new Thread(() -> {
                        try {
                            long[] shape = new long[1];
                            start.await();
                            // Tight loops, so that the two threads really race inside the allocator.
                            for (int i = 0; i < perThread; i++) {
                                shape[0] = 1 + (i + id) % 8;
                                made[id][i] = arena.empty(DType.I64, shape, 1);
                            }
                            for (int i = 0; i < perThread; i += 2) {
                                Tensor t = made[id][i];
                                made[id][i] = arena.view(t, 1, t.shape(), t.strides(), 0);
                            }
                            for (int i = 0; i < perThread; i++) {
                                made[id][i].fill(id * 1_000_000 + i);
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    ts[k].start();
                }
                for (Thread t : ts) {
                    t.join();
                }
                assertEquals(null, failure.get());

                IdentityHashMap<Tensor, Boolean> handles = new IdentityHashMap<>();
                long[] starts = new long[threads * perThread];
                long[] ends = new long[threads * perThread];
                long expectedBytes = 0;
                int n = 0;
                for (int k = 0; k < threads; k++) {
                    for (int i = 0; i < perThread; i++) {
                        Tensor t = made[k][i];
                        assertTrue(handles.put(t, Boolean.TRUE) == null, "a handle was given to two tensors");
                        assertEquals(1 + (i + k) % 8, t.numel(), "geometry of another thread's tensor");
                        for (long j = 0; j < t.numel(); j++) {
                            assertEquals(k * 1_000_000 + i, t.getDouble(j), "bytes overwritten by another thread");
                        }
                        starts[n] = t.byteOffset();
                        ends[n++] = t.byteOffset() + t.byteSize();
                        expectedBytes += rounded(t.byteSize());
                    }
                }
                java.util.Arrays.sort(starts);
                java.util.Arrays.sort(ends);
                for (int i = 1; i < n; i++) {
                    assertTrue(ends[i - 1] <= starts[i], "overlapping allocations");
                }
                assertEquals(expectedBytes, arena.bytesInUse());
                assertEquals(threads * perThread * 3 / 2, arena.handlesInUse());
                arena.reset();
            }
            assertEquals((long) rounds * threads * perThread, arena.allocationCount());
        }
    }

    @Test
    void sharedArenaMayBeResetAndClosedFromAnotherThread() throws Exception {
        TensorArena arena = TensorArena.ofShared("roaming", 1 << 16);
        Tensor t = arena.zeros(DType.F32, 8);
        Thread other = new Thread(() -> {
            arena.reset();
            arena.zeros(DType.F32, 8);
            arena.close();
        });
        other.start();
        other.join();
        assertTrue(arena.isClosed());
        assertFalse(t.isValid());
    }

    @Test
    void closeIsIdempotentAndEverythingAfterItFailsClearly() {
        TensorArena arena = TensorArena.ofConfined("done", 1024);
        arena.zeros(DType.F32, 4);
        arena.close();
        arena.close();
        assertTrue(arena.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> arena.empty(DType.F32, 4));
        assertContains(e.getMessage(), "'done'", "closed");
        assertThrows(IllegalStateException.class, arena::reset);
        assertThrows(IllegalStateException.class, arena::mark);
        assertThrows(IllegalStateException.class, () -> arena.scalar(DType.F64, 1));
        assertContains(arena.toString(), "'done'", "closed");
    }

    @Test
    void checkedArenaNeverReusesAHandle() {
        try (TensorArena arena = TensorArena.checked("checked", 1 << 16)) {
            Tensor a = arena.zeros(DType.F32, 4);
            arena.reset();
            Tensor b = arena.zeros(DType.F32, 4);
            arena.reset();
            Tensor c = arena.zeros(DType.F32, 4);
            assertNotSame(a, c);
            assertNotSame(b, c);
            assertFalse(a.isValid());
            assertTrue(c.isValid());
        }
    }

    @Test
    void recyclingArenaReusesHandlesEveryOtherGeneration() {
        try (TensorArena arena = TensorArena.ofConfined("pooled", 1 << 16)) {
            Tensor a = arena.zeros(DType.F32, 4);
            arena.reset();
            Tensor b = arena.zeros(DType.F32, 4);
            assertNotSame(a, b, "the previous generation's handles are not reused, so they stay detectably stale");
            arena.reset();
            Tensor c = arena.zeros(DType.F32, 4);
            assertTrue(a == c, "two generations back the pool is recycled");
            assertEquals(0, arena.handlePoolGrowths());
            for (int i = 0; i < 300; i++) {
                arena.scalar(DType.F32, i);
            }
            assertEquals(1, arena.handlePoolGrowths());
        }
    }

    @Test
    void integerTensorsCannotRequireGrad() {
        try (TensorArena arena = TensorArena.ofConfined("grad", 1024)) {
            Tensor i = arena.zeros(DType.I32, 2, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, i::requiresGrad);
            assertContains(e.getMessage(), "requiresGrad", "i32[2, 2]", "only floating-point");
            assertFalse(i.needsGrad());
            assertEquals(i, i.requiresGrad(false));

            Tensor w = arena.zeros(DType.BF16, 3).requiresGrad();
            assertTrue(w.needsGrad());
            assertEquals(null, w.grad());
            Tensor g = arena.zerosLike(w);
            w.setGrad(g);
            Object tape = new Object();
            w.setAutograd(tape, 7);
            w.setTangent(g);
            assertTrue(w.tangent() == g);
            assertTrue(w.grad() == g);
            assertTrue(w.autogradOwner() == tape);
            assertEquals(7, w.autogradSlot());

            arena.reset();
            arena.reset();
            arena.zeros(DType.F32, 3);
            Tensor recycled = arena.zeros(DType.F32, 3);
            assertTrue(recycled == w, "two resets later the pool hands out w's handle again");
            assertFalse(recycled.needsGrad(), "a recycled handle starts without autograd state");
            assertEquals(null, recycled.grad());
            assertEquals(null, recycled.autogradOwner());
            assertEquals(-1, recycled.autogradSlot());
            assertEquals(null, recycled.tangent());
        }
    }
}
