package dev.zerograd.tape;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.zerograd.kernels.Losses;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;

/**
 * Losses. Cross-entropy over {@code [N, C]} logits is one fused op (log-softmax, label smoothing, ignored
 * labels and the reduction in one pass); the others are composites of primitives and get their derivatives
 * from them.
 *
 * <p>Note [Cross-entropy derivatives]: with p = softmax(z) per row, m_i = 0 on ignored rows (1 elsewhere),
 * q the smoothed one-hot target and c = 1/count (mean) or 1 (sum), the loss gradient is
 * {@code dL/dz = g c m (p - q)}, computed by the fused op {@code cross_entropy_backward(g, z)}. That op is
 * linear in g, and its derivative in z is the softmax Jacobian {@code diag(p) - p p^T} per row (q is
 * constant), which is symmetric; so for an incoming h its VJP is {@code dg = sum(h * dL/dz at g = 1)} and
 * {@code dz = g c m softmax_backward(h, softmax(z))}, and its JVP is the same expression in the tangents.
 * Both are written with ops, so Hessian-vector products and higher derivatives exist.
 */
final class LossOps {
    private LossOps() {}

    /** The ignoreIndex meaning that no label is ignored. */
    static final long NO_IGNORE = Losses.NO_IGNORE;

    /** PyTorch's floor for the logarithms in binary cross-entropy: log(x) is clamped below at -100. */
    private static final double LOG_FLOOR = -100;
    private static final double LOG_FLOOR_ARG = Math.exp(LOG_FLOOR);

    // ---------------------------------------------------------------- cross-entropy

