package dev.zerograd.kernels;

import dev.zerograd.memory.Tensor;

/**
 * Per-thread scratch of the reduction, softmax, loss, indexing and matmul kernels: two odometers, blocks of
 * double accumulators and the staging blocks of {@link RowKernels}. Made once per thread (the only allocation), then reused by every call on
 * that thread, so worker threads of an intra-op pool each get their own. A kernel takes it once at entry and
 * must not call another kernel while it holds an odometer mid-walk.
 */
final class WalkScratch {
    /** Length of the accumulator blocks: 256 doubles (2 KiB each) stay in L1 beside the rows they sum. */
    static final int BLOCK = 256;

    private static final ThreadLocal<WalkScratch> LOCAL = ThreadLocal.withInitial(WalkScratch::new);

    final DimWalker outer = new DimWalker();
    final DimWalker inner = new DimWalker();
    final double[] acc = new double[BLOCK];
    final double[] mean = new double[BLOCK];
    /** Staged operands and result of a row block (Note [Staged blocks] in {@link RowKernels}). */
    final double[] a = new double[BLOCK];
    final double[] b = new double[BLOCK];
    final double[] o = new double[BLOCK];
    final int[] order = new int[Tensor.MAX_RANK];
    /**
     * Whether the call in progress on this thread may use the vector loops of {@link BlockMath}: set at each
     * kernel's entry from the tensor's size (Note [Small calls stay scalar] in {@link BlockMath}).
     */
    boolean vector = true;
    final long[] strides = new long[Tensor.MAX_RANK];

    private WalkScratch() {}

    static WalkScratch get() {
        return LOCAL.get();
    }
}
