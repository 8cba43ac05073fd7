package dev.zerograd.tape;

import dev.zerograd.kernels.Copy;
import dev.zerograd.kernels.Elementwise;
import dev.zerograd.kernels.Norm;
import dev.zerograd.kernels.UnaryOp;
import dev.zerograd.memory.Tensor;

/**
 * Batch normalization (statistics per channel over {@code [N, C, *]}) and layer normalization (statistics per
 * row over the trailing dims), with optional affine parameters, through the fused kernels of {@link Norm}:
 * <pre>
 * y = xhat * gamma + beta,   xhat = (x - mean) * invstd,   invstd = 1 / sqrt(var + eps)   (var biased)
 * </pre>
 * Inputs of both ops: x, then gamma and beta when given (attribute 0 = which: bit 0 gamma, bit 1 beta);
 * saved 0, 1 = mean and invstd as the forward pass computed them; scalar 0 = eps.
 *
 * <p>Note [Normalization backward]: with M values per statistic and sums over them,
 * <pre>
 * dx = invstd * (g' - mean(g') - xhat * mean(g' xhat)),   g' = g * gamma
 * dgamma = sum(g xhat),   dbeta = sum(g)
 * </pre>
 * A first-order backward pass that is not itself recorded runs the fused backward kernel: one pass for all
 * three gradients. When the backward pass is differentiated (create-graph mode, or forward-over-reverse with
 * tangents on g, x or gamma), the same formulas run as ops, with mean and invstd recomputed from x by ops so
 * that their dependence on x is on the tape; derivatives of every order then come from the primitives' rules.
 * Both paths compute the same values; GradCheck's first-order check exercises the fused one and its
 * second-order check the composite one. The JVP writes the differential of the forward formula with ops, on
 * the saved statistics, or on statistics recomputed by ops when the JVP itself is recorded for differentiation
 * (reverse-over-forward).
 *
 * <p>Batch norm in evaluation mode normalizes with the running statistics, constants to autodiff: it is the
 * per-channel affine map {@code x * (gamma invstd) + ...}, whose x-gradient is {@code g * gamma * invstd}.
 * Its saved mean and invstd are copies made at forward, so a later training step that updates the running
 * statistics in place does not change this record's gradient.
 */
final class NormOps {
    private NormOps() {}

    private static final int GAMMA = 1;
    private static final int BETA = 2;

