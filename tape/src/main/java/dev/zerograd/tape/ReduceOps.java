package dev.zerograd.tape;

import dev.zerograd.kernels.Copy;
import dev.zerograd.kernels.Index;
import dev.zerograd.kernels.Reduce;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;

/**
 * Reductions over all dims or a set of dims, with or without keepdim. Dims are carried as a bit mask
 * (bit d = dim d reduced). {@code mean} is a composite of {@code sum} and a scale, {@code std} of
 * {@code var} and a square root.
 *
 * <p>Note [Max gradients]: the two kinds of maximum route the gradient differently, as PyTorch does.
 * {@code max(x, dim)} (ops {@code max_dim} / {@code min_dim}) returns one position per output, the first
 * occurrence on ties, and the whole gradient flows to that position: a one-hot mask built from the indices
 * saved at forward. {@code amax}/{@code amin} (and {@code max(x)} over everything) return no position, so the
 * gradient is split evenly among the tied elements: {@code g * (x == y) / count(x == y)}. Both masks are
 * piecewise constant and built without recording, so the rules are products with a constant and record
 * correctly (with zero second derivative) in create-graph mode.
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
        Tensor out = keepdim ? kept : dropped(c, kept, mask);
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

    /** The contiguous keepdim-layout {@code kept} viewed without the dims in {@code mask} (itself for mask 0); not recorded. */
    static Tensor dropped(Context c, Tensor kept, int mask) {
        if (mask == 0) {
            return kept;
        }
        int k = 0;
        for (int d = 0; d < kept.rank(); d++) {
            if ((mask & (1 << d)) == 0) {
                c.shapeB[k++] = kept.size(d);
            }
        }
        Shapes.contiguousStrides(c.shapeB, k, c.stridesA);
        return c.resultArena(kept).view(kept, k, c.shapeB, c.stridesA, 0);
    }

    /** A reduction's contiguous result {@code y} viewed in keepdim layout for x and mask; not recorded. */
    private static Tensor keptView(Tensor y, Tensor x, int mask, boolean keptDims) {
        if (keptDims || mask == 0) {
            return y;
        }
        Context c = Context.get();
        int r = keepdimShape(x, mask, c.shapeB);
        Shapes.contiguousStrides(c.shapeB, r, c.stridesA);
        return c.resultArena(y).view(y, r, c.shapeB, c.stridesA, 0);
    }

    // ---------------------------------------------------------------- max / min along one dim (Note [Max gradients])

    /** Attributes: 0 = dim, 1 = keepdim; saved 0 = the positions (I64, keepdim layout). */
    static final class ArgExtremum extends Op {
        ArgExtremum(String name) {
            super(name);
        }

        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            int mask = x.rank() == 0 ? 0 : 1 << n.iattr(0);
            grads.add(0, Ops.mul(keepdim(g, x, mask, n.attr(1) != 0), oneHot(x, n.iattr(0), n.saved(0))));
        }

        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            if (t == null) {
                return null;
            }
            Tensor x = n.input(0);
            int mask = x.rank() == 0 ? 0 : 1 << n.iattr(0);
            return sum(Ops.mul(t, oneHot(x, n.iattr(0), n.saved(0))), mask, n.attr(1) != 0);
        }
    }

    static final Op MAX_DIM = new ArgExtremum("max_dim");
    static final Op MIN_DIM = new ArgExtremum("min_dim");

    /** 1 at the saved positions {@code idx} (keepdim layout) along dim d, 0 elsewhere, in x's shape and dtype. */
    private static Tensor oneHot(Tensor x, int d, Tensor idx) {
        Context c = Context.get();
        Tensor m = c.resultLike(x);
        if (x.rank() == 0) {
            m.fill(1);
            return m;
        }
        m.fill(0);
        int r = idx.shapeInto(c.shapeA);
        Index.scatterAddInPlace(m, d, idx, c.resultArena(x).full(x.dtype(), 1, c.shapeA, r));
        return m;
    }

    /**
     * The max (or min) of x along dim and its first position, both in keepdim layout, into {@code pair[0]} and
     * {@code pair[1]}; returns the normalised dim. A rank-0 x is its own max, at position 0.
     */
    private static int argExtremum(Context c, String name, boolean isMax, Tensor x, int dim, Tensor[] pair) {
        Checks.floating(name, x);
        int r = x.rank();
        int d = Checks.dim(name, x, dim, r);
        if (r > 0 && x.size(d) == 0) {
            throw new IllegalArgumentException(name + ": dim " + dim + " of " + x.describe() + " is empty (the " + name
                    + " of no elements is undefined)");
        }
        int mask = r == 0 ? 0 : 1 << d;
        keepdimShape(x, mask, c.shapeA);
        Tensor kept = c.result(x, x.dtype(), c.shapeA, r);
        Tensor idx = c.result(x, DType.I64, c.shapeA, r);
        if (r == 0) {
            Copy.copy(x, kept);
            idx.fill(0);
        } else if (isMax) {
            Reduce.max(x, d, kept, idx);
        } else {
            Reduce.min(x, d, kept, idx);
        }
        pair[0] = kept;
        pair[1] = idx;
        return d;
    }

    /**
     * The max (or min) of x along dim; with {@code out2} non-null its positions too ({@code out2[0]} = values,
     * {@code out2[1]} = I64 positions). Recorded as {@code op}.
     */
    static Tensor extremumAlong(Op op, String name, boolean isMax, Tensor x, int dim, boolean keepdim, Tensor[] out2) {
        Context c = Context.get();
        if (out2 != null && out2.length < 2) {
            throw new IllegalArgumentException(name + ": the output array has room for " + out2.length + " tensors, expected 2 (values, indices)");
        }
        Tensor[] pair = c.argPair;
        int d = argExtremum(c, name, isMax, x, dim, pair);
        Tensor kept = pair[0];
        Tensor idx = pair[1];
        pair[0] = null;
        pair[1] = null;
        int mask = x.rank() == 0 ? 0 : 1 << d;
        Tensor out = keepdim ? kept : dropped(c, kept, mask);
        if (out2 != null) {
            out2[1] = keepdim ? idx : dropped(c, idx, mask);
        }
        if (c.tracks(x)) {
            c.begin(op).in(x).attr(0, d).attr(1, keepdim ? 1 : 0).save(idx).commit(out);
        }
        if (out2 != null) {
            out2[0] = out;
        }
        return out;
    }

    /** The first position of the max (or min) of x along dim, I64; not differentiable. */
    static Tensor argExtremum(String name, boolean isMax, Tensor x, int dim, boolean keepdim) {
        Context c = Context.get();
        Tensor[] pair = c.argPair;
        int d = argExtremum(c, name, isMax, x, dim, pair);
        Tensor idx = pair[1];
        pair[0] = null;
        pair[1] = null;
        return keepdim ? idx : dropped(c, idx, x.rank() == 0 ? 0 : 1 << d);
    }

    // ---------------------------------------------------------------- amax / amin (Note [Max gradients])

    /** Attributes: 0 = dim mask, 1 = keepdim. */
    static final class Extremum extends Op {
        Extremum(String name) {
            super(name);
        }

        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, Ops.mul(keepdim(g, x, n.iattr(0), n.attr(1) != 0), tieShare(n)));
        }

        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : sum(Ops.mul(t, tieShare(n)), n.iattr(0), n.attr(1) != 0);
        }
    }

    static final Op AMAX = new Extremum("amax");
    static final Op AMIN = new Extremum("amin");

    /** (x == y) / count(x == y) over the reduced dims: each tied extremum's share of the gradient. Not recorded. */
    private static Tensor tieShare(Node n) {
        Tensor x = n.input(0);
        int mask = n.iattr(0);
        Tensor hit = Ops.eq(x, keptView(n.result(), x, mask, n.attr(1) != 0));
        return Ops.div(hit, sum(hit, mask, true));
    }

    /** The max (or min) of x over the dims in mask, NaN-propagating. */
    static Tensor extremum(Op op, String name, boolean isMax, Tensor x, int mask, boolean keepdim) {
        Context c = Context.get();
        Checks.floating(name, x);
        if (count(x, mask) == 0) {
            throw new IllegalArgumentException(name + ": " + x.describe() + " has no elements along the reduced dims (mask 0x"
                    + Integer.toHexString(mask) + "); the " + name + " of no elements is undefined");
        }
        int r = keepdimShape(x, mask, c.shapeA);
        Tensor kept = c.result(x, x.dtype(), c.shapeA, r);
        if (isMax) {
            Reduce.maxAll(x, mask, kept);
        } else {
            Reduce.minAll(x, mask, kept);
        }
        Tensor out = keepdim ? kept : dropped(c, kept, mask);
        if (c.tracks(x)) {
            c.begin(op).in(x).attr(0, mask).attr(1, keepdim ? 1 : 0).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- var / std

    /** Attributes: 0 = dim mask, 1 = keepdim; scalar 0 = correction. */
    static final Op VAR = new Op("var") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(keepdim(g, n.input(0), n.iattr(0), n.attr(1) != 0), varDerivative(n)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : sum(Ops.mul(t, varDerivative(n)), n.iattr(0), n.attr(1) != 0);
        }
    };

    /** d var / dx = 2 (x - mean(x)) / (N - correction), written with ops (N = elements per output). */
    private static Tensor varDerivative(Node n) {
        Tensor x = n.input(0);
        int mask = n.iattr(0);
        double denom = Math.max(0.0, count(x, mask) - n.scalar(0));
        return Ops.mul(Ops.sub(x, mean(x, mask, true)), 2.0 / denom);
    }

    /**
     * sum((x - mean)^2) / (N - correction) over the dims in mask: correction 1 is Bessel's (unbiased), 0 the
     * population variance; N <= correction gives NaN or infinity, as the division does.
     */
    static Tensor var(Tensor x, int mask, boolean keepdim, double correction) {
        Context c = Context.get();
        Checks.floating("var", x);
        if (!(correction >= 0) || Double.isInfinite(correction)) {
            throw new IllegalArgumentException("var: correction " + correction + " for " + x.describe() + " must be finite and >= 0");
        }
        int r = keepdimShape(x, mask, c.shapeA);
        Tensor kept = c.result(x, x.dtype(), c.shapeA, r);
        Reduce.var(x, mask, correction, kept);
        Tensor out = keepdim ? kept : dropped(c, kept, mask);
        if (c.tracks(x)) {
            c.begin(VAR).in(x).attr(0, mask).attr(1, keepdim ? 1 : 0).scalar(0, correction).commit(out);
        }
        return out;
    }

    static Tensor std(Tensor x, int mask, boolean keepdim, double correction) {
        return Ops.sqrt(var(x, mask, keepdim, correction));
    }
}
