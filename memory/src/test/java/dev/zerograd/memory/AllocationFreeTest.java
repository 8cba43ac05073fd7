package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The zero-GC contract for the memory module: after warm-up, a step that allocates, fills, views and
 * frees tensors allocates 0 heap bytes.
 *
 * <p>Measured with {@code ThreadMXBean.getThreadAllocatedBytes} over several rounds, asserting on the
 * quietest round: the counter is per thread but the JIT may still be installing or deoptimising code
 * during one round, and a rare safepoint or profiling event (or the MXBean call itself, on some JVMs)
 * can be charged to the thread. A steady allocation on the measured path shows up in every round,
 * so min-of-rounds still fails for it, while a one-off blip does not. Nothing on the measured path may
 * rely on escape analysis: the test also passes with {@code -XX:TieredStopAtLevel=1} (C1 only).
 */
class AllocationFreeTest {
    private static final int WARMUP = 20_000;
    private static final int ITERATIONS = 10_000;
    private static final int ROUNDS = 5;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /** Shapes kept in preallocated arrays, as a training step keeps them. */
    private static final long[][] SHAPES = {
            {4}, {3, 5}, {2, 3, 4}, {1}, {7, 1}, {2, 2, 2, 2}, {16}, {5, 5}, {3, 1, 3}, {0, 4},
    };
    private static final DType[] DTYPES = {DType.F32, DType.F64, DType.F16, DType.BF16, DType.I32, DType.I64};

    private static final long[] BIG = {64, 64};
    private static final long[] SCRATCH = {3, 2, 2, 0, 0, 0, 0, 0};

    private final long[] viewShape = new long[Tensor.MAX_RANK];
    private final long[] viewStrides = new long[Tensor.MAX_RANK];
    private final int[] perm = {1, 0};
    private final long[] reshapeTarget = {-1};
    private final long[] expandTarget = {4, 3, 5};

    /** One step: 20 tensors of various shapes and dtypes, fills, element access, views, a mark, a reset. */
    private double step(TensorArena arena) {
        double sum = 0;
        for (int i = 0; i < SHAPES.length; i++) {
            long[] shape = SHAPES[i];
            Tensor t = arena.empty(DTYPES[i % DTYPES.length], shape, shape.length);
            t.fill(i + 0.5);
            if (t.numel() > 0) {
                t.setDoubleFlat(t.numel() - 1, 2.0);
                sum += t.getDoubleFlat(0);
            }
            Tensor z = arena.zerosLike(t);
            Tensor e = arena.emptyLike(t, DType.F64);
            e.fill(0.0);
            sum += z.numel() + e.numel();
        }
        Tensor big = arena.zeros(DType.F32, BIG); // the memset path, beyond any small-size special case
        Tensor bigger = arena.zerosLike(big);
        sum += big.getDouble(63, 63) + bigger.numel();
        Tensor scratch = arena.full(DType.F32, 2.0, SCRATCH, 2); // the first 2 sizes of a rank-8 scratch array
        Tensor cleared = arena.zeros(DType.I32, SCRATCH, 3);
        sum += scratch.getDouble(2, 1) + cleared.numel();
        Tensor m = arena.zeros(DType.F32, SHAPES[1]);
        m.setDouble(2, 4, 3.0);
        sum += m.getDouble(2, 4) + m.getFloat(0, 0);
        Tensor s = arena.scalar(DType.F64, 1.25);
        sum += s.item() + s.getDouble();

        long mark = arena.mark();
        Views.permute(m, perm, viewShape, viewStrides);
        Tensor mt = arena.view(m, 2, viewShape, viewStrides, 0);
        sum += mt.getDouble(4, 2) + mt.getDoubleFlat(3);
        Views.inferShape("reshape", m, reshapeTarget, 1, viewShape);
        Shapes.contiguousStrides(viewShape, 1, viewStrides);
        Tensor flat = arena.view(m, 1, viewShape, viewStrides, 0);
        sum += flat.getDouble(14);
        m.stridesInto(viewStrides);
        m.shapeInto(viewShape);
        long off = Views.slice(m, 1, 1, 5, 2, viewShape, viewStrides);
        Tensor sl = arena.view(m, 2, viewShape, viewStrides, off);
        sum += sl.getDouble(2, 1);
        Views.expand(m, expandTarget, 3, viewShape, viewStrides);
        Tensor ex = arena.view(m, 3, viewShape, viewStrides, 0);
        sum += ex.getDouble(3, 2, 4);
        arena.reset(mark);

        sum += arena.bytesInUse() + arena.generation();
        arena.reset();
        return sum;
    }

    private void assertAllocationFree(TensorArena arena) {
        double sink = 0;
        for (int i = 0; i < WARMUP; i++) {
            sink += step(arena);
        }
        long best = Long.MAX_VALUE;
        long[] rounds = new long[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long before = allocatedBytes();
            for (int i = 0; i < ITERATIONS; i++) {
                sink += step(arena);
            }
            rounds[r] = allocatedBytes() - before;
            best = Math.min(best, rounds[r]);
        }
        assertTrue(sink != 0);
        assertEquals(0, arena.handlePoolGrowths(), "handle pool grew: it should hold a step's handles from the start");
        assertEquals(0.0, (double) best / ITERATIONS,
                "heap bytes per step in the quietest round; all rounds: " + java.util.Arrays.toString(rounds));
    }

    @Test
    void confinedArenaStepAllocatesNothing() {
        try (TensorArena arena = TensorArena.ofConfined("step", 1 << 20)) {
            assertAllocationFree(arena);
        }
    }

    @Test
    void sharedArenaStepAllocatesNothing() {
        try (TensorArena arena = TensorArena.ofShared("shared-step", 1 << 20)) {
            assertAllocationFree(arena);
        }
    }

    @Test
    void counterSeesAnAllocation() {
        // The measurement itself must be able to fail: a step that builds a String is not allocation-free.
        long before = allocatedBytes();
        String s = "";
        for (int i = 0; i < 100; i++) {
            s = s + i;
        }
        assertTrue(allocatedBytes() - before > 0, s);
    }
}