    /** Attribute 1 = training (1: batch statistics, 0: running statistics). */
    static final Op BATCH_NORM = new Op("batch_norm") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            int gi = gammaIndex(n);
            int bi = betaIndex(n);
            Tensor gamma = gi < 0 ? null : n.input(gi);
            boolean training = n.attr(1) != 0;
            boolean wantX = n.needsGrad(0);
            boolean wantGamma = gi >= 0 && n.needsGrad(gi);
            boolean wantBeta = bi >= 0 && n.needsGrad(bi);
            Context c = Context.get();
            if (training && !differentiated(c, g, x, gamma)) {
                Tensor dx = wantX ? c.resultLike(x) : null;
                Tensor dgamma = wantGamma ? c.resultLike(gamma) : null;
                Tensor dbeta = wantBeta ? c.resultLike(n.input(bi)) : null;
                Norm.batchNormBackward(g, x, gamma, n.saved(0), n.saved(1), dx, dgamma, dbeta);
                addAll(grads, dx, gi, dgamma, bi, dbeta);
                return;
            }
            int mask = channelStats(x);
            Tensor[] stats = statistics(n, x, mask, true, training, wantGamma);
            Tensor xc = stats[0];
            Tensor invstd = stats[1];
            if (wantBeta) {
                grads.add(bi, ReduceOps.sum(g, mask, false));
            }
            Tensor xhat = xc == null ? null : Ops.mul(xc, invstd);
            if (wantGamma) {
                grads.add(gi, ReduceOps.sum(Ops.mul(g, xhat), mask, false));
            }
            if (wantX) {
                if (training) {
                    Tensor gg = gamma == null ? g : Ops.mul(g, channelView(gamma, x));
                    grads.add(0, normalizedGradient(gg, xhat, invstd, mask));
                } else {
                    Tensor scale = gamma == null ? invstd : Ops.mul(channelView(gamma, x), invstd);
                    grads.add(0, Ops.mul(g, scale));
                }
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor x = n.input(0);
            int gi = gammaIndex(n);
            int bi = betaIndex(n);
            Tensor tx = n.tangent(0);
            Tensor tgamma = gi < 0 ? null : n.tangent(gi);
            Tensor tbeta = bi < 0 ? null : n.tangent(bi);
            boolean training = n.attr(1) != 0;
            int mask = channelStats(x);
            Tensor[] stats = statistics(n, x, mask, true, training && Context.get().tracks(x), (training && tx != null) || tgamma != null);
            Tensor invstd = stats[1];
            Tensor xhat = stats[0] == null ? null : Ops.mul(stats[0], invstd);
            Tensor t = null;
            if (tx != null) {
                Tensor txhat = training ? normalizedGradient(tx, xhat, invstd, mask) : Ops.mul(tx, invstd);
                t = gi < 0 ? txhat : Ops.mul(txhat, channelView(n.input(gi), x));
            }
            if (tgamma != null) {
                t = ArithOps.plus(t, Ops.mul(xhat, channelView(tgamma, x)));
            }
            if (tbeta != null) {
                t = ArithOps.plus(t, ArithOps.toResult(channelView(tbeta, x), n));
            }
            return t;
        }
    };

    /** Attribute 1 = the number of normalized trailing dims. Saved statistics have x's rank, 1 in the normalized dims. */
    static final Op LAYER_NORM = new Op("layer_norm") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor x = n.input(0);
            int normDims = n.iattr(1);
            int gi = gammaIndex(n);
            int bi = betaIndex(n);
            Tensor gamma = gi < 0 ? null : n.input(gi);
            boolean wantX = n.needsGrad(0);
            boolean wantGamma = gi >= 0 && n.needsGrad(gi);
            boolean wantBeta = bi >= 0 && n.needsGrad(bi);
            Context c = Context.get();
            if (!differentiated(c, g, x, gamma)) {
                Tensor dx = wantX ? c.resultLike(x) : null;
                Tensor dgamma = wantGamma ? c.resultLike(gamma) : null;
                Tensor dbeta = wantBeta ? c.resultLike(n.input(bi)) : null;
                Norm.layerNormBackward(g, x, normDims, gamma, n.saved(0), n.saved(1), dx, dgamma, dbeta);
                addAll(grads, dx, gi, dgamma, bi, dbeta);
                return;
            }
            int mask = rowStats(x, normDims);
            Tensor[] stats = statistics(n, x, mask, false, true, true);
            Tensor invstd = stats[1];
            Tensor xhat = Ops.mul(stats[0], invstd);
            if (wantBeta) {
                grads.addReduced(bi, g);
            }
            if (wantGamma) {
                grads.addReduced(gi, Ops.mul(g, xhat));
            }
            if (wantX) {
                grads.add(0, normalizedGradient(gamma == null ? g : Ops.mul(g, gamma), xhat, invstd, mask));
            }
        }
        @Override public Tensor jvp(Node n) {
            Tensor x = n.input(0);
            int gi = gammaIndex(n);
            int bi = betaIndex(n);
            Tensor tx = n.tangent(0);
            Tensor tgamma = gi < 0 ? null : n.tangent(gi);
            Tensor tbeta = bi < 0 ? null : n.tangent(bi);
            int mask = rowStats(x, n.iattr(1));
            Tensor[] stats = statistics(n, x, mask, false, Context.get().tracks(x), tx != null || tgamma != null);
            Tensor invstd = stats[1];
            Tensor xhat = stats[0] == null ? null : Ops.mul(stats[0], invstd);
            Tensor t = null;
            if (tx != null) {
                Tensor txhat = normalizedGradient(tx, xhat, invstd, mask);
                t = gi < 0 ? txhat : Ops.mul(txhat, n.input(gi));
            }
            if (tgamma != null) {
                t = ArithOps.plus(t, Ops.mul(xhat, tgamma));
            }
            if (tbeta != null) {
                t = ArithOps.plus(t, ArithOps.toResult(tbeta, n));
            }
            return t;
        }
    };

    // ---------------------------------------------------------------- rules' helpers

    /** invstd * (v - mean(v) - xhat * mean(v xhat)), the means over {@code mask} (Note [Normalization backward]). */
    private static Tensor normalizedGradient(Tensor v, Tensor xhat, Tensor invstd, int mask) {
        Tensor centered = Ops.sub(v, ReduceOps.mean(v, mask, true));
        Tensor projected = Ops.sub(centered, Ops.mul(xhat, ReduceOps.mean(Ops.mul(v, xhat), mask, true)));
        return Ops.mul(projected, invstd);
    }

    /**
     * x - mean (when {@code centered}, else null) and invstd, both broadcasting against x, in a scratch pair
     * (read it at once). With {@code recompute} they are computed from x by ops, so that a rule whose own ops
     * are differentiated (create-graph, reverse-over-forward) sees their dependence on x; otherwise they come
     * from the statistics saved at forward, constants (Note [Normalization backward]).
     */
    private static Tensor[] statistics(Node n, Tensor x, int mask, boolean batch, boolean recompute, boolean centered) {
        Tensor[] pair = Context.get().normPair;
        if (recompute) {
            Tensor xc = Ops.sub(x, ReduceOps.mean(x, mask, true));
            pair[1] = Ops.rsqrt(Ops.add(ReduceOps.mean(Ops.square(xc), mask, true), n.scalar(0)));
            pair[0] = xc;
            return pair;
        }
        pair[1] = batch ? channelView(n.saved(1), x) : n.saved(1);
        pair[0] = centered ? Ops.sub(x, batch ? channelView(n.saved(0), x) : n.saved(0)) : null;
        return pair;
    }

    /** True when the backward pass itself must be recorded or carry tangents. */
    private static boolean differentiated(Context c, Tensor g, Tensor x, Tensor gamma) {
        return gamma == null ? c.tracks(g, x) : c.tracks(g, x, gamma);
    }

    private static void addAll(Grads grads, Tensor dx, int gi, Tensor dgamma, int bi, Tensor dbeta) {
        if (dx != null) {
            grads.add(0, dx);
        }
        if (dgamma != null) {
            grads.add(gi, dgamma);
        }
        if (dbeta != null) {
            grads.add(bi, dbeta);
        }
    }

    private static int gammaIndex(Node n) {
        return (n.attr(0) & GAMMA) != 0 ? 1 : -1;
    }

    private static int betaIndex(Node n) {
        return (n.attr(0) & BETA) != 0 ? ((n.attr(0) & GAMMA) != 0 ? 2 : 1) : -1;
    }

    /** The reduction mask of batch statistics: every dim but the channel dim 1. */
    private static int channelStats(Tensor x) {
        return ReduceOps.all(x.rank()) & ~2;
    }

    /** The reduction mask of layer statistics: the last {@code normDims} dims. */
    private static int rowStats(Tensor x, int normDims) {
        return ReduceOps.all(x.rank()) & ~ReduceOps.all(x.rank() - normDims);
    }

    /** A per-channel vector [C] viewed as [1, C, 1, ...] with x's rank. */
    private static Tensor channelView(Tensor v, Tensor x) {
        long[] s = Context.get().normShape;
        int r = x.rank();
        for (int d = 0; d < r; d++) {
            s[d] = 1;
        }
        s[1] = v.size(0);
        return Ops.reshape(v, s, r);
    }

    // ---------------------------------------------------------------- forward

    static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, boolean training,
                            double momentum, double eps) {
        Context c = Context.get();
        String op = "batch_norm";
        Checks.floating(op, x);
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": expected x of shape [N, C, *] (at least 2-D, channels in dim 1), got "
                    + x.describe());
        }
        perChannel(op, "gamma", gamma, x);
        perChannel(op, "beta", beta, x);
        perChannel(op, "runningMean", runningMean, x);
        perChannel(op, "runningVar", runningVar, x);
        checkEps(op, eps);
        long channels = x.size(1);
        if (training) {
            if (!Double.isFinite(momentum)) {
                throw new IllegalArgumentException(op + ": momentum " + momentum + " must be finite");
            }
            long m = channels == 0 ? 0 : x.numel() / channels;
            if (m < 2 && channels > 0) {
                throw new IllegalArgumentException(op + ": x " + x.describe() + " has " + m + " value(s) per channel; training"
                        + " mode needs more than 1 to compute batch statistics");
            }
        } else if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException(op + ": evaluation mode normalizes with the running statistics, but runningMean "
                    + (runningMean == null ? "null" : runningMean.describe()) + " and runningVar "
                    + (runningVar == null ? "null" : runningVar.describe()) + " were given for x " + x.describe());
        }
        boolean track = c.tracks(x) || (gamma != null && c.tracks(gamma)) || (beta != null && c.tracks(beta));
        Tensor y = c.resultLike(x);
        long[] s = c.normShape;
        s[0] = channels;
        Tensor mean = null;
        Tensor invstd = null;
        if (training || track) {
            mean = c.result(x, x.dtype(), s, 1);
            invstd = c.result(x, x.dtype(), s, 1);
        }
        if (training) {
            Norm.batchNormTrain(x, gamma, beta, runningMean, runningVar, momentum, eps, y, mean, invstd);
        } else {
            Norm.batchNormEval(x, gamma, beta, runningMean, runningVar, eps, y);
            if (track) {
                Copy.copy(runningMean, mean);
                Elementwise.affine(runningVar, 1.0, eps, invstd);
                Elementwise.unary(UnaryOp.RSQRT, invstd, 0, invstd);
            }
        }
        if (track) {
            Call call = c.begin(BATCH_NORM).in(x);
            if (gamma != null) {
                call.in(gamma);
            }
            if (beta != null) {
                call.in(beta);
            }
            call.save(mean).save(invstd).attr(0, flags(gamma, beta)).attr(1, training ? 1 : 0).scalar(0, eps).commit(y);
        }
        return y;
    }

    static Tensor layerNorm(Tensor x, int normDims, Tensor gamma, Tensor beta, double eps) {
        Context c = Context.get();
        String op = "layer_norm";
        Checks.floating(op, x);
        int r = x.rank();
        if (normDims < 1 || normDims > r) {
            throw new IllegalArgumentException(op + ": normalizedDims " + normDims + " for x " + x.describe() + "; expected 1.."
                    + r + " (the number of trailing dims to normalize over)");
        }
        trailing(op, "gamma", gamma, x, normDims);
        trailing(op, "beta", beta, x, normDims);
        checkEps(op, eps);
        long[] s = c.normShape;
        x.shapeInto(s);
        long d = 1;
        for (int k = r - normDims; k < r; k++) {
            d *= s[k];
            s[k] = 1;
        }
        if (d == 0) {
            throw new IllegalArgumentException(op + ": x " + x.describe() + " has no elements in its last " + normDims
                    + " dim(s); there is nothing to normalize over");
        }
        Tensor mean = c.result(x, x.dtype(), s, r);
        Tensor invstd = c.result(x, x.dtype(), s, r);
        Tensor y = c.resultLike(x);
        Norm.layerNorm(x, normDims, gamma, beta, eps, y, mean, invstd);
        if (c.tracks(x) || (gamma != null && c.tracks(gamma)) || (beta != null && c.tracks(beta))) {
            Call call = c.begin(LAYER_NORM).in(x);
            if (gamma != null) {
                call.in(gamma);
            }
            if (beta != null) {
                call.in(beta);
            }
            call.save(mean).save(invstd).attr(0, flags(gamma, beta)).attr(1, normDims).scalar(0, eps).commit(y);
        }
        return y;
    }

    // ---------------------------------------------------------------- checks

    private static int flags(Tensor gamma, Tensor beta) {
        return (gamma != null ? GAMMA : 0) | (beta != null ? BETA : 0);
    }

    private static void checkEps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps " + eps + " must be finite and >= 0");
        }
    }

    /** A [C] vector of x's dtype and device (or null). */
    private static void perChannel(String op, String name, Tensor v, Tensor x) {
        if (v == null) {
            return;
        }
        Checks.floating(op, x, v);
        if (v.rank() != 1 || v.size(0) != x.size(1)) {
            throw new IllegalArgumentException(op + ": expected " + name + " of shape [" + x.size(1) + "] (one value per channel of x "
                    + x.describe() + "), got " + v.describe());
        }
    }

    /** A tensor shaped like the last {@code normDims} dims of x (or null). */
    private static void trailing(String op, String name, Tensor v, Tensor x, int normDims) {
        if (v == null) {
            return;
        }
        Checks.floating(op, x, v);
        boolean ok = v.rank() == normDims;
        for (int k = 0; ok && k < normDims; k++) {
            ok = v.size(k) == x.size(x.rank() - normDims + k);
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": expected " + name + " shaped like the last " + normDims + " dim(s) of x "
                    + x.describe() + ", got " + v.describe());
        }
    }
}
