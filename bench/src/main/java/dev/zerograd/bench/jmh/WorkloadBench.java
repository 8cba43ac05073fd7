package dev.zerograd.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerograd.bench.StepHeap;
import dev.zerograd.bench.workloads.Workload;
import dev.zerograd.bench.workloads.Workloads;
import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * ops of the iteration (and the trial's tear-down runs inside the last one: Note [Metrics at tear-down]). So the
 * wrapper also counts the bytes its own thread allocates inside {@link Workload#step()} during the measured
 * iterations ({@code thread_bytes_per_step}), the zero-GC contract's figure, over the steps that no JIT
 * compilation overlapped; the others are counted apart ({@code jit_steps}, {@code jit_bytes}) as in {@code train}
 * and the comparison ({@link StepHeap}, Note [Steps that overlap the JIT]). The counter reads per step cost
 * well under 1 % of the shortest step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WorkloadBench {
    @Param("OpChain")
    public String workload;

    private Workload w;
    private boolean measuring;
    private final StepHeap heap = new StepHeap();
    private ObjectMapper json;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        GemmBackend.setThreads(Parallel.threads());
        w = Workloads.get(workload).open(Workloads.SEED);
        // Note [Metrics at tear-down]: JMH runs the trial's tear-down before the GC profiler closes the last
        // measured iteration, so what tear-down allocates counts in that iteration. A first ObjectMapper there
        // loaded and initialised Jackson: about 10 MB, which showed as 1,500 B/op in OpChain's last iteration
        // and sometimes a GC. The mapper is made and exercised here instead; tear-down writes a few hundred bytes.
        json = new ObjectMapper();
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("double", 1.0);
        sample.put("long", 1L);
        sample.put("int", 1);
        sample.put("string", "s");
        json.writeValueAsBytes(sample);
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
            heap.finish();
            m.put("thread_bytes_per_step", (double) heap.steadyBytesPerStep());
            m.put("steady_steps", heap.steadySteps());
            m.put("allocating_steps", heap.allocatingSteps());
            m.put("jit_steps", heap.jitSteps());
            m.put("jit_bytes", heap.jitBytes());
            w.metrics(m);
            try {
                json.writeValue(Path.of(dir, workload + ".json").toFile(), m);
            } catch (IOException e) {
                throw new UncheckedIOException("WorkloadBench: could not write the metrics of " + workload + " to " + dir, e);
            }
        }
        w.close();
    }

    @Benchmark
    public double step() {
        if (!measuring) {
            return w.step();
        }
        heap.begin();
        double v = w.step();
        heap.end();
        return v;
    }
}
