package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;

/**
 * Batch normalization over {@code [N, C, *]} (statistics per channel, over every dim but 1) and layer
 * normalization over the trailing dims, with their backward rules, for F32/F64 tensors of any strides.
 *
 * <pre>
 * y = (x - mean) * invstd * gamma + beta,   invstd = 1 / sqrt(var + eps),   var biased (divided by M)
 * </pre>
 *
 * <p>Statistics accumulate in double, two-pass, for F32 too (see {@link NormTask}). Batch norm runs on the
 * {@link Parallel} pool over channels, layer norm over rows, so no two threads write one element and the
 * results do not depend on the thread count. Outputs may be strided but not broadcast; y (or dx) may be
 * x (or gy) itself, computing in place, since every element is read before it is written.
 */
public final class Norm {
    private Norm() {}

    // ---------------------------------------------------------------- batch norm

    /**
     * Training-mode batch norm. Per channel c, over the M = N * prod(spatial) elements of x[:, c]:
     * mean, biased variance, {@code invstd = 1 / sqrt(var + eps)}, then
     * {@code y = (x - mean) * invstd * gamma + beta}. Running statistics, when given, are updated in place:
     * {@code r = (1 - momentum) * r + momentum * stat}, with the unbiased variance {@code var * M / (M - 1)}
     * for runningVar (as PyTorch).
     *
     * @param x [N, C, *], F32/F64, any strides, at least 2 elements per channel; not modified
     * @param gammaOrNull [C] or null (1); not modified
     * @param betaOrNull [C] or null (0); not modified
     * @param runningMeanOrNull [C] or null; modified
     * @param runningVarOrNull [C] or null; modified
     * @param y x's shape; modified
     * @param saveMean [C]; modified
     * @param saveInvstd [C]; modified
     */
    public static void batchNormTrain(Tensor x, Tensor gammaOrNull, Tensor betaOrNull, Tensor runningMeanOrNull,
                                      Tensor runningVarOrNull, double momentum, double eps, Tensor y, Tensor saveMean,
                                      Tensor saveInvstd) {
        String op = "Norm.batchNormTrain";
        DType dt = batchInput(op, "x", x);
        long c = x.size(1);
        perChannel(op, "gamma", gammaOrNull, c, dt, false);
        perChannel(op, "beta", betaOrNull, c, dt, false);
        perChannel(op, "runningMean", runningMeanOrNull, c, dt, true);
        perChannel(op, "runningVar", runningVarOrNull, c, dt, true);
        perChannel(op, "saveMean", required(op, "saveMean", saveMean), c, dt, true);
        perChannel(op, "saveInvstd", required(op, "saveInvstd", saveInvstd), c, dt, true);
        like(op, "y", y, "x", x, dt);
        checkEps(op, eps);
        if (!Double.isFinite(momentum)) {
            throw new IllegalArgumentException(op + ": momentum " + momentum + " must be finite");
        }
        long m = x.numel() / Math.max(1, c);
        if (m < 2 && c > 0) {
            throw new IllegalArgumentException(op + ": x " + x.describe() + " has " + m + " value(s) per channel; training"
                    + " mode needs more than 1 (the unbiased variance divides by M - 1)");
        }
        NormTask t = start(NormTask.BN_TRAIN, dt, m);
        t.x = x;
        t.y = y;
        t.gamma = gammaOrNull;
        t.beta = betaOrNull;
        t.runMean = runningMeanOrNull;
        t.runVar = runningVarOrNull;
        t.mean = saveMean;
        t.invstd = saveInvstd;
        t.eps = eps;
        t.momentum = momentum;
        t.runs.plan(x, 2, y, 2, null, 0, null, 0);
        run(t, c, 3 * m);
    }

