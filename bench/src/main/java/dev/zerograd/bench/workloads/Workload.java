package dev.zerograd.bench.workloads;

import java.util.Map;

/**
 * One live benchmark workload: its tensors are allocated, and {@link #step()} runs one unit of work (a training
 * step, an op chain, a GEMM). Made by a {@link WorkloadSpec}'s factory; JMH, the quick suite and the PyTorch
 * comparison all time {@link #step()} and nothing else.
 *
 * <p>Steady state contract: after warm-up, {@link #step()} allocates no heap bytes.
 */
public interface Workload extends AutoCloseable {
    /** Runs one step; returns a value computed from its results (a loss) so the work cannot be eliminated. */
    double step();

    /**
     * Adds the workload's own figures measured so far (e.g. the step arena's peak bytes) to {@code out}.
     * Allocates; call it outside timed regions.
     */
    default void metrics(Map<String, Object> out) {}

    /** Frees the workload's memory. */
    @Override
    void close();
}
