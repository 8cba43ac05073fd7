package dev.zerograd.tape;

import dev.zerograd.kernels.Index;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;

/**
 * Indexing with PyTorch's semantics: {@code gather} / {@code scatter_add} and {@code index_select} /
 * {@code index_add}, each pair the other's transpose, plus {@code one_hot} and {@code embedding}. Index
 * tensors are I32 or I64 and never differentiated: they enter the records as inputs that need no gradient.
 *
 * <p>Note [Index transposes]: the VJP of gather is a scatter-add of g into zeros of x's shape, and the VJP
 * of scatter-add is a gather of g (and the identity for the base); index_select and index_add are related
 * the same way. Each rule calls the other op, so in create-graph mode the backward pass records and
 * derivatives of any order exist (all four are linear in their float inputs: their second derivatives are
 * zero, but the gradients of gradients must still flow through them).
 */
final class IndexOps {
    private IndexOps() {}

    /** Attribute 0 = the indexed dim (normalised). Inputs: x, index. */
    static final Op GATHER = new Op("gather") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, scatterAdd(Ops.zerosLike(x), n.iattr(0), n.input(1), g));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : gather(t, n.iattr(0), n.input(1));
        }
    };

    /** out = base + src scattered along dim 0 by index. Attribute 0 = dim. Inputs: base, index, src. */
    static final Op SCATTER_ADD = new Op("scatter_add") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            if (n.needsGrad(0)) {
                grads.add(0, g);
            }
            if (n.needsGrad(2)) {
                grads.add(2, gather(g, n.iattr(0), n.input(1)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor tb = n.tangent(0);
            Tensor ts = n.tangent(2);
            if (ts == null) {
                return tb;
            }
            return scatterAdd(tb == null ? Ops.zerosLike(n.result()) : tb, n.iattr(0), n.input(1), ts);
        }
    };

    /** Attribute 0 = dim. Inputs: x, index (1-D). */
    static final Op INDEX_SELECT = new Op("index_select") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            grads.add(0, indexAdd(Ops.zerosLike(x), n.iattr(0), n.input(1), g));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            return t == null ? null : indexSelect(t, n.iattr(0), n.input(1));
        }
    };

    /** out = base with src's slices added at the indexed positions. Attribute 0 = dim. Inputs: base, index, src. */
    static final Op INDEX_ADD = new Op("index_add") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            if (n.needsGrad(0)) {
                grads.add(0, g);
            }
            if (n.needsGrad(2)) {
                grads.add(2, indexSelect(g, n.iattr(0), n.input(1)));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor tb = n.tangent(0);
            Tensor ts = n.tangent(2);
            if (ts == null) {
                return tb;
            }
            return indexAdd(tb == null ? Ops.zerosLike(n.result()) : tb, n.iattr(0), n.input(1), ts);
        }
    };

    // ---------------------------------------------------------------- checks

    /** A valid I32/I64 tensor. */
    static void indices(String op, String name, Tensor t) {
        t.checkValid();
        if (t.dtype() != DType.I32 && t.dtype() != DType.I64) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must hold integer indices (i32 or i64)");
        }
    }

    /** index has x's rank and no size beyond x's outside dim {@code d}. */
    private static void sameRankWithin(String op, String xName, Tensor x, Tensor index, int d) {
        if (index.rank() != x.rank()) {
            throw new IllegalArgumentException(op + ": index " + index.describe() + " must have the rank of " + xName + " "
                    + x.describe() + " (rank " + x.rank() + ")");
        }
        for (int k = 0; k < x.rank(); k++) {
            if (k != d && index.size(k) > x.size(k)) {
                throw new IllegalArgumentException(op + ": index " + index.describe() + " is larger than " + xName + " "
                        + x.describe() + " at dim " + k + " (only the indexed dim " + d + " may be larger)");
            }
        }
    }

    /** A 1-D (or rank-0) index list. */
    private static void indexList(String op, Tensor index) {
        if (index.rank() > 1) {
            throw new IllegalArgumentException(op + ": index " + index.describe() + " must be 1-D");
        }
    }

    /** The kernel's range error (it names the position, the value and the size) prefixed with the op's name. */
    private static IllegalArgumentException named(String op, IllegalArgumentException e) {
        return new IllegalArgumentException(op + ": " + e.getMessage(), e);
    }

    // ---------------------------------------------------------------- gather / scatter_add

    /** out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (torch.gather); out has index's shape. */
    static Tensor gather(Tensor x, int dim, Tensor index) {
        Context c = Context.get();
        x.checkValid();
        indices("gather", "index", index);
        int d = Checks.dim("gather", x, dim, x.rank());
        sameRankWithin("gather", "x", x, index, d);
        int r = index.shapeInto(c.indexShape);
        Tensor out = c.result(x, x.dtype(), c.indexShape, r);
        try {
            Index.gather(x, d, index, out);
        } catch (IllegalArgumentException e) {
            throw named("gather", e);
        }
        if (c.tracks(x)) {
            c.begin(GATHER).in(x).in(index).attr(0, d).commit(out);
        }
        return out;
    }

    /**
     * base + src scattered along {@code dim}: {@code out[i][index[i][j][k]][k] += src[i][j][k]} for dim 1
     * (torch.scatter_add, out of place). src must have index's shape.
     */
    static Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) {
        Context c = Context.get();
        Checks.floating("scatter_add", base, src);
        indices("scatter_add", "index", index);
        int d = Checks.dim("scatter_add", base, dim, base.rank());
        sameRankWithin("scatter_add", "base", base, index, d);
        if (!src.sameShape(index)) {
            throw new IllegalArgumentException("scatter_add: src " + src.describe() + " must have the shape of index "
                    + index.describe());
        }
        Tensor out = c.resultLike(base);
        Checks.copy(base, out);
        try {
            Index.scatterAddInPlace(out, d, index, src);
        } catch (IllegalArgumentException e) {
            throw named("scatter_add", e);
        }
        if (c.tracks(base, src)) {
            c.begin(SCATTER_ADD).in(base).in(index).in(src).attr(0, d).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- index_select / index_add

    /** x's slices along {@code dim} at the positions in the 1-D {@code index}, in that order (torch.index_select). */
    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        Context c = Context.get();
        x.checkValid();
        indices("index_select", "index", index);
        indexList("index_select", index);
        if (x.rank() == 0) {
            throw new IllegalArgumentException("index_select: x " + x.describe() + " must have at least one dim");
        }
        int d = Checks.dim("index_select", x, dim, x.rank());
        int r = x.shapeInto(c.indexShape);
        c.indexShape[d] = index.numel();
        Tensor out = c.result(x, x.dtype(), c.indexShape, r);
        try {
            Index.indexSelect(x, d, index, out);
        } catch (IllegalArgumentException e) {
            throw named("index_select", e);
        }
        if (c.tracks(x)) {
            c.begin(INDEX_SELECT).in(x).in(index).attr(0, d).commit(out);
        }
        return out;
    }

    /**
     * base with {@code src[..., i, ...]} added to {@code base[..., index[i], ...]} along {@code dim} (torch.index_add,
     * out of place); repeated indices accumulate. src has base's shape with size(dim) = numel(index).
     */
    static Tensor indexAdd(Tensor base, int dim, Tensor index, Tensor src) {
        Context c = Context.get();
        Checks.floating("index_add", base, src);
        indices("index_add", "index", index);
        indexList("index_add", index);
        if (base.rank() == 0) {
            throw new IllegalArgumentException("index_add: base " + base.describe() + " must have at least one dim");
        }
        int d = Checks.dim("index_add", base, dim, base.rank());
        boolean ok = src.rank() == base.rank();
        for (int k = 0; ok && k < base.rank(); k++) {
            ok = src.size(k) == (k == d ? index.numel() : base.size(k));
        }
        if (!ok) {
            throw new IllegalArgumentException("index_add: src " + src.describe() + " must have the shape of base " + base.describe()
                    + " with size " + index.numel() + " (the number of indices in " + index.describe() + ") at dim " + d);
        }
        Tensor out = c.resultLike(base);
        Checks.copy(base, out);
        try {
            Index.indexAddInPlace(out, d, index, src);
        } catch (IllegalArgumentException e) {
            throw named("index_add", e);
        }
        if (c.tracks(base, src)) {
            c.begin(INDEX_ADD).in(base).in(index).in(src).attr(0, d).commit(out);
        }
        return out;
    }

    // ---------------------------------------------------------------- one_hot, embedding (not primitives)

    /** labels' shape plus a last dim of {@code numClasses}: 1 at each label, 0 elsewhere. Not differentiable. */
    static Tensor oneHot(Tensor labels, int numClasses, DType dtype) {
        Context c = Context.get();
        indices("one_hot", "labels", labels);
        if (numClasses < 1) {
            throw new IllegalArgumentException("one_hot: numClasses " + numClasses + " for labels " + labels.describe()
                    + " must be at least 1");
        }
        if (dtype == DType.F16 || dtype == DType.BF16) {
            throw new IllegalArgumentException("one_hot: dtype " + dtype + " for labels " + labels.describe()
                    + " is not supported (expected f32, f64, i32 or i64)");
        }
        if (labels.rank() >= Tensor.MAX_RANK) {
            throw new IllegalArgumentException("one_hot: labels " + labels.describe() + " have rank " + labels.rank()
                    + "; the result would exceed the maximum rank " + Tensor.MAX_RANK);
        }
        int r = labels.shapeInto(c.indexShape);
        c.indexShape[r] = numClasses;
        Tensor out = c.result(labels, dtype, c.indexShape, r + 1);
        try {
            Index.oneHot(labels, numClasses, out);
        } catch (IllegalArgumentException e) {
            throw named("one_hot", e);
        }
        return out;
    }

    /**
     * Rows of {@code weight [V, D]} picked by {@code indices} of any shape: the result has indices' shape plus
     * D. Composite: an index_select over dim 0 with the flattened indices, then a reshape.
     */
    static Tensor embedding(Tensor weight, Tensor indices) {
        Context c = Context.get();
        weight.checkValid();
        indices("embedding", "indices", indices);
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("embedding: weight " + weight.describe() + " must be 2-D [numEmbeddings, dim]");
        }
        if (indices.rank() >= Tensor.MAX_RANK) {
            throw new IllegalArgumentException("embedding: indices " + indices.describe() + " have rank " + indices.rank()
                    + "; the result would exceed the maximum rank " + Tensor.MAX_RANK);
        }
        int r = indices.rank();
        Tensor flat = r == 1 ? indices : flatten(c, indices);
        Tensor rows = indexSelect(weight, 0, flat);
        if (r == 1) {
            return rows;
        }
        indices.shapeInto(c.indexShape);
        c.indexShape[r] = weight.size(1);
        return Ops.reshape(rows, c.indexShape, r + 1);
    }

    /** A 1-D view of an integer tensor's elements in row-major order (a contiguous copy first when it is strided). */
    private static Tensor flatten(Context c, Tensor t) {
        if (!t.isContiguous()) {
            int r = t.shapeInto(c.indexShape);
            Tensor copy = c.result(t, t.dtype(), c.indexShape, r);
            Checks.copy(t, copy);
            t = copy;
        }
        c.indexShape[0] = t.numel();
        c.indexStrides[0] = 1;
        return c.resultArena(t).view(t, 1, c.indexShape, c.indexStrides, 0);
    }
}
