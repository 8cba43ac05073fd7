package dev.zerograd.nn.optim;

import dev.zerograd.kernels.Copy;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.List;

/**
 * Updates parameters in place from their accumulated gradients ({@link Tensor#grad()}), off-heap and without
 * allocating on the Java heap. State tensors (momentum, moments) are allocated once, at construction, in each
 * parameter's own arena, zero-filled. A parameter whose gradient is still absent (no backward pass reached
 * it yet) is skipped, as PyTorch skips parameters whose {@code grad} is None; its state does not advance.
 *
 * <pre>{@code
 * Optimizer opt = new AdamW(model.parameters(), 1e-3);
 * opt.setSchedule(new CosineAnnealingLR(epochs, 0), LrSchedule.Unit.EPOCH);
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     opt.setEpoch(epoch);
 *     for (...) {
 *         ... tape.backward(loss) ...
 *         opt.clipGradNorm(1.0);     // optional
 *         opt.step();
 *         opt.zeroGrad();
 *     }
 * }
 * }</pre>
 *
 * <p>Parameters must be contiguous F32 or F64 tensors (as {@code Module} registers them); their gradients
 * the same dtype and shape, contiguous. The hyperparameters follow PyTorch's {@code torch.optim} exactly;
 * the kernels compute in the parameter's dtype with the scalar coefficients rounded to it.
 *
 * <p>An optimizer is not thread-safe: call it from one thread (its update kernels split large tensors
 * across the intra-op pool themselves).
 */
public abstract class Optimizer {
    final Tensor[] params;
    private final List<Tensor> paramList;
    private double baseLr;
    private double lr;
    private LrSchedule schedule;
    private LrSchedule.Unit unit;
    private long steps;
    private long epoch;

