package dev.zerograd.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerograd.bench.workloads.Workload;
import dev.zerograd.bench.workloads.Workloads;
import dev.zerograd.bindings.OpenBlas;
import dev.zerograd.kernels.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The JMH wrapper of every workload in {@link Workloads#ALL}: one step per benchmark op. The bench command
 * passes the workload names as the {@code workload} parameter (the annotation's value is only a default).
 * At tear-down the workload's own metrics (e.g. the step arena's peak) are written as JSON to the directory
 * named by {@code -Dzerograd.bench.metrics}, when set, for the bench command to read back from the fork.
 *
 * <p>Note [Two allocation figures]: JMH's {@code gc.alloc.rate.norm} divides the bytes allocated by every
 * thread of the fork (JMH 1.37 reads {@code getTotalThreadAllocatedBytes}), JMH's own harness included, by the
 * ops of the iteration; for a step of a second that harness share alone is hundreds of KB per op. So the
 * wrapper also counts the bytes its own thread allocates inside {@link Workload#step()} during the measured
 * iterations ({@code thread_bytes_per_step}), the zero-GC contract's figure. The two counter reads per step
 * ({@code getCurrentThreadAllocatedBytes}) cost tens of nanoseconds, under 1 % of the shortest step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WorkloadBench {
    @Param("OpChain")
    public String workload;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Workload w;
    private boolean measuring;
    private long measuredBytes;
    private long measuredSteps;

    @Setup(Level.Trial)
    public void setup() {
        OpenBlas.setNumThreads(Parallel.threads());
        w = Workloads.get(workload).open(Workloads.SEED);
    }

    @Setup(Level.Iteration)
    public void beginIteration(IterationParams iteration) {
        measuring = iteration.getType() == IterationType.MEASUREMENT;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        String dir = System.getProperty("zerograd.bench.metrics");
        if (dir != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("thread_bytes_per_step", measuredSteps == 0 ? 0.0 : (double) measuredBytes / measuredSteps);
            w.metrics(m);
            try {
                new ObjectMapper().writeValue(Path.of(dir, workload + ".json").toFile(), m);
            } catch (IOException e) {
                throw new UncheckedIOException("WorkloadBench: could not write the metrics of " + workload + " to " + dir, e);
            }
        }
        w.close();
    }

    @Benchmark
    public double step() {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        double v = w.step();
        if (measuring) {
            measuredBytes += THREADS.getCurrentThreadAllocatedBytes() - before;
            measuredSteps++;
        }
        return v;
    }
}
