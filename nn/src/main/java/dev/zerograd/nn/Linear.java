package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.nn.init.Init;
import dev.zerograd.tape.Ops;

/**
 * {@code y = x W^T + b} over the last dim of {@code x [N, ..., in]} (rank 2 or more), with {@code W [out, in]} and {@code b [out]}
 * as in PyTorch. The product passes W with a transpose flag to GEMM, so no transposed copy is made.
 * Initialized as PyTorch's Linear ({@link Init#pytorchDefault}). Parameters: {@code weight}, {@code bias}.
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    /** A layer with a bias. */
    public Linear(Parameters p, int inFeatures, int outFeatures) {
        this(p, inFeatures, outFeatures, true);
    }

    public Linear(Parameters p, int inFeatures, int outFeatures, boolean bias) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: in " + inFeatures + " and out " + outFeatures + " features must be positive");
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", p.empty(outFeatures, inFeatures));
        this.bias = bias ? registerParameter("bias", p.empty(outFeatures)) : null;
        Init.pytorchDefault(weight, this.bias, p.nextSeed(), p.nextSeed());
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2 || x.size(x.rank() - 1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures + ").forward: input " + x.describe()
                    + " must have rank 2 or more and " + inFeatures + " features in its last dim");
        }
        Tensor y = Ops.matmul(x, false, weight, true);
        return bias == null ? y : Ops.add(y, bias);
    }

    /** {@code [out, in]}. */
    public Tensor weight() {
        return weight;
    }

    /** {@code [out]}, or null without a bias. */
    public Tensor bias() {
        return bias;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null);
    }
}
