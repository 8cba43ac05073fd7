package dev.zerograd.nn.optim;

/**
 * A linear warm-up followed by another schedule: for {@code t < warmup},
 * {@code lr = baseLr * (startFactor + (1 - startFactor) t / warmup)} (PyTorch's {@code LinearLR} with
 * {@code end_factor = 1}); from then on {@code after.lr(baseLr, t - warmup)}, or the base rate when
 * {@code after} is null (PyTorch's {@code SequentialLR} of the two).
 *
 * @param warmup counts of the warm-up, at least 1
 * @param startFactor the fraction of the base rate at t = 0, in [0, 1]
 * @param after the schedule after the warm-up, or null for the constant base rate
 */
public record LinearWarmup(long warmup, double startFactor, LrSchedule after) implements LrSchedule {
    public LinearWarmup {
        if (warmup < 1 || !(startFactor >= 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("LinearWarmup: warm-up " + warmup + " must be >= 1 and start factor "
                    + startFactor + " in [0, 1]");
        }
    }

    @Override
    public double lr(double baseLr, long t) {
        if (t < warmup) {
            return baseLr * (startFactor + (1 - startFactor) * t / warmup);
        }
        return after == null ? baseLr : after.lr(baseLr, t - warmup);
    }
}
