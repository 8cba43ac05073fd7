package dev.zerograd.nn.data;

import dev.zerograd.memory.Device;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.foreign.MemorySegment;

/**
 * Mini-batches of a dataset copied into step-arena tensors, with no heap allocation per batch.
 *
 * <pre>{@code
 * BatchLoader loader = new BatchLoader(data.train(), BatchLoader.Options.shuffled(64, seed));
 * Batch batch = new Batch();                   // one holder, refilled every step
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     loader.startEpoch(epoch);                // reshuffles: the order depends on (seed, epoch) only
 *     while (true) {
 *         step.reset();                        // before next(): the batch tensors live in the step arena
 *         if (!loader.next(step, batch)) break;
 *         ... batch.x(), batch.y() ...
 *     }
 * }
 * }</pre>
 *
 * <p>Batch {@code b} of an epoch holds the examples at positions {@code [b * batchSize, ...)} of the
 * epoch's order: the identity, or a {@link Shuffle#permutation} of {@code (seed, epoch)}. The last batch
 * is smaller when the batch size does not divide the dataset, unless {@code dropLast} leaves it out.
 * Rows are copied with {@link MemorySegment#copy} (one copy per batch in sequential order, one per row when
 * shuffled); the sources must be contiguous CPU tensors whose dim 0 indexes the examples. The loader
 * owns only its order array and shape scratch; it is not thread-safe.
 */
public final class BatchLoader {
    /**
     * How to batch.
     *
     * @param batchSize examples per batch, at least 1
     * @param shuffle reshuffle every epoch
     * @param seed the shuffle seed (unused without {@code shuffle})
     * @param dropLast leave out the last batch when it is smaller than {@code batchSize}
     */
    public record Options(int batchSize, boolean shuffle, long seed, boolean dropLast) {
        public Options {
            if (batchSize < 1) {
                throw new IllegalArgumentException("BatchLoader.Options: batch size must be at least 1, got " + batchSize);
            }
        }

        /** Batches in dataset order, keeping a smaller last batch. */
        public static Options sequential(int batchSize) {
            return new Options(batchSize, false, 0, false);
        }

        /** Batches in a new seeded order each epoch, keeping a smaller last batch. */
        public static Options shuffled(int batchSize, long seed) {
            return new Options(batchSize, true, seed, false);
        }

        public Options withDropLast(boolean value) {
            return new Options(batchSize, shuffle, seed, value);
        }
    }

    private final Tensor x;
    private final Tensor y;
    private final int n;
    private final Options options;
    private final int batches;
    private final long xRowBytes;
    private final long yRowBytes;
    private final int[] order;
    private final long[] xShape = new long[Tensor.MAX_RANK];
    private final long[] yShape = new long[Tensor.MAX_RANK];
    private final int xRank;
    private final int yRank;

    private int epoch;
    private int cursor;

    /** Batches of {@code data}'s images and labels; epoch 0 is started. */
    public BatchLoader(Dataset data, Options options) {
        this(data.images(), data.labels(), options);
    }

    /**
     * Batches of the rows of {@code x} and {@code y} (same {@code size(0)}); epoch 0 is started.
     *
     * @throws IllegalArgumentException when a source is not a contiguous CPU tensor of rank >= 1, or the row
     *     counts differ
     */
    public BatchLoader(Tensor x, Tensor y, Options options) {
        checkSource("x", x);
        checkSource("y", y);
        if (x.size(0) != y.size(0)) {
            throw new IllegalArgumentException("BatchLoader: x " + x.describe() + " and y " + y.describe()
                    + " must have the same number of rows (dim 0)");
        }
        if (x.size(0) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("BatchLoader: " + x.size(0) + " rows are more than an int can count");
        }
        this.x = x;
        this.y = y;
        this.n = (int) x.size(0);
        this.options = options;
        int bs = options.batchSize();
        this.batches = options.dropLast() ? n / bs : (int) ((n + (long) bs - 1) / bs);
        this.xRank = x.shapeInto(xShape);
        this.yRank = y.shapeInto(yShape);
        this.xRowBytes = n == 0 ? 0 : x.byteSize() / n;
        this.yRowBytes = n == 0 ? 0 : y.byteSize() / n;
        this.order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        startEpoch(0);
    }

    private static void checkSource(String name, Tensor t) {
        t.checkValid();
        if (t.rank() < 1 || !t.isContiguous() || t.device() != Device.CPU) {
            throw new IllegalArgumentException("BatchLoader: " + name + " " + t.describe()
                    + " must be a contiguous CPU tensor of rank >= 1 whose dim 0 indexes the examples");
        }
    }

    // ---------------------------------------------------------------- epochs

