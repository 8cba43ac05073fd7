package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.tape.Ops;
import java.util.Arrays;

/**
 * Layer normalization over the trailing dims {@code normalizedShape} of {@code x [..., *normalizedShape]}:
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias}, mean and (biased) variance per leading index.
 * Parameters (with {@code elementwiseAffine}): {@code weight} (ones) and {@code bias} (zeros), both of
 * shape {@code normalizedShape}.
 */
public final class LayerNorm extends Module {
    private final long[] normalizedShape;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    /** eps 1e-5, with affine parameters. */
    public LayerNorm(Parameters p, long... normalizedShape) {
        this(p, normalizedShape, 1e-5, true);
    }

    public LayerNorm(Parameters p, long[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("LayerNorm: the normalized shape needs at least one dim");
        }
        for (long s : normalizedShape) {
            if (s < 1) {
                throw new IllegalArgumentException("LayerNorm: normalized shape " + Arrays.toString(normalizedShape)
                        + " must have positive sizes");
            }
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("LayerNorm: eps " + eps + " must be positive and finite");
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        if (elementwiseAffine) {
            weight = registerParameter("weight", p.empty(this.normalizedShape));
            bias = registerParameter("bias", p.empty(this.normalizedShape));
            weight.fill(1);
            bias.fill(0);
        } else {
            weight = null;
            bias = null;
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        int k = normalizedShape.length;
        int r = x.rank();
        boolean ok = r >= k;
        for (int i = 0; ok && i < k; i++) {
            ok = x.size(r - k + i) == normalizedShape[i];
        }
        if (!ok) {
            throw new IllegalArgumentException("LayerNorm" + Arrays.toString(normalizedShape) + ".forward: input "
                    + x.describe() + " must end with dims " + Arrays.toString(normalizedShape));
        }
        return Ops.layerNorm(x, k, weight, bias, eps);
    }

    /** The normalized shape, or null without affine parameters. */
    public Tensor weight() {
        return weight;
    }

    /** The normalized shape, or null without affine parameters. */
    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return Arrays.toString(normalizedShape).replace('[', '(').replace(']', ')') + ", eps=" + eps
                + ", elementwise_affine=" + (weight != null);
    }
}
