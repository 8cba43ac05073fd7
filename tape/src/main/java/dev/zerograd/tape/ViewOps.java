package dev.zerograd.tape;

import dev.zerograd.kernels.Copy;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.memory.Views;

/**
 * Copy-free views recorded as ops: {@code permute} (and {@code transpose}), {@code squeeze} /
 * {@code unsqueeze}, {@code slice} (and {@code narrow}), and {@code flatten} (a reshape). Each result
 * shares its input's bytes through a handle from the result arena (Note [Where results live] in
 * {@link Context}). Views accept any dtype; only floating-point ones can carry gradients.
 *
 * <p>Note [View pairs]: the rule of each view is its partner view applied to g, so every rule is itself a
 * recorded op and derivatives of any order exist: permute's VJP is permute by the inverse permutation;
 * squeeze and unsqueeze are each other's VJP; slice's VJP is {@code slice_backward} (g written into zeros
 * of the input's shape), whose own VJP is slice again.
 *
 * <p>Note [Packed permutations]: a permutation of up to {@link Tensor#MAX_RANK} = 8 dims is recorded in one
 * integer attribute, 4 bits per dim (dim {@code i} of the result is input dim {@code (p >>> 4i) & 15}), so
 * recording and inverting it touch no array.
 */
final class ViewOps {
    private ViewOps() {}

    // ---------------------------------------------------------------- permute / transpose

