package dev.zerograd.nn.optim;

import dev.zerograd.memory.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019), as PyTorch's {@code torch.optim.AdamW}:
 * before the Adam update of {@link Adam} (without the L2 term), {@code p = p * (1 - lr * weightDecay)}.
 * PyTorch's default weight decay is 0.01.
 */
public final class AdamW extends Adam {
    /** betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01, false);
    }

    public AdamW(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        super("AdamW", params, lr, beta1, beta2, eps, weightDecay, amsgrad, true);
    }
}
