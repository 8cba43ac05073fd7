package dev.zerograd.nn.optim;

/**
 * A learning rate as a pure function of the base rate and a counter (steps or epochs, 0-based), queried by
 * {@link Optimizer} (see {@link Optimizer#setSchedule}). Implementations are small immutable values; a
 * query allocates nothing.
 */
@FunctionalInterface
public interface LrSchedule {
    /** What the counter {@code t} of {@link #lr} counts. */
    enum Unit {
        /** Completed optimizer steps: the rate changes every step. */
        STEP,
        /** Epochs, as set by {@link Optimizer#setEpoch(long)}: the rate is constant within an epoch. */
        EPOCH
    }

    /** The learning rate at counter {@code t >= 0}, for a base rate {@code baseLr}. */
    double lr(double baseLr, long t);
}
