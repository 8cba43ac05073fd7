package dev.zerograd.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Mini-batches: coverage, order, pairing of inputs and targets, partial and dropped batches, zero allocation. */
class BatchLoaderTest {
    private TensorArena data;
    private TensorArena step;

    @BeforeEach
    void open() {
        data = TensorArena.ofConfined("data", 1 << 20);
        step = TensorArena.ofConfined("step", 1 << 20);
    }

    @AfterEach
    void close() {
        step.close();
        data.close();
    }

    /** x[i] = {i, i + 0.25, ..., } of shape [n, 2, 3]; y[i] = i. */
    private Dataset dataset(int n) {
        Tensor x = data.empty(DType.F32, n, 2, 3);
        Tensor y = data.empty(DType.I64, n);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 6; k++) {
                x.setDoubleFlat(6L * i + k, i + k * 0.25);
            }
            y.setDouble(i, i);
        }
        return new Dataset("toy", x, y, Math.max(n, 1));
    }

    /** Checks that the batch's x rows belong to its y labels, and returns the labels. */
    private static List<Integer> rowsOf(Batch b) {
        List<Integer> ids = new ArrayList<>();
        assertEquals(b.size(), b.x().size(0));
        assertEquals(b.size(), b.y().size(0));
        for (int r = 0; r < b.size(); r++) {
            int id = (int) b.y().getDouble(r);
            for (int k = 0; k < 6; k++) {
                assertEquals(id + k * 0.25, b.x().getDoubleFlat(6L * r + k), 0.0, "row " + r + " of " + b);
            }
            ids.add(id);
        }
        return ids;
    }

    @Test
    void sequentialBatchesKeepTheOrderAndEndWithAPartialBatch() {
        BatchLoader loader = new BatchLoader(dataset(10), BatchLoader.Options.sequential(4));
        assertEquals(3, loader.batches());
        assertEquals(4, loader.batchRows(0));
        assertEquals(2, loader.batchRows(2));
        Batch b = new Batch();
        List<Integer> all = new ArrayList<>();
        int count = 0;
        while (true) {
            step.reset();
            if (!loader.next(step, b)) {
                break;
            }
            assertEquals(count, b.index());
            assertEquals(0, b.epoch());
            assertArrayEquals(new long[] {b.size(), 2, 3}, b.x().shape());
            assertArrayEquals(new long[] {b.size()}, b.y().shape());
            all.addAll(rowsOf(b));
            count++;
        }
        assertEquals(3, count);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), all);
        assertEquals(2, b.size(), "the last batch holds the remainder");
        assertFalse(loader.next(step, b), "stays exhausted until the next epoch");
    }

    @Test
    void dropLastLeavesOutThePartialBatch() {
        BatchLoader loader = new BatchLoader(dataset(10), BatchLoader.Options.shuffled(4, 3).withDropLast(true));
        assertEquals(2, loader.batches());
        Batch b = new Batch();
        int rows = 0;
        while (loader.next(step, b)) {
            assertEquals(4, b.size());
            rows += rowsOf(b).size();
        }
        assertEquals(8, rows);
        BatchLoader exact = new BatchLoader(dataset(8), BatchLoader.Options.sequential(4).withDropLast(true));
        assertEquals(2, exact.batches());
        assertThrows(IndexOutOfBoundsException.class, () -> loader.batchRows(2));
    }

    @Test
    void shuffledEpochsCoverEveryExampleOnceInASeededOrder() {
        Dataset d = dataset(37);
        BatchLoader loader = new BatchLoader(d, BatchLoader.Options.shuffled(5, 99));
        BatchLoader twin = new BatchLoader(d, BatchLoader.Options.shuffled(5, 99));
        List<List<Integer>> epochs = new ArrayList<>();
        Batch b = new Batch();
        for (int e = 0; e < 3; e++) {
            loader.startEpoch(e);
            List<Integer> order = new ArrayList<>();
            while (true) {
                step.reset();
                if (!loader.next(step, b)) {
                    break;
                }
                assertEquals(e, b.epoch());
                order.addAll(rowsOf(b));
            }
            assertEquals(37, order.size());
            assertEquals(37, order.stream().distinct().count(), "each example exactly once: " + order);
            int[] expected = new int[37];
            Shuffle.permutation(99, e, expected, 37);
            for (int i = 0; i < 37; i++) {
                assertEquals(expected[i], order.get(i));
                assertEquals(expected[i], loader.exampleAt(i));
            }
            epochs.add(order);
        }
        assertNotEquals(epochs.get(0), epochs.get(1));
        twin.startEpoch(1);
        List<Integer> again = new ArrayList<>();
        while (twin.next(step, b)) {
            again.addAll(rowsOf(b));
        }
        assertEquals(epochs.get(1), again, "the same seed and epoch give the same order in another loader");
    }

    @Test
    void fillCopiesAnyBatchIntoGivenTensors() {
        BatchLoader loader = new BatchLoader(dataset(10), BatchLoader.Options.shuffled(4, 5));
        Tensor x = step.empty(DType.F32, 4, 2, 3);
        Tensor y = step.empty(DType.I64, 4);
        loader.fill(1, x, y);
        for (int r = 0; r < 4; r++) {
            int id = loader.exampleAt(4 + r);
            assertEquals(id, y.getDouble(r));
            assertEquals(id + 0.25, x.getDouble(r, 0, 1));
        }
        assertEquals(0, loader.position(), "fill does not move the cursor");
        Tensor lastX = step.empty(DType.F32, 2, 2, 3);
        Tensor lastY = step.empty(DType.I64, 2);
        loader.fill(2, lastX, lastY);
        assertEquals(loader.exampleAt(9), lastY.getDouble(1));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loader.fill(2, x, lastY));
        assertTrue(e.getMessage().contains("x destination f32[4, 2, 3] cpu does not fit; expected a contiguous cpu f32[2, 2, 3]"),
                e.getMessage());
        Tensor wrongType = step.empty(DType.I32, 4);
        e = assertThrows(IllegalArgumentException.class, () -> loader.fill(0, x, wrongType));
        assertTrue(e.getMessage().contains("expected a contiguous cpu i64[4]"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> loader.fill(3, x, y));
        assertThrows(IndexOutOfBoundsException.class, () -> loader.fill(-1, x, y));
    }

    @Test
    void flatViewsAndOtherDtypesBatchToo() {
        Dataset d = dataset(6);
        Tensor labels32 = data.empty(DType.I32, 6);
        for (int i = 0; i < 6; i++) {
            labels32.setDouble(i, i);
        }
        BatchLoader loader = new BatchLoader(d.flatImages(), labels32, BatchLoader.Options.sequential(4));
        Batch b = new Batch();
        assertTrue(loader.next(step, b));
        assertArrayEquals(new long[] {4, 6}, b.x().shape());
        assertEquals(DType.I32, b.y().dtype());
        assertEquals(3.5, b.x().getDouble(3, 2));
    }

    @Test
    void rejectsSourcesItCannotCopyRowsFrom() {
        Dataset d = dataset(6);
        Tensor strided = d.images().transpose(1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatchLoader(strided, d.labels(), BatchLoader.Options.sequential(2)));
        assertTrue(e.getMessage().contains("must be a contiguous CPU tensor"), e.getMessage());
        Tensor shortLabels = d.labels().slice(0, 0, 5);
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d.images(), shortLabels, BatchLoader.Options.sequential(2)));
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.Options.sequential(0));
        BatchLoader loader = new BatchLoader(d, BatchLoader.Options.sequential(2));
        assertThrows(IllegalArgumentException.class, () -> loader.startEpoch(-1));
    }

    @Test
    void anEmptyDatasetHasNoBatches() {
        Dataset empty = new Dataset("empty", data.empty(DType.F32, 0, 3), data.empty(DType.I64, 0), 1);
        BatchLoader loader = new BatchLoader(empty, BatchLoader.Options.shuffled(8, 1));
        assertEquals(0, loader.batches());
        assertFalse(loader.next(step, new Batch()));
    }

    @Test
    void aStaleDatasetIsCaught() {
        BatchLoader loader = new BatchLoader(dataset(4), BatchLoader.Options.sequential(2));
        data.reset();
        assertThrows(IllegalStateException.class, () -> loader.next(step, new Batch()));
    }

    // ---------------------------------------------------------------- the zero-GC contract

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /** All batches of a few epochs, as a training loop takes them; returns a checksum so nothing is dead code. */
    private double epochs(BatchLoader loader, Batch b, int first, int count) {
        double sum = 0;
        for (int e = first; e < first + count; e++) {
            loader.startEpoch(e);
            while (true) {
                step.reset();
                if (!loader.next(step, b)) {
                    break;
                }
                sum += b.y().getDouble(0) + b.x().getDouble(0, 1, 2) + b.size();
            }
        }
        return sum;
    }

    /**
     * After warm-up, batching (reshuffling every epoch, allocating the batch tensors in the step arena, copying
     * rows) allocates 0 heap bytes. The minimum over rounds is asserted, as in the memory module's
     * allocation test: a steady allocation shows in every round, a one-off JIT or profiling blip does not.
     */
    @Test
    void batchingAllocatesNothingOnTheHeap() {
        Dataset d = dataset(1000);
        BatchLoader shuffled = new BatchLoader(d, BatchLoader.Options.shuffled(32, 11));
        BatchLoader sequential = new BatchLoader(d, BatchLoader.Options.sequential(64));
        Batch b = new Batch();
        double sink = 0;
        for (int i = 0; i < 60; i++) {
            sink += epochs(shuffled, b, i, 1) + epochs(sequential, b, i, 1);
        }
        long best = Long.MAX_VALUE;
        int batchesPerRound = 0;
        for (int round = 0; round < 5; round++) {
            long before = allocatedBytes();
            sink += epochs(shuffled, b, 100 + 4 * round, 4);
            sink += epochs(sequential, b, 100 + 4 * round, 4);
            long bytes = allocatedBytes() - before;
            best = Math.min(best, bytes);
            batchesPerRound = 4 * (shuffled.batches() + sequential.batches());
        }
        assertTrue(sink != 0);
        assertEquals(0, best, "heap bytes over " + batchesPerRound + " batches");
    }
}
