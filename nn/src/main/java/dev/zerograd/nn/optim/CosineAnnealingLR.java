package dev.zerograd.nn.optim;

/**
 * {@code lr = etaMin + (baseLr - etaMin) (1 + cos(pi t / tMax)) / 2}: from the base rate at t = 0 down to
 * {@code etaMin} at {@code t = tMax} (PyTorch's {@code CosineAnnealingLR} in its closed form). Past tMax
 * the rate stays at {@code etaMin} rather than rising again: schedule exactly tMax counts, or use a restart
 * schedule, to get PyTorch's periodic continuation.
 *
 * @param tMax counts of the half cosine, at least 1
 * @param etaMin the final rate
 */
public record CosineAnnealingLR(long tMax, double etaMin) implements LrSchedule {
    public CosineAnnealingLR {
        if (tMax < 1 || !(etaMin >= 0) || !Double.isFinite(etaMin)) {
            throw new IllegalArgumentException("CosineAnnealingLR: T_max " + tMax + " must be >= 1 and eta_min " + etaMin
                    + " finite and >= 0");
        }
    }

    @Override
    public double lr(double baseLr, long t) {
        if (t >= tMax) {
            return etaMin;
        }
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
    }
}