    protected Optimizer(String name, List<Tensor> params, double lr) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException(name + ": no parameters to optimize");
        }
        checkLr(name, lr);
        this.params = params.toArray(new Tensor[0]);
        for (int i = 0; i < this.params.length; i++) {
            Tensor p = this.params[i];
            if (p == null) {
                throw new IllegalArgumentException(name + ": parameter " + i + " is null");
            }
            p.checkValid();
            if (p.dtype() != DType.F32 && p.dtype() != DType.F64) {
                throw new IllegalArgumentException(name + ": parameter " + i + " " + p.describe() + " must be f32 or f64");
            }
            if (!p.isContiguous()) {
                throw new IllegalArgumentException(name + ": parameter " + i + " " + p.describe() + " must be contiguous");
            }
            if (!p.needsGrad()) {
                throw new IllegalArgumentException(name + ": parameter " + i + " " + p.describe()
                        + " does not require a gradient; call requiresGrad() on it (Module does for its parameters)");
            }
            for (int j = 0; j < i; j++) {
                if (this.params[j] == p) {
                    throw new IllegalArgumentException(name + ": parameter " + i + " " + p.describe() + " is listed twice (also at " + j + ")");
                }
            }
        }
        this.paramList = List.of(this.params);
        this.baseLr = lr;
        this.lr = lr;
    }

    static void checkLr(String name, double lr) {
        if (!(lr >= 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException(name + ": learning rate " + lr + " must be finite and >= 0");
        }
    }

    /** A zero tensor shaped like parameter {@code p}, in its arena (optimizer state). */
    static Tensor stateLike(Tensor p) {
        TensorArena a = p.arena();
        return a.zerosLike(p);
    }

    // ---------------------------------------------------------------- the update

    /**
     * One update of every parameter that has a gradient, with the learning rate of this step (the schedule's,
     * for per-step schedules). Modifies the parameters and the optimizer's state; reads the gradients.
     */
    public final void step() {
        if (schedule != null && unit == LrSchedule.Unit.STEP) {
            lr = schedule.lr(baseLr, steps);
        }
        for (int i = 0; i < params.length; i++) {
            Tensor p = params[i];
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            if (g.dtype() != p.dtype() || !g.sameShape(p) || !g.isContiguous()) {
                throw new IllegalStateException(getClass().getSimpleName() + ".step: the gradient " + g.describe() + " of parameter "
                        + i + " " + p.describe() + " must be contiguous with the parameter's shape and dtype");
            }
            update(i, p, g, lr);
        }
        steps++;
    }

    /** Updates parameter {@code index} from gradient {@code g} (validated: same shape and dtype, contiguous). */
    abstract void update(int index, Tensor p, Tensor g, double lr);

    /**
     * Clears every parameter's gradient for the next step: with {@code setToNone}, releases it (
     * {@link Tensor#releaseGrad()}: {@code grad()} is null until the next backward pass, which writes into the
     * same buffer instead of adding to zeros, saving a pass over every gradient); otherwise {@link #zeroGrad()}.
     * As in PyTorch, a parameter whose gradient is null is skipped by {@link #step()}.
     */
    public final void zeroGrad(boolean setToNone) {
        if (!setToNone) {
            zeroGrad();
            return;
        }
        for (Tensor p : params) {
            p.releaseGrad();
        }
    }

    /** Sets every parameter's gradient to zero in place (absent gradients stay absent). */
    public final void zeroGrad() {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g != null) {
                Copy.zero(g); // large gradients on the pool (Note [Parallel zeroing] in Copy)
            }
        }
    }

    /**
     * Scales all gradients together so that their global L2 norm is at most {@code maxNorm}; returns the
     * norm before clipping. See {@link GradClip#clipGradNorm(Tensor[], double)}.
     */
    public final double clipGradNorm(double maxNorm) {
        return GradClip.clipGradNorm(params, maxNorm);
    }

    // ---------------------------------------------------------------- learning rate

    /** The learning rate the next {@link #step()} uses (for per-step schedules: the last step's). */
    public final double lr() {
        return lr;
    }

    /** The learning rate schedules start from. */
    public final double baseLr() {
        return baseLr;
    }

    /** Sets the base learning rate, and the current one (recomputed from the schedule when there is one). */
    public final void setLr(double lr) {
        checkLr(getClass().getSimpleName() + ".setLr", lr);
        this.baseLr = lr;
        this.lr = schedule == null ? lr : schedule.lr(lr, unit == LrSchedule.Unit.STEP ? steps : epoch);
    }

    /**
     * Follows {@code schedule}: with {@link LrSchedule.Unit#STEP} the learning rate of the step after
     * {@code t} completed steps is {@code schedule.lr(baseLr, t)}; with {@link LrSchedule.Unit#EPOCH} it is
     * {@code schedule.lr(baseLr, e)} after {@link #setEpoch(long) setEpoch(e)}. Null removes the schedule
     * (the base rate applies again). Returns this.
     */
    public final Optimizer setSchedule(LrSchedule schedule, LrSchedule.Unit unit) {
        if (schedule != null && unit == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".setSchedule: the unit (STEP or EPOCH) is null");
        }
        this.schedule = schedule;
        this.unit = unit;
        this.lr = schedule == null ? baseLr : schedule.lr(baseLr, unit == LrSchedule.Unit.STEP ? steps : epoch);
        return this;
    }

    public final LrSchedule schedule() {
        return schedule;
    }

    /** Starts epoch {@code epoch} (0-based): an epoch schedule sets the learning rate for it. */
    public final void setEpoch(long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".setEpoch: epoch " + epoch + " must be >= 0");
        }
        this.epoch = epoch;
        if (schedule != null && unit == LrSchedule.Unit.EPOCH) {
            lr = schedule.lr(baseLr, epoch);
        }
    }

    public final long epoch() {
        return epoch;
    }

    /** Number of {@link #step()} calls so far. */
    public final long steps() {
        return steps;
    }

    /** The parameters, in the order given. */
    public final List<Tensor> parameters() {
        return paramList;
    }
}
