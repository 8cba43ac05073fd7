package dev.zerograd.nn.optim;

import dev.zerograd.memory.Tensor;
import java.util.List;

/**
 * Adam (Kingma and Ba 2015) with bias correction, L2 weight decay and optional AMSGrad, as PyTorch's
 * {@code torch.optim.Adam}. Per parameter p with gradient g, moments m and v, and its own step count t
 * (starting at 1):
 * <pre>
 * g = g + weightDecay * p                          (when weightDecay != 0; AdamW decays p instead)
 * m = lerp(m, g, 1 - beta1)                         (= beta1 m + (1 - beta1) g)
 * v = beta2 v + (1 - beta2) g^2
 * vMax = max(vMax, v)                               (AMSGrad; then v below is vMax)
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * The moment tensors are allocated at construction in the parameters' arenas.
 */
public class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean amsgrad;
    private final boolean decoupled;
    private final Tensor[] m;
    private final Tensor[] v;
    private final Tensor[] vMax;
    private final long[] t;
    private final Updates.AdamTask task = new Updates.AdamTask();

    /** betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(List<Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** Adam with L2 weight decay added to the gradient. */
    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) {
        this("Adam", params, lr, beta1, beta2, eps, weightDecay, amsgrad, false);
    }

    Adam(String name, List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay,
         boolean amsgrad, boolean decoupled) {
        super(name, params, lr);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(name + ": betas (" + beta1 + ", " + beta2 + ") must be in [0, 1)");
        }
        if (!(eps >= 0) || !Double.isFinite(eps) || !(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException(name + ": eps " + eps + " and weight decay " + weightDecay + " must be finite and >= 0");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.amsgrad = amsgrad;
        this.decoupled = decoupled;
        int n = this.params.length;
        m = new Tensor[n];
        v = new Tensor[n];
        vMax = new Tensor[n];
        t = new long[n];
        for (int i = 0; i < n; i++) {
            m[i] = stateLike(this.params[i]);
            v[i] = stateLike(this.params[i]);
            if (amsgrad) {
                vMax[i] = stateLike(this.params[i]);
            }
        }
    }

    @Override
    final void update(int index, Tensor p, Tensor g, double lr) {
        long step = ++t[index];
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        Updates.AdamTask k = task;
        k.set(p, g, m[index], v[index], vMax[index]);
        k.decay = decoupled ? 1 - lr * weightDecay : 1;
        k.weightDecay = decoupled ? 0 : weightDecay;
        k.lerpWeight = 1 - beta1;
        k.beta2 = beta2;
        k.oneMinusBeta2 = 1 - beta2;
        k.stepSize = lr / bc1;
        k.bc2Sqrt = Math.sqrt(bc2);
        k.eps = eps;
        k.execute();
    }

    /** The first moment of parameter {@code index}. */
    public final Tensor firstMoment(int index) {
        return m[index];
    }

    /** The second moment of parameter {@code index}. */
    public final Tensor secondMoment(int index) {
        return v[index];
    }

    /** Updates applied to parameter {@code index} so far (its bias-correction step). */
    public final long stepOf(int index) {
        return t[index];
    }

    public final double beta1() {
        return beta1;
    }

    public final double beta2() {
        return beta2;
    }

    public final double eps() {
        return eps;
    }

    public final double weightDecay() {
        return weightDecay;
    }

    public final boolean amsgrad() {
        return amsgrad;
    }
}
