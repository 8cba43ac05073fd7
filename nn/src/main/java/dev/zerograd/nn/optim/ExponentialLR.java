package dev.zerograd.nn.optim;

/**
 * {@code lr = baseLr * gamma^t} (PyTorch's {@code ExponentialLR}).
 *
 * @param gamma the decay factor per count
 */
public record ExponentialLR(double gamma) implements LrSchedule {
    public ExponentialLR {
        if (!(gamma >= 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("ExponentialLR: gamma " + gamma + " must be finite and >= 0");
        }
    }

    @Override
    public double lr(double baseLr, long t) {
        return baseLr * Math.pow(gamma, (double) t);
    }
}