    /**
     * Rewinds to the first batch of {@code epoch}, computing its order when shuffling. Allocates nothing.
     *
     * @throws IllegalArgumentException when {@code epoch} is negative
     */
    public void startEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("BatchLoader.startEpoch: epoch must be non-negative, got " + epoch);
        }
        if (options.shuffle()) {
            Shuffle.permutation(options.seed(), epoch, order, n);
        }
        this.epoch = epoch;
        this.cursor = 0;
    }

    /** The current epoch. */
    public int epoch() {
        return epoch;
    }

    /** Index of the batch the next {@link #next} call returns. */
    public int position() {
        return cursor;
    }

    // ---------------------------------------------------------------- geometry

    /** Number of examples in the dataset. */
    public int size() {
        return n;
    }

    public Options options() {
        return options;
    }

    /** Number of batches per epoch. */
    public int batches() {
        return batches;
    }

    /** Examples in batch {@code b}: the batch size, or fewer for the last batch. */
    public int batchRows(int b) {
        checkBatch("batchRows", b);
        return rows(b);
    }

    private int rows(int b) {
        return (int) Math.min(options.batchSize(), n - (long) b * options.batchSize());
    }

    /** The dataset row at {@code position} of the current epoch's order. */
    public int exampleAt(int position) {
        if (position < 0 || position >= n) {
            throw new IndexOutOfBoundsException("BatchLoader.exampleAt: position " + position + " is outside [0, " + n + ")");
        }
        return order[position];
    }

    private void checkBatch(String op, int b) {
        if (b < 0 || b >= batches) {
            throw new IndexOutOfBoundsException("BatchLoader." + op + ": batch " + b + " is outside [0, " + batches
                    + ") (" + n + " examples, batch size " + options.batchSize() + (options.dropLast() ? ", drop last" : "") + ")");
        }
    }

    // ---------------------------------------------------------------- filling

    /**
     * Allocates the next batch of the current epoch in {@code step} ({@code x[rows, ...]} and
     * {@code y[rows, ...]}), copies its rows, and describes it in {@code out}. Allocates nothing on the heap
     * once {@code step}'s handle pool has grown to its working size.
     *
     * @return false, leaving {@code out} unchanged, when the epoch has no more batches
     */
    public boolean next(TensorArena step, Batch out) {
        if (cursor >= batches) {
            return false;
        }
        int b = cursor;
        int rows = rows(b);
        xShape[0] = rows;
        yShape[0] = rows;
        Tensor bx = step.empty(x.dtype(), xShape, xRank);
        Tensor by = step.empty(y.dtype(), yShape, yRank);
        copy(b, rows, bx, by);
        out.x = bx;
        out.y = by;
        out.index = b;
        out.epoch = epoch;
        out.size = rows;
        cursor = b + 1;
        return true;
    }

    /**
     * Copies batch {@code b} of the current epoch into {@code xOut} and {@code yOut}, contiguous CPU tensors of
     * the sources' dtypes whose shapes are the sources' with dim 0 equal to {@link #batchRows(int) batchRows(b)}.
     * Modifies {@code xOut} and {@code yOut}; does not move the {@link #next} cursor.
     *
     * @throws IndexOutOfBoundsException when {@code b} is not a batch of this epoch
     * @throws IllegalArgumentException naming the expected and given tensors when a destination does not fit
     */
    public void fill(int b, Tensor xOut, Tensor yOut) {
        checkBatch("fill", b);
        int rows = rows(b);
        checkDestination("x", x, xOut, rows);
        checkDestination("y", y, yOut, rows);
        copy(b, rows, xOut, yOut);
    }

    private static void checkDestination(String name, Tensor src, Tensor dst, int rows) {
        dst.checkValid();
        boolean fits = dst.dtype() == src.dtype() && dst.rank() == src.rank() && dst.isContiguous()
                && dst.device() == Device.CPU && dst.size(0) == rows;
        for (int d = 1; fits && d < src.rank(); d++) {
            fits = dst.size(d) == src.size(d);
        }
        if (!fits) {
            long[] expected = src.shape();
            expected[0] = rows;
            throw new IllegalArgumentException("BatchLoader.fill: " + name + " destination " + dst.describe()
                    + " does not fit; expected a contiguous cpu " + src.dtype() + Shapes.format(expected) + " tensor");
        }
    }

    private void copy(int b, int rows, Tensor bx, Tensor by) {
        long first = (long) b * options.batchSize();
        copyRows(x, xRowBytes, first, rows, bx);
        copyRows(y, yRowBytes, first, rows, by);
    }

    private void copyRows(Tensor src, long rowBytes, long first, int rows, Tensor dst) {
        MemorySegment from = src.segment();
        MemorySegment to = dst.segment();
        long base = src.byteOffset();
        long at = dst.byteOffset();
        if (!options.shuffle()) {
            MemorySegment.copy(from, base + first * rowBytes, to, at, rows * rowBytes);
            return;
        }
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(from, base + order[(int) first + r] * rowBytes, to, at + r * rowBytes, rowBytes);
        }
    }

    @Override
    public String toString() {
        return "BatchLoader(" + n + " examples, " + batches + " batches of " + options.batchSize()
                + (options.shuffle() ? ", shuffled with seed " + options.seed() : ", sequential")
                + (options.dropLast() ? ", drop last" : "") + ", epoch " + epoch + ", next batch " + cursor + ")";
    }
}