    /** Attributes: 0 = packed permutation (Note [Packed permutations]). */
    static final Op PERMUTE = new Op("permute") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, permutePacked(g, invert(n.attr(0), g.rank())));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : permutePacked(t, n.attr(0));
        }
    };

    private static int unpack(long p, int i) {
        return (int) (p >>> (4 * i)) & 15;
    }

    /** The inverse of the packed permutation {@code p} of {@code rank} dims. */
    static long invert(long p, int rank) {
        long q = 0;
        for (int i = 0; i < rank; i++) {
            q |= (long) i << (4 * unpack(p, i));
        }
        return q;
    }

    /** The packed permutation {@code dims[0..rank)} of x's dims, validated (negative dims count from the end). */
    static long pack(String op, Tensor x, int[] dims, int count) {
        int rank = x.rank();
        if (count != rank) {
            throw new IllegalArgumentException(op + ": " + count + " dims given for " + x.describe()
                    + " (expected a permutation of all " + rank + " dims)");
        }
        long p = 0;
        int seen = 0;
        for (int i = 0; i < rank; i++) {
            int d = dims[i] < 0 ? dims[i] + rank : dims[i];
            if (d < 0 || d >= rank || (seen & (1 << d)) != 0) {
                throw new IllegalArgumentException(op + ": dims " + java.util.Arrays.toString(java.util.Arrays.copyOf(dims, count))
                        + " are not a permutation of 0.." + (rank - 1) + " for " + x.describe()
                        + (d >= 0 && d < rank ? " (dim " + dims[i] + " repeats)" : " (dim " + dims[i] + " is out of range)"));
            }
            seen |= 1 << d;
            p |= (long) d << (4 * i);
        }
        return p;
    }

    private static boolean isIdentity(long p, int rank) {
        for (int i = 0; i < rank; i++) {
            if (unpack(p, i) != i) {
                return false;
            }
        }
        return true;
    }

    /** x with dim i of the result taken from dim {@code unpack(p, i)} of x; x itself for the identity. */
    static Tensor permutePacked(Tensor x, long p) {
        Context c = Context.get();
        x.checkValid();
        int rank = x.rank();
        if (isIdentity(p, rank)) {
            return x;
        }
        for (int i = 0; i < rank; i++) {
            int d = unpack(p, i);
            c.shapeB[i] = x.size(d);
            c.stridesA[i] = x.stride(d);
        }
        Tensor out = c.resultArena(x).view(x, rank, c.shapeB, c.stridesA, 0);
        if (c.tracks(x)) {
            c.begin(PERMUTE).in(x).attr(0, p).commit(out);
        }
        return out;
    }

    static Tensor permute(Tensor x, int[] dims, int count) {
        x.checkValid();
        return permutePacked(x, pack("permute", x, dims, count));
    }

    static Tensor transpose(Tensor x, int d0, int d1) {
        x.checkValid();
        int rank = x.rank();
        int a = Checks.dim("transpose", x, d0, rank);
        int b = Checks.dim("transpose", x, d1, rank);
        long p = 0;
        for (int i = 0; i < rank; i++) {
            p |= (long) (i == a ? b : i == b ? a : i) << (4 * i);
        }
        return permutePacked(x, p);
    }

    // ---------------------------------------------------------------- squeeze / unsqueeze

    /** Attributes: 0 = mask of the input's size-1 dims removed. */
    static final Op SQUEEZE = new Op("squeeze") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, unsqueezeMask(g, n.iattr(0), n.input(0).rank()));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : squeezeMask(t, n.iattr(0));
        }
    };

    /** Attributes: 0 = mask of the result's new size-1 dims. */
    static final Op UNSQUEEZE = new Op("unsqueeze") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, squeezeMask(g, n.iattr(0)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : unsqueezeMask(t, n.iattr(0), n.result().rank());
        }
    };

    /** x without the dims in {@code mask} (all of size 1); x itself for mask 0. */
    static Tensor squeezeMask(Tensor x, int mask) {
        Context c = Context.get();
        x.checkValid();
        if (mask == 0) {
            return x;
        }
        int k = 0;
        for (int d = 0; d < x.rank(); d++) {
            if ((mask & (1 << d)) == 0) {
                c.shapeB[k] = x.size(d);
                c.stridesA[k++] = x.stride(d);
            }
        }
        Tensor out = c.resultArena(x).view(x, k, c.shapeB, c.stridesA, 0);
        if (c.tracks(x)) {
            c.begin(SQUEEZE).in(x).attr(0, mask).commit(out);
        }
        return out;
    }

    /** x with size-1 dims inserted at the result dims in {@code mask}, the result having rank {@code rank}. */
    static Tensor unsqueezeMask(Tensor x, int mask, int rank) {
        Context c = Context.get();
        x.checkValid();
        if (mask == 0) {
            return x;
        }
        if (rank > Tensor.MAX_RANK || rank != x.rank() + Integer.bitCount(mask)) {
            throw new IllegalArgumentException("unsqueeze: cannot add " + Integer.bitCount(mask) + " dims to "
                    + x.describe() + " (at most rank " + Tensor.MAX_RANK + ")");
        }
        // Fill from the back so that a new dim's stride is the extent of the dims after it (contiguity is kept).
        int k = x.rank();
        long next = 1;
        for (int d = rank - 1; d >= 0; d--) {
            if ((mask & (1 << d)) != 0) {
                c.shapeB[d] = 1;
                c.stridesA[d] = next;
            } else {
                k--;
                c.shapeB[d] = x.size(k);
                c.stridesA[d] = x.stride(k);
                next = Math.max(x.size(k), 1) * x.stride(k);
            }
        }
        Tensor out = c.resultArena(x).view(x, rank, c.shapeB, c.stridesA, 0);
        if (c.tracks(x)) {
            c.begin(UNSQUEEZE).in(x).attr(0, mask).commit(out);
        }
        return out;
    }

    /** x without its size-1 dims. */
    static Tensor squeeze(Tensor x) {
        x.checkValid();
        int mask = 0;
        for (int d = 0; d < x.rank(); d++) {
            if (x.size(d) == 1) {
                mask |= 1 << d;
            }
        }
        return squeezeMask(x, mask);
    }

    /** x without dim {@code dim} when it has size 1, else x itself (as torch.squeeze(x, dim)). */
    static Tensor squeeze(Tensor x, int dim) {
        x.checkValid();
        int d = Checks.dim("squeeze", x, dim, x.rank());
        return x.rank() == 0 || x.size(d) != 1 ? x : squeezeMask(x, 1 << d);
    }

    /** x with a size-1 dim inserted at {@code dim}, which ranges over {@code -(rank + 1) .. rank}. */
    static Tensor unsqueeze(Tensor x, int dim) {
        x.checkValid();
        int rank = x.rank() + 1;
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("unsqueeze: dim " + dim + " is out of range for " + x.describe()
                    + " (expected " + (-rank) + ".." + (rank - 1) + ")");
        }
        if (rank > Tensor.MAX_RANK) {
            throw new IllegalArgumentException("unsqueeze: " + x.describe() + " already has the maximum rank " + Tensor.MAX_RANK);
        }
        return unsqueezeMask(x, 1 << d, rank);
    }

    // ---------------------------------------------------------------- slice / slice_backward

    /** Attributes: 0 = dim, 1 = first index (normalised), 2 = step. */
    static final Op SLICE = new Op("slice") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            int d = n.iattr(0);
            grads.add(0, sliceBackward(g, d, n.attr(1), n.attr(2), x.size(d)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : sliceOf(t, n.iattr(0), n.attr(1), n.result().size(n.iattr(0)), n.attr(2));
        }
    };

    /**
     * y = zeros with size {@code attr 3} along dim {@code attr 0}, input written at every {@code attr 2}-th index
     * from {@code attr 1}: the adjoint of slice.
     */
    static final Op SLICE_BACKWARD = new Op("slice_backward") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, sliceOf(g, n.iattr(0), n.attr(1), n.input(0).size(n.iattr(0)), n.attr(2)));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : sliceBackward(t, n.iattr(0), n.attr(1), n.attr(2), n.result().size(n.iattr(0)));
        }
    };

    /** The {@code length} indices {@code start, start + step, ...} along dim d of x (all in range). */
    static Tensor sliceOf(Tensor x, int d, long start, long length, long step) {
        Context c = Context.get();
        int r = x.shapeInto(c.shapeB);
        x.stridesInto(c.stridesA);
        c.shapeB[d] = length;
        c.stridesA[d] = x.stride(d) * step;
        Tensor out = c.resultArena(x).view(x, r, c.shapeB, c.stridesA, length == 0 ? 0 : start * x.stride(d));
        if (c.tracks(x)) {
            c.begin(SLICE).in(x).attr(0, d).attr(1, start).attr(2, step).commit(out);
        }
        return out;
    }

    /** slice along dim of [start, end) every step-th index; negative start/end count from the end, end is clamped. */
    static Tensor slice(Tensor x, int dim, long start, long end, long step) {
        x.checkValid();
        Context c = Context.get();
        int d = sliceDim("slice", x, dim);
        x.shapeInto(c.shapeB);
        x.stridesInto(c.stridesA);
        Views.slice(x, d, start, end, step, c.shapeB, c.stridesA); // validates and computes the length
        long s = start < 0 ? start + x.size(d) : start;
        return sliceOf(x, d, s, c.shapeB[d], step);
    }

    /** {@code length} indices from {@code start} (negative counts from the end) along dim. */
    static Tensor narrow(Tensor x, int dim, long start, long length) {
        x.checkValid();
        int d = sliceDim("narrow", x, dim);
        long size = x.size(d);
        long s = start < 0 ? start + size : start;
        if (s < 0 || s > size || length < 0 || length > size - s) {
            throw new IllegalArgumentException("narrow: start " + start + " and length " + length + " do not fit dim " + dim
                    + " of size " + size + " of " + x.describe() + " (expected 0 <= start <= size and start + length <= size)");
        }
        return sliceOf(x, d, s, length, 1);
    }

    private static int sliceDim(String op, Tensor x, int dim) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException(op + ": " + x.describe() + " has no dims to slice (expected rank >= 1)");
        }
        return Checks.dim(op, x, dim, x.rank());
    }

    /** Zeros with g's shape except {@code size} along dim d, with g written at indices start, start + step, ... */
    static Tensor sliceBackward(Tensor g, int d, long start, long step, long size) {
        Context c = Context.get();
        Checks.floating("slice_backward", g);
        int r = g.shapeInto(c.shapeA);
        c.shapeA[d] = size;
        Tensor out = c.result(g, g.dtype(), c.shapeA, r);
        out.fill(0);
        if (g.numel() > 0) {
            TensorArena a = c.resultArena(g);
            out.stridesInto(c.stridesA);
            c.stridesA[d] *= step;
            g.shapeInto(c.shapeB);
            Tensor window = a.view(out, r, c.shapeB, c.stridesA, start * out.stride(d));
            Copy.copy(g, window);
        }
        if (c.tracks(g)) {
            c.begin(SLICE_BACKWARD).in(g).attr(0, d).attr(1, start).attr(2, step).attr(3, size).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- flatten

    /** x with dims {@code startDim..endDim} merged into one (a reshape: a view when x is contiguous). */
    static Tensor flatten(Tensor x, int startDim, int endDim) {
        x.checkValid();
        Context c = Context.get();
        int rank = x.rank();
        if (rank == 0) {
            c.viewShape[0] = 1;
            return ShapeOps.reshape(x, c.viewShape, 1);
        }
        int s = Checks.dim("flatten", x, startDim, rank);
        int e = Checks.dim("flatten", x, endDim, rank);
        if (s > e) {
            throw new IllegalArgumentException("flatten: start dim " + startDim + " comes after end dim " + endDim + " for " + x.describe());
        }
        int k = 0;
        long merged = 1;
        for (int d = 0; d < rank; d++) {
            if (d < s || d > e) {
                c.viewShape[k++] = x.size(d);
            } else {
                merged *= x.size(d);
                if (d == e) {
                    c.viewShape[k++] = merged;
                }
            }
        }
        return ShapeOps.reshape(x, c.viewShape, k);
    }
}
