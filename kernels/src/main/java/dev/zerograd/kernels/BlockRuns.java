package dev.zerograd.kernels;

import dev.zerograd.memory.Tensor;

/**
 * The elements of a block of trailing dims, shared by up to {@link #MAX} tensors, as strided runs that the
 * loops of {@link SpatialRows} process. Operand k's block is its dims {@code [from_k, rank_k)}; all blocks
 * have the same sizes (the caller checks). When every operand's block merges into one strided dim (a
 * contiguous block, a channels-last plane, a strided last dim), the block is a single run; otherwise it is
 * one run per index of all but the last block dim, each along the last dim.
 *
 * <p>Invariant: run r of operand k starts at element {@link #offset}{@code (k, r)} from the block's first
 * element and holds {@link #len} elements {@link #stride}{@code [k]} apart; runs visit the block in
 * row-major order, so element j of the block is element {@code j % len} of run {@code j / len}.
 * Preallocated per thread; planning allocates nothing.
 */
final class BlockRuns {
    static final int MAX = 4;

    private final Tensor[] t = new Tensor[MAX];
    private final int[] from = new int[MAX];
    /** Stride, in elements, along a run, per operand. */
    final long[] stride = new long[MAX];
    /** Runs per block and elements per run. */
    long runs, len;
    private boolean single;

    /** Plans the runs of the blocks {@code a[fromA:]}, ... (null operands are skipped and get stride 0). */
    BlockRuns plan(Tensor a, int fromA, Tensor b, int fromB, Tensor c, int fromC, Tensor d, int fromD) {
        t[0] = a;
        t[1] = b;
        t[2] = c;
        t[3] = d;
        from[0] = fromA;
        from[1] = fromB;
        from[2] = fromC;
        from[3] = fromD;
        long numel = 1;
        for (int e = fromA; e < a.rank(); e++) {
            numel *= a.size(e);
        }
        single = true;
        for (int k = 0; k < MAX; k++) {
            if (t[k] != null && mergedStride(t[k], from[k]) < 0) {
                single = false;
            }
        }
        if (single) {
            runs = 1;
            len = numel;
            for (int k = 0; k < MAX; k++) {
                stride[k] = t[k] == null ? 0 : mergedStride(t[k], from[k]);
            }
        } else {
            len = a.size(-1);
            runs = len == 0 ? 0 : numel / len;
            for (int k = 0; k < MAX; k++) {
                stride[k] = t[k] == null ? 0 : t[k].stride(-1);
            }
        }
        return this;
    }

    /** Element offset of run r of operand k from the first element of its block. */
    long offset(int k, long r) {
        if (single || t[k] == null) {
            return 0;
        }
        Tensor x = t[k];
        long off = 0;
        for (int d = x.rank() - 2; d >= from[k] && r > 0; d--) {
            long n = x.size(d);
            off += (r % n) * x.stride(d);
            r /= n;
        }
        return off;
    }

    /** Forgets the operands (so that this per-thread object keeps no handles alive between calls). */
    void clear() {
        for (int k = 0; k < MAX; k++) {
            t[k] = null;
        }
    }

    /**
     * The stride of dims {@code [from, rank)} of t walked as one dim (size-1 dims ignored), or -1 when they do
     * not merge; 1 when they hold one element.
     */
    static long mergedStride(Tensor t, int from) {
        long s = 1;
        boolean any = false;
        for (int d = t.rank() - 1; d >= from; d--) {
            long n = t.size(d);
            if (n == 1) {
                continue;
            }
            if (!any) {
                s = t.stride(d);
                any = true;
                continue;
            }
            // Dim d must step over everything inside it: its stride is the inner stride times the inner size.
            long inner = 1;
            for (int e = d + 1; e < t.rank(); e++) {
                inner *= t.size(e);
            }
            if (t.stride(d) != s * inner) {
                return -1;
            }
        }
        return s;
    }

    /**
     * Element offset, from element 0 of t, of index {@code i} of the leading dims {@code [0, dims)} taken in
     * row-major order (the rows of a layer norm).
     */
    static long leadingOffset(Tensor t, int dims, long i) {
        long off = 0;
        for (int d = dims - 1; d >= 0 && i > 0; d--) {
            long n = t.size(d);
            off += (i % n) * t.stride(d);
            i /= n;
        }
        return off;
    }
}