    /**
     * Eval-mode batch norm: {@code y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta}.
     *
     * @param runningMean [C]; not modified
     * @param runningVar [C]; not modified
     * @param y x's shape; modified
     */
    public static void batchNormEval(Tensor x, Tensor gammaOrNull, Tensor betaOrNull, Tensor runningMean, Tensor runningVar,
                                     double eps, Tensor y) {
        String op = "Norm.batchNormEval";
        DType dt = batchInput(op, "x", x);
        long c = x.size(1);
        perChannel(op, "gamma", gammaOrNull, c, dt, false);
        perChannel(op, "beta", betaOrNull, c, dt, false);
        perChannel(op, "runningMean", required(op, "runningMean", runningMean), c, dt, false);
        perChannel(op, "runningVar", required(op, "runningVar", runningVar), c, dt, false);
        like(op, "y", y, "x", x, dt);
        checkEps(op, eps);
        NormTask t = start(NormTask.BN_EVAL, dt, x.numel() / Math.max(1, c));
        t.x = x;
        t.y = y;
        t.gamma = gammaOrNull;
        t.beta = betaOrNull;
        t.runMean = runningMean;
        t.runVar = runningVar;
        t.eps = eps;
        t.runs.plan(x, 2, y, 2, null, 0, null, 0);
        run(t, c, t.m);
    }

    /**
     * Training-mode batch norm backward, with M = N * prod(spatial) and {@code xhat = (x - mean) * invstd}:
     * {@code dbeta = sum gy}, {@code dgamma = sum gy * xhat},
     * {@code dx = gamma * invstd / M * (M * gy - sum gy - xhat * sum(gy * xhat))} (sums per channel).
     * Outputs that are null are not computed.
     *
     * @param gy x's shape, any strides; not modified
     * @param x the forward input; not modified
     * @param saveMean [C] from {@link #batchNormTrain}; not modified
     * @param saveInvstd [C] from {@link #batchNormTrain}; not modified
     * @param dxOrNull x's shape; modified
     * @param dgammaOrNull [C]; modified
     * @param dbetaOrNull [C]; modified
     */
    public static void batchNormBackward(Tensor gy, Tensor x, Tensor gammaOrNull, Tensor saveMean, Tensor saveInvstd,
                                         Tensor dxOrNull, Tensor dgammaOrNull, Tensor dbetaOrNull) {
        String op = "Norm.batchNormBackward";
        DType dt = batchInput(op, "x", x);
        long c = x.size(1);
        likeInput(op, "gy", gy, "x", x, dt);
        perChannel(op, "gamma", gammaOrNull, c, dt, false);
        perChannel(op, "saveMean", required(op, "saveMean", saveMean), c, dt, false);
        perChannel(op, "saveInvstd", required(op, "saveInvstd", saveInvstd), c, dt, false);
        if (dxOrNull != null) {
            like(op, "dx", dxOrNull, "x", x, dt);
        }
        perChannel(op, "dgamma", dgammaOrNull, c, dt, true);
        perChannel(op, "dbeta", dbetaOrNull, c, dt, true);
        if (dxOrNull == null && dgammaOrNull == null && dbetaOrNull == null) {
            return;
        }
        NormTask t = start(NormTask.BN_BACKWARD, dt, x.numel() / Math.max(1, c));
        t.gy = gy;
        t.x = x;
        t.gamma = gammaOrNull;
        t.mean = saveMean;
        t.invstd = saveInvstd;
        t.dx = dxOrNull;
        t.dgamma = dgammaOrNull;
        t.dbeta = dbetaOrNull;
        t.runs.plan(gy, 2, x, 2, dxOrNull, 2, null, 0);
        run(t, c, 2 * t.m);
    }

    /** {@code out[c] = sum of t over every dim but 1} (the bias gradient of a convolution); checked by the caller. */
    /**
     * {@link #channelSums} into a contiguous out of C elements in any shape (the keepdim [1, C, 1, 1] of a
     * reduction, Note [Channel sums] in {@link Reduce}); the caller has checked the shapes.
     */
    static void channelSumsFlat(String op, Tensor t, Tensor out) {
        NormTask task = start(NormTask.CHANNEL_SUM, t.dtype(), t.numel() / Math.max(1, t.size(1)));
        task.gy = t;
        task.dbeta = out;
        task.flatOut = true;
        task.runs.plan(t, 2, null, 0, null, 0, null, 0);
        run(task, t.size(1), task.m);
    }

    static void channelSums(String op, Tensor t, Tensor out) {
        NormTask task = start(NormTask.CHANNEL_SUM, t.dtype(), t.numel() / Math.max(1, t.size(1)));
        task.gy = t;
        task.dbeta = out;
        task.runs.plan(t, 2, null, 0, null, 0, null, 0);
        run(task, t.size(1), task.m);
    }

    // ---------------------------------------------------------------- layer norm

