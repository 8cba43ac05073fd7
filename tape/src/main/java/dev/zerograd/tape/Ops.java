package dev.zerograd.tape;

import dev.zerograd.kernels.BinaryOp;
import dev.zerograd.kernels.UnaryOp;
import dev.zerograd.memory.Tensor;

/**
 * The differentiable operations, as static functions ({@code import static dev.zerograd.tape.Ops.*}).
 * Results go to the recording tape's arena (Note [Where results live] in {@link Context}); when a tape is
 * recording and an input requires a gradient, the op is recorded. Binary ops broadcast NumPy-style. Every
 * function checks its inputs and names itself, the shapes and dtypes in its exceptions.
 *
 * <p>Each section delegates to one op family, where the forward function, VJP and JVP live together.
 */
public final class Ops {
    private Ops() {}

    // ================================================================ arithmetic (ArithOps)

    public static Tensor add(Tensor a, Tensor b) { return ArithOps.add(a, b); }
    public static Tensor sub(Tensor a, Tensor b) { return ArithOps.sub(a, b); }
    public static Tensor mul(Tensor a, Tensor b) { return ArithOps.mul(a, b); }
    public static Tensor div(Tensor a, Tensor b) { return ArithOps.div(a, b); }
    /** a^b elementwise (a > 0 where b is not an integer, as for real powers). */
    public static Tensor pow(Tensor a, Tensor b) { return ArithOps.pow(a, b); }
    public static Tensor maximum(Tensor a, Tensor b) { return ArithOps.maximum(a, b); }
    public static Tensor minimum(Tensor a, Tensor b) { return ArithOps.minimum(a, b); }

    /** x + s. */
    public static Tensor add(Tensor x, double s) { return ArithOps.affine(x, 1.0, s); }
    /** x - s. */
    public static Tensor sub(Tensor x, double s) { return ArithOps.affine(x, 1.0, -s); }
    /** s - x. */
    public static Tensor rsub(double s, Tensor x) { return ArithOps.affine(x, -1.0, s); }
    /** x * s. */
    public static Tensor mul(Tensor x, double s) { return ArithOps.affine(x, s, 0.0); }
    /** x / s. */
    public static Tensor div(Tensor x, double s) { return ArithOps.affine(x, 1.0 / s, 0.0); }
    /** alpha * x + beta. */
    public static Tensor affine(Tensor x, double alpha, double beta) { return ArithOps.affine(x, alpha, beta); }

    /** cond != 0 ? a : b, broadcasting all three; cond is not differentiated. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return ArithOps.where(cond, a, b); }
    /** min(max(x, lo), hi). */
    public static Tensor clamp(Tensor x, double lo, double hi) { return ArithOps.clamp(x, lo, hi); }

    /** 1 where a > b else 0 (not differentiable). */
    public static Tensor gt(Tensor a, Tensor b) { return ArithOps.compare("gt", BinaryOp.GT, a, b); }
    public static Tensor ge(Tensor a, Tensor b) { return ArithOps.compare("ge", BinaryOp.GE, a, b); }
    public static Tensor lt(Tensor a, Tensor b) { return ArithOps.compare("lt", BinaryOp.LT, a, b); }
    public static Tensor le(Tensor a, Tensor b) { return ArithOps.compare("le", BinaryOp.LE, a, b); }
    public static Tensor eq(Tensor a, Tensor b) { return ArithOps.compare("eq", BinaryOp.EQ, a, b); }
    public static Tensor ne(Tensor a, Tensor b) { return ArithOps.compare("ne", BinaryOp.NE, a, b); }

    // ================================================================ elementwise functions (UnaryOps)

