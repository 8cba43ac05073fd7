package dev.zerograd.bench.workloads;

/**
 * What one step of a workload means beyond its time: the derived figure printed beside the time per step.
 * The amount of work per step comes from {@link WorkloadSpec#work()}: ops for {@link #NS_PER_OP}, floating-point
 * operations for {@link #GFLOPS}.
 */
public enum Figure {
    /** Time per step only. */
    NONE,
    /** Nanoseconds per op: seconds per step / ops per step. */
    NS_PER_OP,
    /** GFLOP/s: FLOPs per step / seconds per step / 1e9. */
    GFLOPS;

    /** The figure's value for {@code secondsPerStep}, or NaN for {@link #NONE}. */
    public double value(double secondsPerStep, double workPerStep) {
        if (!(secondsPerStep > 0)) {
            throw new IllegalArgumentException("Figure." + name() + ": seconds per step " + secondsPerStep + " must be positive");
        }
        return switch (this) {
            case NONE -> Double.NaN;
            case NS_PER_OP -> secondsPerStep / workPerStep * 1e9;
            case GFLOPS -> workPerStep / secondsPerStep / 1e9;
        };
    }

    /** The value with its unit, e.g. {@code 812 ns/op}, {@code 131.4 GFLOP/s}; empty for {@link #NONE}. */
    public String format(double secondsPerStep, double workPerStep) {
        return switch (this) {
            case NONE -> "";
            case NS_PER_OP -> String.format("%.0f ns/op", value(secondsPerStep, workPerStep));
            case GFLOPS -> String.format("%.1f GFLOP/s", value(secondsPerStep, workPerStep));
        };
    }
}
