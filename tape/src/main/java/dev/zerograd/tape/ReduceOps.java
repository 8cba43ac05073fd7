package dev.zerograd.tape;

import dev.zerograd.kernels.Reduce;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;

/**
 * Reductions over all dims or a set of dims, with or without keepdim. Dims are carried as a bit mask
 * (bit d = dim d reduced). {@code mean} is a composite of {@code sum} and a scale.
 */
final class ReduceOps {
    private ReduceOps() {}

    /** Attributes: 0 = dim mask, 1 = keepdim (0/1). */
    static final Op SUM = new Op("sum") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, Ops.broadcastTo(keepdim(g, x, n.iattr(0), n.attr(1) != 0), x));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : sum(t, n.iattr(0), n.attr(1) != 0);
        }
    };

    /** g reshaped to the keepdim layout of a reduction of {@code x} over {@code mask} (size 1 at reduced dims). */
    static Tensor keepdim(Tensor g, Tensor x, int mask, boolean keptDims) {
        if (keptDims) {
            return g;
        }
        Context c = Context.get();
        int r = keepdimShape(x, mask, c.reshapeTarget);
        return Ops.reshape(g, c.reshapeTarget, r);
    }

    /** Writes x's shape with reduced dims set to 1 and returns x's rank. */
    static int keepdimShape(Tensor x, int mask, long[] out) {
        int r = x.shapeInto(out);
        for (int d = 0; d < r; d++) {
            if ((mask & (1 << d)) != 0) {
                out[d] = 1;
            }
        }
        return r;
    }

    /** The bit mask of {@code dims} for a rank-{@code rank} tensor, rejecting repeats and out-of-range dims. */
    static int mask(String op, Tensor x, int[] dims) {
        int rank = x.rank();
        int m = 0;
        for (int d : dims) {
            int r = Checks.dim(op, x, d, rank);
            if (rank == 0) {
                continue;
            }
            if ((m & (1 << r)) != 0) {
                throw new IllegalArgumentException(op + ": dim " + d + " is given twice for " + x.describe());
            }
            m |= 1 << r;
        }
        return m;
    }

    /** Every dim of a rank-{@code rank} tensor. */
    static int all(int rank) {
        return (1 << rank) - 1;
    }

    static Tensor sum(Tensor x, int mask, boolean keepdim) {
        Context c = Context.get();
        Checks.floating("sum", x);
        int r = keepdimShape(x, mask, c.shapeA);
        Tensor kept = c.result(x, x.dtype(), c.shapeA, r);
        Reduce.sum(x, mask, kept);
        Tensor out = kept;
        if (!keepdim && mask != 0) {
            int k = 0;
            for (int d = 0; d < r; d++) {
                if ((mask & (1 << d)) == 0) {
                    c.shapeB[k++] = c.shapeA[d];
                }
            }
            Shapes.contiguousStrides(c.shapeB, k, c.stridesA);
            out = c.resultArena(x).view(kept, k, c.shapeB, c.stridesA, 0);
        }
        if (c.tracks(x)) {
            c.begin(SUM).in(x).attr(0, mask).attr(1, keepdim ? 1 : 0).commit(out);
        }
        return out;
    }

    /** Number of elements a reduction over {@code mask} folds into one. */
    static long count(Tensor x, int mask) {
        long n = 1;
        for (int d = 0; d < x.rank(); d++) {
            if ((mask & (1 << d)) != 0) {
                n *= x.size(d);
            }
        }
        return n;
    }

    static Tensor mean(Tensor x, int mask, boolean keepdim) {
        long n = count(x, mask);
        return Ops.mul(sum(x, mask, keepdim), n == 0 ? Double.NaN : 1.0 / n);
    }
}