    public static Tensor neg(Tensor x) { return UnaryOps.apply(UnaryOps.NEG, x, 0); }
    public static Tensor exp(Tensor x) { return UnaryOps.apply(UnaryOps.EXP, x, 0); }
    public static Tensor log(Tensor x) { return UnaryOps.apply(UnaryOps.LOG, x, 0); }
    public static Tensor sqrt(Tensor x) { return UnaryOps.apply(UnaryOps.SQRT, x, 0); }
    public static Tensor rsqrt(Tensor x) { return UnaryOps.apply(UnaryOps.RSQRT, x, 0); }
    public static Tensor abs(Tensor x) { return UnaryOps.apply(UnaryOps.ABS, x, 0); }
    public static Tensor sin(Tensor x) { return UnaryOps.apply(UnaryOps.SIN, x, 0); }
    public static Tensor cos(Tensor x) { return UnaryOps.apply(UnaryOps.COS, x, 0); }
    public static Tensor tanh(Tensor x) { return UnaryOps.apply(UnaryOps.TANH, x, 0); }
    public static Tensor sigmoid(Tensor x) { return UnaryOps.apply(UnaryOps.SIGMOID, x, 0); }
    public static Tensor relu(Tensor x) { return UnaryOps.apply(UnaryOps.RELU, x, 0); }
    /** x for x > 0, slope * x otherwise. */
    public static Tensor leakyRelu(Tensor x, double slope) { return UnaryOps.apply(UnaryOps.LEAKY_RELU, x, slope); }
    /** leakyRelu with slope 0.01. */
    public static Tensor leakyRelu(Tensor x) { return leakyRelu(x, 0.01); }
    /** x for x > 0, alpha (e^x - 1) otherwise. */
    public static Tensor elu(Tensor x, double alpha) { return UnaryOps.apply(UnaryOps.ELU, x, alpha); }
    public static Tensor elu(Tensor x) { return elu(x, 1.0); }
    /** x * sigmoid(x). */
    public static Tensor silu(Tensor x) { return UnaryOps.apply(UnaryOps.SILU, x, 0); }
    /** Exact GELU: x * Phi(x), Phi the standard normal CDF. */
    public static Tensor gelu(Tensor x) { return UnaryOps.apply(UnaryOps.GELU, x, 0); }
    /** GELU's tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    public static Tensor geluTanh(Tensor x) { return UnaryOps.apply(UnaryOps.GELU_TANH, x, 0); }
    /** log(1 + e^(beta x)) / beta (linear above beta x = 20). */
    public static Tensor softplus(Tensor x, double beta) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("softplus: beta must be positive, got " + beta + " for " + x.describe());
        }
        return UnaryOps.apply(UnaryOps.SOFTPLUS, x, beta);
    }
    public static Tensor softplus(Tensor x) { return softplus(x, 1.0); }
    /** x^p for a scalar exponent. */
    public static Tensor pow(Tensor x, double p) { return UnaryOps.apply(UnaryOps.POW_SCALAR, x, p); }
    public static Tensor square(Tensor x) { return UnaryOps.apply(UnaryOps.SQUARE, x, 0); }
    public static Tensor reciprocal(Tensor x) { return UnaryOps.apply(UnaryOps.RECIPROCAL, x, 0); }
    public static Tensor log1p(Tensor x) { return UnaryOps.apply(UnaryOps.LOG1P, x, 0); }
    public static Tensor expm1(Tensor x) { return UnaryOps.apply(UnaryOps.EXPM1, x, 0); }
    public static Tensor erf(Tensor x) { return UnaryOps.apply(UnaryOps.ERF, x, 0); }
    /** -1, 0 or 1 by the sign of x (not differentiable). */
    public static Tensor sign(Tensor x) {
        Checks.floating("sign", x);
        return UnaryOps.mask(UnaryOp.SIGN, x, 0);
    }

    // ================================================================ reductions (ReduceOps)

    /** Sum of all elements (rank 0). */
    public static Tensor sum(Tensor x) { return ReduceOps.sum(x, ReduceOps.all(x.rank()), false); }
    public static Tensor sum(Tensor x, int dim, boolean keepdim) { return ReduceOps.sum(x, ReduceOps.mask("sum", x, oneDim(dim)), keepdim); }
    public static Tensor sum(Tensor x, int[] dims, boolean keepdim) { return ReduceOps.sum(x, ReduceOps.mask("sum", x, dims), keepdim); }
    /** Mean of all elements (rank 0). */
    public static Tensor mean(Tensor x) { return ReduceOps.mean(x, ReduceOps.all(x.rank()), false); }
    public static Tensor mean(Tensor x, int dim, boolean keepdim) { return ReduceOps.mean(x, ReduceOps.mask("mean", x, oneDim(dim)), keepdim); }
    public static Tensor mean(Tensor x, int[] dims, boolean keepdim) { return ReduceOps.mean(x, ReduceOps.mask("mean", x, dims), keepdim); }

    private static int[] oneDim(int dim) {
        int[] d = Context.get().oneDim;
        d[0] = dim;
        return d;
    }

    // ================================================================ shapes (ShapeOps)

    /** x broadcast (stride 0, no copy) to {@code like}'s shape. */
    public static Tensor broadcastTo(Tensor x, Tensor like) { return ShapeOps.broadcastTo(x, like); }
    /** x broadcast to {@code shape} (-1 keeps a size). */
    public static Tensor expand(Tensor x, long... shape) { return ShapeOps.expand(x, shape, shape.length); }
    /** x summed over broadcast dims down to {@code like}'s shape. */
    public static Tensor sumTo(Tensor x, Tensor like) { return ShapeOps.sumTo(x, like); }
    /** x with a new shape (one size may be -1); a view when x is contiguous. */
    public static Tensor reshape(Tensor x, long... shape) { return ShapeOps.reshape(x, shape, shape.length); }
    /** reshape to the first {@code rank} sizes of {@code shape} (allocation-free form). */
    public static Tensor reshape(Tensor x, long[] shape, int rank) { return ShapeOps.reshape(x, shape, rank); }
    /** x with {@code like}'s shape. */
    public static Tensor reshapeAs(Tensor x, Tensor like) { return ShapeOps.reshapeAs(x, like); }
    /** Alias of {@link #reshape(Tensor, long...)}. */
    public static Tensor view(Tensor x, long... shape) { return reshape(x, shape); }
    /** x itself when contiguous, else a contiguous copy. */
    public static Tensor contiguous(Tensor x) { return ShapeOps.contiguous(x); }
    /** A contiguous copy of x (the identity for gradients). */
    public static Tensor copy(Tensor x) { return ShapeOps.copy(x); }

    /** A view of x's bytes that is cut from autograd: no gradient flows through it, and it carries no tangent. */
    public static Tensor detach(Tensor x) {
        x.checkValid();
        Context c = Context.get();
        int r = x.shapeInto(c.shapeB);
        x.stridesInto(c.stridesA);
        return c.resultArena(x).view(x, r, c.shapeB, c.stridesA, 0);
    }

    /** Zeros shaped like x, in the result arena (never requires a gradient). */
    public static Tensor zerosLike(Tensor x) {
        Tensor t = Context.get().resultLike(x);
        t.fill(0);
        return t;
    }

    /** Ones shaped like x, in the result arena. */
    public static Tensor onesLike(Tensor x) {
        Tensor t = Context.get().resultLike(x);
        t.fill(1);
        return t;
    }

    /** A tensor shaped like x filled with v, in the result arena. */
    public static Tensor fullLike(Tensor x, double v) {
        Tensor t = Context.get().resultLike(x);
        t.fill(v);
        return t;
    }

    // ================================================================ linear algebra (MatMulOps)

    /** NumPy matmul: 2-D products, batched products with broadcast batch dims, and 1-D operands as vectors. */
    public static Tensor matmul(Tensor a, Tensor b) { return MatMulOps.matmul(a, b); }
    /** op(a) @ op(b), op transposing the last two dims when its flag is set (no copy: the flag goes to GEMM). */
    public static Tensor matmul(Tensor a, boolean transposeA, Tensor b, boolean transposeB) {
        return MatMulOps.matmul(a, transposeA, b, transposeB);
    }

    // ================================================================ more reductions, views and joins (ReduceOps, ViewOps, JoinOps)

    /** The max of all elements (rank 0); the gradient is split evenly among tied maxima (Note [Max gradients] in ReduceOps). */
    public static Tensor max(Tensor x) { return ReduceOps.extremum(ReduceOps.AMAX, "max", true, x, ReduceOps.all(x.rank()), false); }
    /** The min of all elements (rank 0); ties share the gradient evenly. */
    public static Tensor min(Tensor x) { return ReduceOps.extremum(ReduceOps.AMIN, "min", false, x, ReduceOps.all(x.rank()), false); }
    /** The max over {@code dims} (torch.amax); ties share the gradient evenly. */
    public static Tensor amax(Tensor x, int[] dims, boolean keepdim) {
        return ReduceOps.extremum(ReduceOps.AMAX, "amax", true, x, ReduceOps.mask("amax", x, dims), keepdim);
    }
    /** The min over {@code dims} (torch.amin); ties share the gradient evenly. */
    public static Tensor amin(Tensor x, int[] dims, boolean keepdim) {
        return ReduceOps.extremum(ReduceOps.AMIN, "amin", false, x, ReduceOps.mask("amin", x, dims), keepdim);
    }
    /** The max along {@code dim} (torch.max(x, dim) values); the gradient flows to the first maximum only. */
    public static Tensor max(Tensor x, int dim, boolean keepdim) {
        return ReduceOps.extremumAlong(ReduceOps.MAX_DIM, "max", true, x, dim, keepdim, null);
    }
    /** The min along {@code dim}; the gradient flows to the first minimum only. */
    public static Tensor min(Tensor x, int dim, boolean keepdim) {
        return ReduceOps.extremumAlong(ReduceOps.MIN_DIM, "min", false, x, dim, keepdim, null);
    }
    /** {@link #max(Tensor, int, boolean)} with its positions: {@code out[0]} = values, {@code out[1]} = I64 indices; returns the values. */
    public static Tensor maxWithIndices(Tensor x, int dim, boolean keepdim, Tensor[] out) {
        return ReduceOps.extremumAlong(ReduceOps.MAX_DIM, "max", true, x, dim, keepdim, out);
    }
    /** {@link #min(Tensor, int, boolean)} with its positions: {@code out[0]} = values, {@code out[1]} = I64 indices; returns the values. */
    public static Tensor minWithIndices(Tensor x, int dim, boolean keepdim, Tensor[] out) {
        return ReduceOps.extremumAlong(ReduceOps.MIN_DIM, "min", false, x, dim, keepdim, out);
    }
    /** The position (I64) of the first max along {@code dim}; not differentiable. */
    public static Tensor argmax(Tensor x, int dim, boolean keepdim) { return ReduceOps.argExtremum("argmax", true, x, dim, keepdim); }
    /** The position (I64) of the first min along {@code dim}; not differentiable. */
    public static Tensor argmin(Tensor x, int dim, boolean keepdim) { return ReduceOps.argExtremum("argmin", false, x, dim, keepdim); }

    /** Unbiased variance (correction 1) of all elements (rank 0). */
    public static Tensor var(Tensor x) { return ReduceOps.var(x, ReduceOps.all(x.rank()), false, 1); }
    /** sum((x - mean)^2) / (N - correction) along {@code dim}: correction 1 unbiased, 0 the population variance. */
    public static Tensor var(Tensor x, int dim, boolean keepdim, double correction) {
        return ReduceOps.var(x, ReduceOps.mask("var", x, oneDim(dim)), keepdim, correction);
    }
    /** sum((x - mean)^2) / (N - correction) over {@code dims}. */
    public static Tensor var(Tensor x, int[] dims, boolean keepdim, double correction) {
        return ReduceOps.var(x, ReduceOps.mask("var", x, dims), keepdim, correction);
    }
    /** Unbiased standard deviation of all elements: sqrt(var(x)). */
    public static Tensor std(Tensor x) { return ReduceOps.std(x, ReduceOps.all(x.rank()), false, 1); }
    /** sqrt(var(x, dim, keepdim, correction)). */
    public static Tensor std(Tensor x, int dim, boolean keepdim, double correction) {
        return ReduceOps.std(x, ReduceOps.mask("std", x, oneDim(dim)), keepdim, correction);
    }
    /** sqrt(var(x, dims, keepdim, correction)). */
    public static Tensor std(Tensor x, int[] dims, boolean keepdim, double correction) {
        return ReduceOps.std(x, ReduceOps.mask("std", x, dims), keepdim, correction);
    }

    /** A view with dims {@code d0} and {@code d1} swapped. */
    public static Tensor transpose(Tensor x, int d0, int d1) { return ViewOps.transpose(x, d0, d1); }
    /**
     * A view whose dim i is x's dim {@code dims[i]} (negative dims count from the end). Passing an existing
     * array allocates nothing.
     */
    public static Tensor permute(Tensor x, int... dims) { return ViewOps.permute(x, dims, dims.length); }
    /** A view without x's size-1 dims. */
    public static Tensor squeeze(Tensor x) { return ViewOps.squeeze(x); }
    /** A view without dim {@code dim} when its size is 1; x itself otherwise. */
    public static Tensor squeeze(Tensor x, int dim) { return ViewOps.squeeze(x, dim); }
    /** A view with a new size-1 dim at {@code dim} ({@code -(rank + 1) .. rank}). */
    public static Tensor unsqueeze(Tensor x, int dim) { return ViewOps.unsqueeze(x, dim); }
    /** A view of indices {@code [start, end)} along dim (negative values count from the end; end is clamped). */
    public static Tensor slice(Tensor x, int dim, long start, long end) { return ViewOps.slice(x, dim, start, end, 1); }
    /** A view of every {@code step}-th index of {@code [start, end)} along dim. */
    public static Tensor slice(Tensor x, int dim, long start, long end, long step) { return ViewOps.slice(x, dim, start, end, step); }
    /** A view of {@code length} indices from {@code start} along dim (torch.narrow). */
    public static Tensor narrow(Tensor x, int dim, long start, long length) { return ViewOps.narrow(x, dim, start, length); }
    /** x as one dim (rank 1). */
    public static Tensor flatten(Tensor x) { return ViewOps.flatten(x, 0, -1); }
    /** x with dims {@code startDim..endDim} merged (a reshape: a view when x is contiguous, else a copy). */
    public static Tensor flatten(Tensor x, int startDim, int endDim) { return ViewOps.flatten(x, startDim, endDim); }

    /** The tensors (at most 256) joined along {@code dim} (a fresh copy); every other dim must match. */
    public static Tensor concat(Tensor[] xs, int dim) { return JoinOps.concat(xs, xs.length, dim); }
    /** The first {@code count} tensors of {@code xs} joined along {@code dim} (for reused arrays). */
    public static Tensor concat(Tensor[] xs, int count, int dim) { return JoinOps.concat(xs, count, dim); }
    /** Tensors (at most 256) of one shape joined along a new dim {@code dim} (a fresh copy). */
    public static Tensor stack(Tensor[] xs, int dim) { return JoinOps.stack(xs, xs.length, dim); }
    /** The first {@code count} tensors of {@code xs} stacked along a new dim {@code dim}. */
    public static Tensor stack(Tensor[] xs, int count, int dim) { return JoinOps.stack(xs, count, dim); }
    /**
     * Views of at most {@code splitSize} indices along dim (the last may be shorter). Allocates the returned
     * array; {@link #split(Tensor, long, int, Tensor[])} does not.
     */
    public static Tensor[] split(Tensor x, long splitSize, int dim) {
        Tensor[] out = new Tensor[JoinOps.pieces("split", x, dim, splitSize)];
        JoinOps.split(x, splitSize, dim, out);
        return out;
    }
    /** {@link #split(Tensor, long, int)} into {@code out}; returns the number of pieces. Allocation-free. */
    public static int split(Tensor x, long splitSize, int dim, Tensor[] out) { return JoinOps.split(x, splitSize, dim, out); }
    /** Views of the given sizes (summing to the dim's size) along dim. Allocates the returned array. */
    public static Tensor[] split(Tensor x, long[] sizes, int dim) {
        Tensor[] out = new Tensor[sizes.length];
        JoinOps.split(x, sizes, dim, out);
        return out;
    }
    /** {@link #split(Tensor, long[], int)} into {@code out}; returns the number of pieces. Allocation-free. */
    public static int split(Tensor x, long[] sizes, int dim, Tensor[] out) { return JoinOps.split(x, sizes, dim, out); }
    /**
     * torch.chunk: views of ceil(size / chunks) indices along dim; fewer than {@code chunks} pieces when they
     * run out. Allocates the returned array; {@link #chunk(Tensor, int, int, Tensor[])} does not.
     */
    public static Tensor[] chunk(Tensor x, int chunks, int dim) {
        Tensor[] out = new Tensor[JoinOps.chunkCount(x, chunks, dim)];
        JoinOps.chunk(x, chunks, dim, out);
        return out;
    }
    /** {@link #chunk(Tensor, int, int)} into {@code out}; returns the number of pieces. Allocation-free. */
    public static int chunk(Tensor x, int chunks, int dim, Tensor[] out) { return JoinOps.chunk(x, chunks, dim, out); }

    // ================================================================ indexing, softmax and losses (IndexOps, SoftmaxOps, LossOps)

    /**
     * torch.gather: {@code out[i][j][k] = x[i][index[i][j][k]][k]} for dim 1 (likewise for other dims). index is
     * I32/I64 with x's rank and no size beyond x's outside dim; the result has index's shape.
     */
    public static Tensor gather(Tensor x, int dim, Tensor index) { return IndexOps.gather(x, dim, index); }
    /** base + src scattered along dim (torch.scatter_add, out of place): {@code out[i][index[i][j][k]][k] += src[i][j][k]}; src has index's shape. */
    public static Tensor scatterAdd(Tensor base, int dim, Tensor index, Tensor src) { return IndexOps.scatterAdd(base, dim, index, src); }
    /** x's slices along dim at the positions of the 1-D index, in order (torch.index_select). */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) { return IndexOps.indexSelect(x, dim, index); }
    /** base with src's slices added at the positions of the 1-D index along dim (torch.index_add, out of place). */
    public static Tensor indexAdd(Tensor base, int dim, Tensor index, Tensor src) { return IndexOps.indexAdd(base, dim, index, src); }
    /** labels' shape plus a last dim of numClasses, 1 at each label (f32, f64, i32 or i64; not differentiable). */
    public static Tensor oneHot(Tensor labels, int numClasses, dev.zerograd.memory.DType dtype) { return IndexOps.oneHot(labels, numClasses, dtype); }
    /** Rows of weight [V, D] picked by indices of any shape (I32/I64): the result has indices' shape plus D. */
    public static Tensor embedding(Tensor weight, Tensor indices) { return IndexOps.embedding(weight, indices); }

    /** exp(x) / sum_dim exp(x), computed stably (the row max is subtracted first). */
    public static Tensor softmax(Tensor x, int dim) { return SoftmaxOps.softmax(x, dim); }
    /** x - log sum_dim exp(x), computed stably (never log of softmax). */
    public static Tensor logSoftmax(Tensor x, int dim) { return SoftmaxOps.logSoftmax(x, dim); }

    /** The ignoreIndex of {@link #crossEntropy} and {@link #nllLoss} that ignores no label. */
    public static final long NO_IGNORE_INDEX = LossOps.NO_IGNORE;

    /** mean((pred - target)^2); pred and target have one shape. */
    public static Tensor mseLoss(Tensor pred, Tensor target) { return LossOps.mseLoss(pred, target, Reduction.MEAN); }
    public static Tensor mseLoss(Tensor pred, Tensor target, Reduction reduction) { return LossOps.mseLoss(pred, target, reduction); }
    /** Mean cross-entropy of logits [N, C] against labels [N] (I32/I64 in [0, C)); one fused op. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels) {
        return LossOps.crossEntropy(logits, labels, Reduction.MEAN, 0, NO_IGNORE_INDEX);
    }
    /**
     * Cross-entropy with label smoothing s in [0, 1) (the target is (1 - s) one_hot + s / C) and an ignored label
     * value (rows holding it contribute 0 and do not count toward the mean; {@link #NO_IGNORE_INDEX} for none).
     * NONE gives the per-row losses [N].
     */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, Reduction reduction, double labelSmoothing, long ignoreIndex) {
        return LossOps.crossEntropy(logits, labels, reduction, labelSmoothing, ignoreIndex);
    }
    /** Mean of -logProbs[i, labels[i]] over the rows of logProbs [N, C]. */
    public static Tensor nllLoss(Tensor logProbs, Tensor labels) { return LossOps.nllLoss(logProbs, labels, Reduction.MEAN, NO_IGNORE_INDEX); }
    public static Tensor nllLoss(Tensor logProbs, Tensor labels, Reduction reduction, long ignoreIndex) {
        return LossOps.nllLoss(logProbs, labels, reduction, ignoreIndex);
    }
    /** Mean of -(t log p + (1 - t) log(1 - p)) for probabilities p in (0, 1), each log clamped below at -100. */
    public static Tensor binaryCrossEntropy(Tensor p, Tensor target) { return LossOps.binaryCrossEntropy(p, target, Reduction.MEAN); }
    public static Tensor binaryCrossEntropy(Tensor p, Tensor target, Reduction reduction) { return LossOps.binaryCrossEntropy(p, target, reduction); }
    /** Mean binary cross-entropy of sigmoid(logits), computed stably as max(x, 0) - x t + log1p(exp(-|x|)). */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target) {
        return LossOps.binaryCrossEntropyWithLogits(logits, target, Reduction.MEAN);
    }
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction) {
        return LossOps.binaryCrossEntropyWithLogits(logits, target, reduction);
    }

    // ==== convolution, pooling, normalization, dropout (ConvOps, PoolOps, NormOps, DropoutOps)

    /**
     * 2-D convolution (cross-correlation) of x [N, Cin, H, W] with w [Cout, Cin, kH, kW] plus an optional bias
     * [Cout], with the same stride and zero padding in both dims: [N, Cout, Ho, Wo], Ho = (H + 2 padding - kH) / stride + 1.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor biasOrNull, int stride, int padding) {
        return ConvOps.conv2d(x, w, biasOrNull, stride, stride, padding, padding, 1, 1, 1);
    }
    /**
     * The general 2-D convolution: w is [Cout, Cin / groups, kH, kW] (input and output channels split into
     * {@code groups} independent convolutions), Ho = (H + 2 padH - dilationH (kH - 1) - 1) / strideH + 1.
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor biasOrNull, int strideH, int strideW, int padH, int padW,
                                int dilationH, int dilationW, int groups) {
        return ConvOps.conv2d(x, w, biasOrNull, strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }
    /** Max over kernel x kernel windows of x [N, C, H, W], moved by stride (no padding, dilation 1). */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride) { return PoolOps.maxPool2d(x, kernel, kernel, stride, stride, 0, 0, 1, 1); }
    /** Max pooling with padding (as -infinity, at most half the kernel) and dilation; the gradient goes to the chosen element. */
    public static Tensor maxPool2d(Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        return PoolOps.maxPool2d(x, kH, kW, sH, sW, pH, pW, dH, dW);
    }
    /** Mean over kernel x kernel windows of x [N, C, H, W], moved by stride (no padding). */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride) { return PoolOps.avgPool2d(x, kernel, kernel, stride, stride, 0, 0, true); }
    /** Average pooling with zero padding (at most half the kernel), dividing by the whole window or, without countIncludePad, its part inside x. */
    public static Tensor avgPool2d(Tensor x, int kH, int kW, int sH, int sW, int pH, int pW, boolean countIncludePad) {
        return PoolOps.avgPool2d(x, kH, kW, sH, sW, pH, pW, countIncludePad);
    }
    /** Global average pooling: [N, C, H, W] -> [N, C, 1, 1]. */
    public static Tensor adaptiveAvgPool2d1x1(Tensor x) { return PoolOps.adaptiveAvgPool1x1(x); }
    /**
     * Batch normalization of x [N, C, *] per channel: (x - mean) / sqrt(var + eps) * gamma + beta (gamma, beta
     * [C] or null). Training: batch statistics (biased variance), and the running statistics, when given, are
     * updated in place (r = (1 - momentum) r + momentum stat, unbiased variance; not recorded). Evaluation: the
     * running statistics, which must be given, and the op is an affine map of x.
     */
    public static Tensor batchNorm(Tensor x, Tensor gammaOrNull, Tensor betaOrNull, Tensor runningMeanOrNull, Tensor runningVarOrNull,
                                   boolean training, double momentum, double eps) {
        return NormOps.batchNorm(x, gammaOrNull, betaOrNull, runningMeanOrNull, runningVarOrNull, training, momentum, eps);
    }
    /** Layer normalization over the last normalizedDims dims of x; gamma and beta (or null) have those dims' shape. */
    public static Tensor layerNorm(Tensor x, int normalizedDims, Tensor gammaOrNull, Tensor betaOrNull, double eps) {
        return NormOps.layerNorm(x, normalizedDims, gammaOrNull, betaOrNull, eps);
    }
    /**
     * Inverted dropout: in training, each element kept with probability 1 - p and scaled by 1 / (1 - p), the mask a
     * pure function of (seed, stream, position); in evaluation or for p == 0, x itself (no copy, not recorded).
     */
    public static Tensor dropout(Tensor x, double p, long seed, int stream, boolean training) {
        return DropoutOps.dropout(x, p, seed, stream, training);
    }
}
