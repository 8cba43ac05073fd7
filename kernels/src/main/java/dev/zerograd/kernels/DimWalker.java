package dev.zerograd.kernels;

import dev.zerograd.memory.Tensor;

/**
 * An odometer over up to {@link Tensor#MAX_RANK} dims that keeps the element offsets of up to
 * {@link #MAX_OPERANDS} operands in step. Dims are appended outermost first. Size-1 dims are dropped, and a
 * dim merges into the previous one when, for every operand, {@code stride[prev] == stride[new] * size[new]}
 * (the two dims then walk memory as one), so a contiguous tensor walks as a single dim.
 *
 * <p>Invariant: after {@link #start()}, {@link #offset}{@code [k]} is the element offset (relative to operand
 * k's element 0) of the current position, and {@link #next()} visits every position once in row-major order
 * of the appended dims. Instances are reused per thread through {@link WalkScratch}; nothing here allocates.
 */
final class DimWalker {
    static final int MAX_OPERANDS = 4;
    private static final int R = Tensor.MAX_RANK;

    private final long[] size = new long[R];
    private final long[] strides = new long[MAX_OPERANDS * R]; // strides[k * R + d]
    private final long[] index = new long[R];
    /** Element offsets of the current position, per operand. */
    final long[] offset = new long[MAX_OPERANDS];
    private int rank;
    private int operands;
    private boolean empty;

    /** Forgets all dims; the walk will have {@code operands} operands (1..MAX_OPERANDS). */
    DimWalker reset(int operands) {
        this.rank = 0;
        this.operands = operands;
        this.empty = false;
        return this;
    }

    /** Appends a dim of {@code n} positions with the given per-operand strides (unused operands: pass 0). */
    void add(long n, long s0, long s1, long s2, long s3) {
        if (n == 1) {
            return;
        }
        if (n == 0) {
            empty = true;
            return;
        }
        if (rank > 0) {
            int p = rank - 1;
            if (merges(0, p, n, s0) && merges(1, p, n, s1) && merges(2, p, n, s2) && merges(3, p, n, s3)) {
                size[p] *= n;
                setStrides(p, s0, s1, s2, s3);
                return;
            }
        }
        size[rank] = n;
        setStrides(rank, s0, s1, s2, s3);
        rank++;
    }

    private boolean merges(int k, int p, long n, long s) {
        return k >= operands || strides[k * R + p] == s * n;
    }

    private void setStrides(int d, long s0, long s1, long s2, long s3) {
        strides[d] = s0;
        strides[R + d] = s1;
        strides[2 * R + d] = s2;
        strides[3 * R + d] = s3;
    }

    int rank() {
        return rank;
    }

    /** True when some appended dim had size 0: the walk has no positions. */
    boolean isEmpty() {
        return empty;
    }

    long size(int d) {
        return size[d];
    }

    long stride(int operand, int d) {
        return strides[operand * R + d];
    }

    /** Size of the innermost dim (1 when there is none). */
    long innerSize() {
        return rank == 0 ? 1 : size[rank - 1];
    }

    /** Stride of operand {@code k} along the innermost dim (0 when there is none). */
    long innerStride(int k) {
        return rank == 0 ? 0 : strides[k * R + rank - 1];
    }

    /** Removes the innermost dim, which the caller then loops over itself (read its size and strides first). */
    void dropInner() {
        if (rank > 0) {
            rank--;
        }
    }

    /** Number of positions of the walk. */
    long count() {
        if (empty) {
            return 0;
        }
        long c = 1;
        for (int d = 0; d < rank; d++) {
            c *= size[d];
        }
        return c;
    }

    /** Moves to the first position (all offsets 0). */
    void start() {
        for (int d = 0; d < rank; d++) {
            index[d] = 0;
        }
        for (int k = 0; k < MAX_OPERANDS; k++) {
            offset[k] = 0;
        }
    }

    /** Advances to the next position in row-major order; false after the last one (offsets are then 0 again). */
    boolean next() {
        for (int d = rank - 1; d >= 0; d--) {
            long n = size[d];
            if (++index[d] < n) {
                for (int k = 0; k < operands; k++) {
                    offset[k] += strides[k * R + d];
                }
                return true;
            }
            index[d] = 0;
            for (int k = 0; k < operands; k++) {
                offset[k] -= strides[k * R + d] * (n - 1);
            }
        }
        return false;
    }
}
