package dev.zerograd.nn;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;

/**
 * Batch normalization of {@code x [N, C, H, W]} per channel:
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias}.
 *
 * <p>In training mode mean and (biased) variance are the batch's, over N, H and W, and the running
 * statistics are updated as {@code r = (1 - momentum) r + momentum stat} with the unbiased variance;
 * {@code num_batches_tracked} counts the updates. A NaN momentum is PyTorch's {@code momentum=None}: the
 * cumulative average, momentum {@code 1 / num_batches_tracked}. In evaluation mode the running statistics
 * are used and nothing changes. Without {@code trackRunningStats} there are no buffers and batch statistics
 * are used in both modes.
 *
 * <p>Parameters (with {@code affine}): {@code weight} (ones) and {@code bias} (zeros). Buffers (with
 * {@code trackRunningStats}): {@code running_mean} (zeros), {@code running_var} (ones), and
 * {@code num_batches_tracked} (an I64 scalar), PyTorch's names.
 */
public final class BatchNorm2d extends Module {
    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    /** eps 1e-5, momentum 0.1, affine, tracking running statistics (PyTorch's defaults). */
    public BatchNorm2d(Parameters p, int numFeatures) {
        this(p, numFeatures, 1e-5, 0.1, true, true);
    }

    public BatchNorm2d(Parameters p, int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1) {
            throw new IllegalArgumentException("BatchNorm2d: number of features " + numFeatures + " must be positive");
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("BatchNorm2d: eps " + eps + " must be positive and finite");
        }
        if (!Double.isNaN(momentum) && !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm2d: momentum " + momentum + " must be in [0, 1] (or NaN for a cumulative average)");
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        if (affine) {
            weight = registerParameter("weight", p.empty(numFeatures));
            bias = registerParameter("bias", p.empty(numFeatures));
            weight.fill(1);
            bias.fill(0);
        } else {
            weight = null;
            bias = null;
        }
        if (trackRunningStats) {
            runningMean = registerBuffer("running_mean", p.empty(numFeatures));
            runningVar = registerBuffer("running_var", p.empty(numFeatures));
            numBatchesTracked = registerBuffer("num_batches_tracked", p.arena().empty(DType.I64));
            runningMean.fill(0);
            runningVar.fill(1);
            numBatchesTracked.setDouble(0);
        } else {
            runningMean = null;
            runningVar = null;
            numBatchesTracked = null;
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.size(1) != numFeatures) {
            throw new IllegalArgumentException("BatchNorm2d(" + numFeatures + ").forward: input " + x.describe()
                    + " must be [N, " + numFeatures + ", H, W]");
        }
        if (runningMean == null) {
            return Ops.batchNorm(x, weight, bias, null, null, true, 0.0, eps);
        }
        if (!isTraining()) {
            return Ops.batchNorm(x, weight, bias, runningMean, runningVar, false, 0.0, eps);
        }
        double n = numBatchesTracked.getDouble() + 1;
        numBatchesTracked.setDouble(n);
        double factor = Double.isNaN(momentum) ? 1.0 / n : momentum;
        return Ops.batchNorm(x, weight, bias, runningMean, runningVar, true, factor, eps);
    }

    /** {@code [C]}, or null without {@code affine}. */
    public Tensor weight() {
        return weight;
    }

    /** {@code [C]}, or null without {@code affine}. */
    public Tensor bias() {
        return bias;
    }

    /** {@code [C]}, or null without running statistics. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** {@code [C]} (unbiased), or null without running statistics. */
    public Tensor runningVar() {
        return runningVar;
    }

    /** Training-mode forward passes so far (since construction or the last load), or 0 without running statistics. */
    public long numBatchesTracked() {
        return numBatchesTracked == null ? 0 : (long) numBatchesTracked.getDouble();
    }

    public int numFeatures() {
        return numFeatures;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + (Double.isNaN(momentum) ? "None" : momentum) + ", affine="
                + (weight != null) + ", track_running_stats=" + (runningMean != null);
    }
}
