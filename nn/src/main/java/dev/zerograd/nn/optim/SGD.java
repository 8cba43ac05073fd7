package dev.zerograd.nn.optim;

import dev.zerograd.memory.Tensor;
import java.util.List;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay, as PyTorch's
 * {@code torch.optim.SGD}. Per parameter p with gradient g, momentum buffer b:
 * <pre>
 * g = g + weightDecay * p                          (when weightDecay != 0)
 * b = g                                             (first step)
 * b = momentum * b + (1 - dampening) * g            (later steps; when momentum != 0)
 * g = nesterov ? g + momentum * b : b               (when momentum != 0)
 * p = p - lr * g
 * </pre>
 * The momentum buffers ({@code momentum != 0} only) are allocated at construction in the parameters' arenas.
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final Tensor[] buffers;
    private final boolean[] started;
    private final Updates.Sgd task = new Updates.Sgd();

    /** Plain SGD: no momentum, no weight decay. */
    public SGD(List<Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    /** SGD with momentum (no dampening, no weight decay, not Nesterov). */
    public SGD(List<Tensor> params, double lr, double momentum) {
        this(params, lr, momentum, 0, 0, false);
    }

    /**
     * @throws IllegalArgumentException for a negative lr, momentum or weight decay, or Nesterov without
     *     momentum or with dampening (as PyTorch)
     */
    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super("SGD", params, lr);
        if (!(momentum >= 0) || !Double.isFinite(momentum) || !(weightDecay >= 0) || !Double.isFinite(weightDecay)
                || !Double.isFinite(dampening)) {
            throw new IllegalArgumentException("SGD: momentum " + momentum + " and weight decay " + weightDecay
                    + " must be finite and >= 0, dampening " + dampening + " finite");
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new Tensor[this.params.length];
        this.started = new boolean[this.params.length];
        if (momentum != 0) {
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = stateLike(this.params[i]);
            }
        }
    }

    @Override
    void update(int index, Tensor p, Tensor g, double lr) {
        Updates.Sgd t = task;
        t.set(p, g, buffers[index]);
        t.lr = lr;
        t.momentum = momentum;
        t.dampening = dampening;
        t.weightDecay = weightDecay;
        t.nesterov = nesterov;
        t.first = !started[index];
        t.execute();
        started[index] = true;
    }

    /** The momentum buffer of parameter {@code index} (zeros until its first step), or null without momentum. */
    public Tensor momentumBuffer(int index) {
        return buffers[index];
    }

    public double momentum() {
        return momentum;
    }

    public double dampening() {
        return dampening;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public boolean nesterov() {
        return nesterov;
    }
}