    /**
     * Layer norm over the last {@code normDims} dims: per row (index of the leading dims), mean and biased
     * variance over its D = prod(last normDims sizes) elements, then
     * {@code y = (x - mean) * invstd * gamma + beta}.
     *
     * @param x F32/F64, rank >= normDims >= 1, any strides; not modified
     * @param gammaOrNull shaped like x's last normDims dims, or null; not modified
     * @param betaOrNull likewise; not modified
     * @param y x's shape; modified
     * @param saveMean [outer] (outer = product of the leading dims; x's leading dims, or those with trailing
     *     1s, are accepted too), contiguous; modified
     * @param saveInvstd like saveMean; modified
     */
    public static void layerNorm(Tensor x, int normDims, Tensor gammaOrNull, Tensor betaOrNull, double eps, Tensor y,
                                 Tensor saveMean, Tensor saveInvstd) {
        String op = "Norm.layerNorm";
        DType dt = TensorChecks.floating(op, "x", x);
        long d = normalized(op, x, normDims);
        int lead = x.rank() - normDims;
        affine(op, "gamma", gammaOrNull, x, normDims, dt, false);
        affine(op, "beta", betaOrNull, x, normDims, dt, false);
        like(op, "y", y, "x", x, dt);
        long rows = stats(op, "saveMean", saveMean, x, lead, dt);
        stats(op, "saveInvstd", saveInvstd, x, lead, dt);
        checkEps(op, eps);
        NormTask t = start(NormTask.LN_FORWARD, dt, d);
        t.lead = lead;
        t.x = x;
        t.y = y;
        t.gamma = gammaOrNull;
        t.beta = betaOrNull;
        t.mean = saveMean;
        t.invstd = saveInvstd;
        t.eps = eps;
        t.runs.plan(x, lead, y, lead, gammaOrNull, 0, betaOrNull, 0);
        run(t, rows, 3 * d);
    }

    /**
     * Layer norm backward, with {@code g = gy * gamma} and {@code xhat = (x - mean) * invstd} per row:
     * {@code dx = invstd / D * (D * g - sum g - xhat * sum(g * xhat))},
     * {@code dgamma = sum over rows of gy * xhat}, {@code dbeta = sum over rows of gy}. Outputs that are null
     * are not computed.
     *
     * @param dxOrNull x's shape; modified
     * @param dgammaOrNull shaped like x's last normDims dims, contiguous; modified
     * @param dbetaOrNull likewise; modified
     */
    public static void layerNormBackward(Tensor gy, Tensor x, int normDims, Tensor gammaOrNull, Tensor saveMean,
                                         Tensor saveInvstd, Tensor dxOrNull, Tensor dgammaOrNull, Tensor dbetaOrNull) {
        String op = "Norm.layerNormBackward";
        DType dt = TensorChecks.floating(op, "x", x);
        long d = normalized(op, x, normDims);
        int lead = x.rank() - normDims;
        likeInput(op, "gy", gy, "x", x, dt);
        affine(op, "gamma", gammaOrNull, x, normDims, dt, false);
        long rows = stats(op, "saveMean", saveMean, x, lead, dt);
        stats(op, "saveInvstd", saveInvstd, x, lead, dt);
        if (dxOrNull != null) {
            like(op, "dx", dxOrNull, "x", x, dt);
        }
        affine(op, "dgamma", dgammaOrNull, x, normDims, dt, true);
        affine(op, "dbeta", dbetaOrNull, x, normDims, dt, true);
        // The affine gradients first: dx may be gy itself.
        if (dgammaOrNull != null || dbetaOrNull != null) {
            NormTask t = start(NormTask.LN_AFFINE, dt, d);
            t.lead = lead;
            t.gy = gy;
            t.x = x;
            t.mean = saveMean;
            t.invstd = saveInvstd;
            t.dgamma = dgammaOrNull;
            t.dbeta = dbetaOrNull;
            t.runs.plan(gy, lead, x, lead, null, 0, null, 0);
            run(t, Math.ceilDiv(d, NormTask.BLOCK), rows * NormTask.BLOCK);
        }
        if (dxOrNull != null) {
            NormTask t = start(NormTask.LN_BACKWARD, dt, d);
            t.lead = lead;
            t.gy = gy;
            t.x = x;
            t.dx = dxOrNull;
            t.gamma = gammaOrNull;
            t.mean = saveMean;
            t.invstd = saveInvstd;
            t.runs.plan(gy, lead, x, lead, dxOrNull, lead, gammaOrNull, 0);
            run(t, rows, 2 * d);
        }
    }

