package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * {@code out[c] = sum over r of x[r, c]} for a large [R, C] tensor with unit column stride (a Linear layer's
 * bias gradient, {@code sumTo(gy, [C])}), on the pool.
 *
 * <p>Note [Column sums]: the general reduction sums such a tensor in blocks of 256 adjacent columns, each
 * block over every row in order, accumulating in double, all on the calling thread; in MlpWideStep that was
 * 1.6 % of the caller's wall time while the pool's workers sat idle. Here each block of columns is one unit
 * of the pool, summed the same way (the same double accumulators, rows in the same order), so the results are
 * bit-identical to the serial path's whatever the thread count.
 */
final class ColumnSums extends UnitTask {
    /** Elements from which a column sum runs on the pool. */
    static final long MIN_ELEMENTS = 1 << 16;

    private static final ThreadLocal<ColumnSums> LOCAL = ThreadLocal.withInitial(ColumnSums::new);

    private MemorySegment xs, os;
    private long xBase, rowStride, rows, cols, oBase, elements;
    private boolean f32;

    private ColumnSums() {}

    /** Whether {@link #run} takes this sum: x [R, C] with unit column stride, summed over dim 0, large. */
    static boolean applies(Tensor x, int mask) {
        return x.rank() == 2 && mask == 0b01 && x.stride(1) == 1 && x.size(0) > 1 && x.size(1) > WalkScratch.BLOCK
                && x.numel() >= MIN_ELEMENTS && Parallel.threads() > 1;
    }

    /** {@code out = column sums of x}; out contiguous with x.size(1) elements, x's dtype (checked by the caller). */
    static void run(Tensor x, Tensor out) {
        ColumnSums t = LOCAL.get();
        t.f32 = x.dtype() == DType.F32;
        t.xs = x.segment();
        t.xBase = x.byteOffset();
        t.rowStride = x.stride(0);
        t.rows = x.size(0);
        t.cols = x.size(1);
        t.os = out.segment();
        t.oBase = out.byteOffset();
        t.elements = x.numel();
        try {
            t.forUnits(Math.ceilDiv(t.cols, WalkScratch.BLOCK), t.rows * WalkScratch.BLOCK);
        } finally {
            t.xs = t.os = null;
        }
    }

    @Override
    void runUnits(long from, long to) {
        int esz = RowKernels.bytes(f32);
        WalkScratch w = BlockMath.enter(elements);
        double[] acc = w.acc;
        for (long u = from; u < to; u++) {
            long c0 = u * WalkScratch.BLOCK;
            int len = (int) Math.min(WalkScratch.BLOCK, cols - c0);
            java.util.Arrays.fill(acc, 0, len, 0.0);
            for (long r = 0; r < rows; r++) {
                RowKernels.accumulate(BlockMath.SUM, acc, w.mean, len, xs, f32, xBase + (r * rowStride + c0) * esz, w);
            }
            for (int j = 0; j < len; j++) {
                RowKernels.set(os, f32, oBase + (c0 + j) * esz, acc[j]);
            }
        }
    }
}