    /**
     * Inputs: logits [N, C], labels [N]. Saved: log-probabilities. Attributes: 0 = reduction code
     * ({@link Losses#REDUCTION_SUM} / {@link Losses#REDUCTION_MEAN}), 1 = ignoreIndex, 2 = counted rows;
     * scalar 0 = label smoothing. {@link #CROSS_ENTROPY_BACKWARD} shares this layout.
     */
    static final Op CROSS_ENTROPY = new Op("cross_entropy") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            grads.add(0, crossEntropyBackward(g, n.input(0), n.input(1), n.saved(0), n));
        }
        @Override public Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            if (t == null) {
                return null;
            }
            Tensor z = n.input(0);
            return Ops.sum(Ops.mul(crossEntropyBackward(one(z), z, n.input(1), n.saved(0), n), t));
        }
    };

    /** dL/dz = g c m (p - q). Inputs: g (rank 0), logits, labels; saved and attributes as cross_entropy's. */
    static final Op CROSS_ENTROPY_BACKWARD = new Op("cross_entropy_backward") {
        @Override public void vjp(Node n, Tensor h, Grads grads) {
            Tensor z = n.input(1);
            if (n.needsGrad(0)) {
                grads.add(0, Ops.sum(Ops.mul(h, crossEntropyBackward(one(z), z, n.input(2), n.saved(0), n))));
            }
            if (n.needsGrad(1)) {
                grads.add(1, curvature(h, n));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor tg = n.tangent(0);
            Tensor tz = n.tangent(1);
            Tensor a = tg == null ? null : crossEntropyBackward(tg, n.input(1), n.input(2), n.saved(0), n);
            Tensor b = tz == null ? null : curvature(tz, n);
            return ArithOps.plus(a, b);
        }
    };

    /** g c m softmax_backward(v, softmax(z)): the z-derivative of cross_entropy_backward applied to v (symmetric). */
    private static Tensor curvature(Tensor v, Node n) {
        Tensor g = n.input(0);
        Tensor z = n.input(1);
        Tensor labels = n.input(2);
        long ignore = n.attr(1);
        long count = n.attr(2);
        if (count < z.size(0)) {
            v = Ops.mul(v, rowMask(z, labels, ignore, 2));
        }
        Tensor sb = SoftmaxOps.softmaxBackward(v, SoftmaxOps.softmax(z, 1), 1);
        return Ops.mul(sb, n.attr(0) == Losses.REDUCTION_MEAN ? Ops.mul(g, 1.0 / count) : g);
    }

    /** A rank-0 one in z's dtype (the unit upstream gradient). */
    private static Tensor one(Tensor z) {
        Context c = Context.get();
        Tensor t = c.result(z, z.dtype(), c.indexShape, 0);
        t.fill(1);
        return t;
    }

    static Tensor crossEntropy(Tensor logits, Tensor labels, Reduction reduction, double smoothing, long ignoreIndex) {
        Context c = Context.get();
        String op = "cross_entropy";
        long count = checkClassification(op, "logits", logits, labels, ignoreIndex);
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction is null for logits " + logits.describe() + " (expected MEAN, SUM or NONE)");
        }
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException(op + ": label smoothing " + smoothing + " for logits " + logits.describe()
                    + " must be in [0, 1)");
        }
        if (reduction == Reduction.NONE) {
            return perSampleCrossEntropy(logits, labels, smoothing, ignoreIndex, count);
        }
        int code = reduction == Reduction.MEAN ? Losses.REDUCTION_MEAN : Losses.REDUCTION_SUM;
        Tensor logp = c.resultLike(logits);
        Tensor loss = c.result(logits, logits.dtype(), c.indexShape, 0);
        Losses.crossEntropy(logits, labels, smoothing, ignoreIndex, code, logp, loss);
        if (c.tracks(logits)) {
            c.begin(CROSS_ENTROPY).in(logits).in(labels).save(logp)
                    .attr(0, code).attr(1, ignoreIndex).attr(2, count).scalar(0, smoothing).commit(loss);
        }
        return loss;
    }

    /** The fused gradient g c m (p - q), with the reduction, smoothing and ignoreIndex of record {@code n}. */
    private static Tensor crossEntropyBackward(Tensor g, Tensor logits, Tensor labels, Tensor logp, Node n) {
        Context c = Context.get();
        Checks.floating("cross_entropy_backward", g, logits);
        double smoothing = n.scalar(0);
        long ignore = n.attr(1);
        int code = n.iattr(0);
        Tensor out = c.resultLike(logits);
        Losses.crossEntropyBackward(g, logp, labels, smoothing, ignore, code, out);
        if (c.tracks(g, logits)) {
            c.begin(CROSS_ENTROPY_BACKWARD).in(g).in(logits).in(labels).save(logp)
                    .attr(0, code).attr(1, ignore).attr(2, n.attr(2)).scalar(0, smoothing).commit(out);
        }
        return out;
    }

    /** Per-row losses -((1 - s) logp[i, y_i] + s/C sum_c logp[i, c]), 0 on ignored rows; a composite. */
    private static Tensor perSampleCrossEntropy(Tensor logits, Tensor labels, double smoothing, long ignore, long count) {
        long classes = logits.size(1);
        Tensor logp = SoftmaxOps.logSoftmax(logits, 1);
        Tensor loss = Ops.mul(pick(logp, labels, ignore, count), -(1 - smoothing));
        if (smoothing != 0) {
            loss = Ops.sub(loss, Ops.mul(Ops.sum(logp, 1, false), smoothing / classes));
        }
        return count < logits.size(0) ? Ops.mul(loss, rowMask(logits, labels, ignore, 1)) : loss;
    }

    // ---------------------------------------------------------------- nll

    static Tensor nllLoss(Tensor logProbs, Tensor labels, Reduction reduction, long ignoreIndex) {
        String op = "nll_loss";
        long count = checkClassification(op, "logProbs", logProbs, labels, ignoreIndex);
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction is null for logProbs " + logProbs.describe() + " (expected MEAN, SUM or NONE)");
        }
        Tensor loss = Ops.neg(pick(logProbs, labels, ignoreIndex, count));
        if (count < logProbs.size(0)) {
            loss = Ops.mul(loss, rowMask(logProbs, labels, ignoreIndex, 1));
        }
        return switch (reduction) {
            case NONE -> loss;
            case SUM -> Ops.sum(loss);
            case MEAN -> Ops.mul(Ops.sum(loss), count == 0 ? Double.NaN : 1.0 / count);
        };
    }

    /** x[i, y_i] as an [N] tensor (a gather); ignored rows pick class 0 (callers mask them). */
    private static Tensor pick(Tensor x, Tensor labels, long ignore, long count) {
        Context c = Context.get();
        long n = x.size(0);
        Tensor column = labelColumn(c, labels, ignore, count < n);
        Tensor picked = IndexOps.gather(x, 1, column);
        c.indexShape[0] = n;
        return Ops.reshape(picked, c.indexShape, 1);
    }

    /** labels as an [N, 1] index column: a view, or a copy with ignored labels replaced by 0 when {@code anyIgnored}. */
    private static Tensor labelColumn(Context c, Tensor labels, long ignore, boolean anyIgnored) {
        long n = labels.size(0);
        c.indexShape[0] = n;
        c.indexShape[1] = 1;
        if (!anyIgnored) {
            c.indexStrides[0] = labels.stride(0);
            c.indexStrides[1] = 1;
            return c.resultArena(labels).view(labels, 2, c.indexShape, c.indexStrides, 0);
        }
        Tensor col = c.result(labels, DType.I64, c.indexShape, 2);
        for (long i = 0; i < n; i++) {
            long y = label(labels, i);
            col.setDouble(i, 0, y == ignore ? 0 : y);
        }
        return col;
    }

    /** 1 on rows whose label is not ignored, 0 on the others, in {@code like}'s dtype: shape [N] (rank 1) or [N, 1]. */
    private static Tensor rowMask(Tensor like, Tensor labels, long ignore, int rank) {
        Context c = Context.get();
        long n = labels.size(0);
        c.indexShape[0] = n;
        c.indexShape[1] = 1;
        Tensor m = c.result(like, like.dtype(), c.indexShape, rank);
        for (long i = 0; i < n; i++) {
            m.setDoubleFlat(i, label(labels, i) == ignore ? 0 : 1);
        }
        return m;
    }

    /**
     * Checks {@code x [N, C]} (floating) and {@code labels [N]} (I32/I64, each in [0, C) or the ignore index) and
     * returns the number of rows whose label is not ignored.
     */
    private static long checkClassification(String op, String xName, Tensor x, Tensor labels, long ignore) {
        Checks.floating(op, x);
        IndexOps.indices(op, "labels", labels);
        if (x.rank() != 2) {
            throw new IllegalArgumentException(op + ": " + xName + " " + x.describe() + " must be 2-D [N, C]");
        }
        long n = x.size(0);
        long classes = x.size(1);
        if (labels.rank() != 1 || labels.size(0) != n) {
            throw new IllegalArgumentException(op + ": labels " + labels.describe() + " must be 1-D [N] with N = " + n
                    + " (the rows of " + xName + " " + x.describe() + ")");
        }
        long count = 0;
        for (long i = 0; i < n; i++) {
            long y = label(labels, i);
            if (y == ignore) {
                continue;
            }
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException(op + ": label " + y + " at index " + i + " of labels " + labels.describe()
                        + " is outside [0, C) with C = " + classes + " (the classes of " + xName + " " + x.describe() + ")"
                        + (ignore == NO_IGNORE ? "" : " and is not the ignore index " + ignore));
            }
            count++;
        }
        return count;
    }

    /** labels[i] of a 1-D I32/I64 tensor. */
    private static long label(Tensor labels, long i) {
        long off = labels.byteOffset() + i * labels.stride(0) * labels.dtype().byteSize();
        return labels.dtype() == DType.I64 ? labels.segment().get(JAVA_LONG_UNALIGNED, off) : labels.segment().get(JAVA_INT_UNALIGNED, off);
    }

    // ---------------------------------------------------------------- composites: mse, binary cross-entropy

    static Tensor mseLoss(Tensor pred, Tensor target, Reduction reduction) {
        sameShape("mse_loss", "pred", pred, target, reduction);
        return reduce(Ops.square(Ops.sub(pred, target)), reduction);
    }

    /** -(t log p + (1 - t) log(1 - p)), each log clamped below at -100 as in PyTorch. */
    static Tensor binaryCrossEntropy(Tensor p, Tensor target, Reduction reduction) {
        sameShape("binary_cross_entropy", "p", p, target, reduction);
        Tensor a = Ops.mul(target, flooredLog(p));
        Tensor b = Ops.mul(Ops.rsub(1, target), flooredLog(Ops.rsub(1, p)));
        return reduce(Ops.neg(Ops.add(a, b)), reduction);
    }

    /**
     * max(x, 0) - x t + log1p(exp(-|x|)): the binary cross-entropy of sigmoid(x), without overflow for any x.
     * The kinks of max and |x| at 0 cancel: the derivative is sigmoid(x) - t everywhere.
     */
    static Tensor binaryCrossEntropyWithLogits(Tensor x, Tensor target, Reduction reduction) {
        sameShape("binary_cross_entropy_with_logits", "logits", x, target, reduction);
        Tensor loss = Ops.add(Ops.sub(Ops.relu(x), Ops.mul(x, target)), Ops.log1p(Ops.exp(Ops.neg(Ops.abs(x)))));
        return reduce(loss, reduction);
    }

    /**
     * log(x) for x > e^-100, else -100. Written as a double where so that the clamped elements get a zero
     * gradient rather than 0 * (1/0) = NaN at x = 0: log only ever sees x where x is kept, 1 elsewhere.
     */
    private static Tensor flooredLog(Tensor x) {
        Context c = Context.get();
        Tensor threshold = c.result(x, x.dtype(), c.indexShape, 0);
        threshold.fill(LOG_FLOOR_ARG);
        Tensor keep = Ops.gt(x, threshold);
        Tensor unit = c.result(x, x.dtype(), c.indexShape, 0);
        unit.fill(1);
        Tensor floor = c.result(x, x.dtype(), c.indexShape, 0);
        floor.fill(LOG_FLOOR);
        return Ops.where(keep, Ops.log(Ops.where(keep, x, unit)), floor);
    }

    private static void sameShape(String op, String predName, Tensor pred, Tensor target, Reduction reduction) {
        Checks.floating(op, pred, target);
        if (!pred.sameShape(target)) {
            throw new IllegalArgumentException(op + ": " + predName + " " + pred.describe() + " and target " + target.describe()
                    + " must have one shape");
        }
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction is null for " + pred.describe() + " (expected MEAN, SUM or NONE)");
        }
    }

    private static Tensor reduce(Tensor loss, Reduction reduction) {
        return switch (reduction) {
            case NONE -> loss;
            case SUM -> Ops.sum(loss);
            case MEAN -> Ops.mean(loss);
        };
    }
}
