package dev.zerograd.nn.optim;

/**
 * {@code lr = baseLr * gamma^floor(t / stepSize)} (PyTorch's {@code StepLR}).
 *
 * @param stepSize how many counts between decays, at least 1
 * @param gamma the decay factor, in (0, 1] usually
 */
public record StepLR(long stepSize, double gamma) implements LrSchedule {
    public StepLR {
        if (stepSize < 1 || !(gamma >= 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("StepLR: step size " + stepSize + " must be >= 1 and gamma " + gamma
                    + " finite and >= 0");
        }
    }

    @Override
    public double lr(double baseLr, long t) {
        return baseLr * Math.pow(gamma, (double) (t / stepSize));
    }
}
