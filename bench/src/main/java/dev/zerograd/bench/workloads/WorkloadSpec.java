package dev.zerograd.bench.workloads;

import java.util.function.ToDoubleFunction;

/**
 * A benchmark workload, defined once: name, parameters (shapes), what a step means and its targets. JMH
 * ({@code WorkloadBench}), the quick suite and the PyTorch comparison all take their workloads from
 * {@link Workloads#ALL}; the peer engine builds its version from {@link #params()}.
 *
 * @param name        unique name, e.g. {@code MlpWideStep}
 * @param description one line with the shapes, for tables
 * @param params      shapes and the implementation's {@code kind}, shared with the peer
 * @param figure      the derived figure printed beside the time per step
 * @param work        ops or FLOPs per step, for {@link #figure}
 * @param target      the largest zerograd/peer ratio of median step times that meets the project's target, or NaN
 * @param reference   name of the workload whose GFLOP/s this one's is compared to, or null
 * @param refTarget   the smallest fraction of the reference's GFLOP/s that meets the target, or NaN
 * @param heavy       steps take 10 ms or more: time-boxed phases use fewer, longer iterations
 * @param factory     builds the zerograd workload
 */
public record WorkloadSpec(String name, String description, Params params, Figure figure, double work, double target,
        String reference, double refTarget, boolean heavy, Factory factory) {

    /** Builds a live workload from parameters and a seed. */
    @FunctionalInterface
    public interface Factory {
        Workload open(Params params, long seed);
    }

    public WorkloadSpec {
        if (name == null || !name.matches("[A-Za-z][A-Za-z0-9]*")) {
            throw new IllegalArgumentException("WorkloadSpec: name '" + name + "' must be letters and digits");
        }
        if (figure != Figure.NONE && !(work > 0)) {
            throw new IllegalArgumentException("WorkloadSpec " + name + ": figure " + figure + " needs positive work per step, got " + work);
        }
    }

    /** A workload with no target, no reference, light steps. */
    public static WorkloadSpec of(String name, String description, Params params, Figure figure,
            ToDoubleFunction<Params> work, Factory factory) {
        return new WorkloadSpec(name, description, params, figure, work.applyAsDouble(params), Double.NaN, null, Double.NaN,
                false, factory);
    }

    /** This workload with a target ratio zerograd/peer (at most). */
    public WorkloadSpec target(double ratio) {
        return new WorkloadSpec(name, description, params, figure, work, ratio, reference, refTarget, heavy, factory);
    }

    /** This workload compared with {@code other}'s GFLOP/s, reaching at least {@code fraction} of it. */
    public WorkloadSpec reference(String other, double fraction) {
        return new WorkloadSpec(name, description, params, figure, work, target, other, fraction, heavy, factory);
    }

    /** This workload marked as heavy (steps of 10 ms or more). */
    public WorkloadSpec asHeavy() {
        return new WorkloadSpec(name, description, params, figure, work, target, reference, refTarget, true, factory);
    }

    /** A live workload with this spec's parameters. */
    public Workload open(long seed) {
        return factory.open(params, seed);
    }
}