    // ---------------------------------------------------------------- running and checks

    private static NormTask start(int mode, DType dt, long m) {
        NormTask t = NormTask.get();
        t.mode = mode;
        t.f32 = dt == DType.F32;
        t.m = m;
        return t;
    }

    private static void run(NormTask t, long units, long workPerUnit) {
        try {
            t.forUnits(units, workPerUnit);
        } finally {
            t.clear();
        }
    }

    private static DType batchInput(String op, String name, Tensor x) {
        DType dt = TensorChecks.floating(op, name, x);
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": " + name + " " + x.describe()
                    + " must have at least 2 dims [N, C, *] (channels in dim 1)");
        }
        return dt;
    }

    private static Tensor required(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null; expected a tensor");
        }
        return t;
    }

    /** A per-channel vector [C] (absent when null); an output must not be broadcast. */
    private static void perChannel(String op, String name, Tensor t, long c, DType dt, boolean output) {
        if (t == null) {
            return;
        }
        TensorChecks.dtype(op, name, t, dt);
        if (t.rank() != 1 || t.size(0) != c) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must have shape [" + c
                    + "] (one value per channel)");
        }
        if (output) {
            TensorChecks.writable(op, name, t);
        }
    }

    /** An output with x's shape and dtype (y, dx), checked writable. */
    private static void like(String op, String name, Tensor t, String refName, Tensor ref, DType dt) {
        likeInput(op, name, t, refName, ref, dt);
        TensorChecks.writable(op, name, t);
    }

    /** An input with x's shape and dtype (gy); any strides, broadcast (stride-0) views included. */
    private static void likeInput(String op, String name, Tensor t, String refName, Tensor ref, DType dt) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null; expected a tensor shaped like " + refName + " "
                    + ref.describe());
        }
        TensorChecks.dtype(op, name, t, dt);
        TensorChecks.sameShape(op, name, t, refName, ref);
    }

    private static void checkEps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps " + eps + " must be finite and >= 0");
        }
    }

    /** Checks normDims against x and returns D, the number of normalized elements per row. */
    private static long normalized(String op, Tensor x, int normDims) {
        if (normDims < 1 || normDims > x.rank()) {
            throw new IllegalArgumentException(op + ": normDims " + normDims + " for x " + x.describe() + "; expected 1.."
                    + x.rank());
        }
        long d = 1;
        for (int k = x.rank() - normDims; k < x.rank(); k++) {
            d *= x.size(k);
        }
        if (d == 0) {
            throw new IllegalArgumentException(op + ": x " + x.describe() + " has no elements in its last " + normDims
                    + " dim(s); there is nothing to normalize over");
        }
        return d;
    }

    /** gamma, beta, dgamma, dbeta: shaped like x's last normDims dims; outputs contiguous. */
    private static void affine(String op, String name, Tensor t, Tensor x, int normDims, DType dt, boolean output) {
        if (t == null) {
            return;
        }
        TensorChecks.dtype(op, name, t, dt);
        boolean ok = t.rank() == normDims;
        for (int k = 0; ok && k < normDims; k++) {
            ok = t.size(k) == x.size(x.rank() - normDims + k);
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must have the shape of the last "
                    + normDims + " dim(s) of x " + x.describe());
        }
        if (output) {
            TensorChecks.contiguous(op, name, t);
        }
    }

    /**
     * saveMean / saveInvstd of layer norm: contiguous, one value per row, shaped [outer], like x's leading dims,
     * or like those with trailing 1s (keepdim). Returns outer.
     */
    private static long stats(String op, String name, Tensor t, Tensor x, int lead, DType dt) {
        required(op, name, t);
        TensorChecks.dtype(op, name, t, dt);
        long outer = 1;
        for (int k = 0; k < lead; k++) {
            outer *= x.size(k);
        }
        boolean ok = t.rank() == 1 && t.size(0) == outer;
        if (!ok && (t.rank() == lead || t.rank() == x.rank())) {
            ok = true;
            for (int k = 0; ok && k < t.rank(); k++) {
                ok = t.size(k) == (k < lead ? x.size(k) : 1);
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must hold one value per row: shape ["
                    + outer + "] or x's leading dims (x " + x.describe() + ", " + lead + " leading dim(s))");
        }
        TensorChecks.contiguous(op, name, t);
        return outer;
    }
}
