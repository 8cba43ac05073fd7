package dev.zerograd.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerograd.bench.jmh.WorkloadBench;
import dev.zerograd.bench.workloads.Figure;
import dev.zerograd.bench.workloads.WorkloadSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The JMH suite: each workload through {@link WorkloadBench} with {@code -prof gc}, one JMH run per workload so
 * heavy workloads get longer iterations. Quick: 1 fork, 6 x 1 s warm-up and 3 x 1 s measured (heavy: 3 x 3 s
 * and 3 x 2 s). Full: 2 forks, 5 x 2 s and 5 x 2 s (heavy: 3 x 5 s and 5 x 5 s). Two allocation figures per
 * workload: the benchmark thread's bytes per step and JMH's all-threads {@code gc.alloc.rate.norm} (Note [Two
 * allocation figures] in {@link WorkloadBench}).
 */
final class SuiteRun {
    private SuiteRun() {}

    /** One workload's JMH outcome; seconds per step is JMH's average time. */
    record Row(WorkloadSpec spec, double seconds, double error, double bytesPerStep, double gcs, Map<String, Object> metrics) {}

    static List<Row> run(List<WorkloadSpec> specs, boolean full, int threads) throws RunnerException, IOException {
        Path metricsDir = Files.createTempDirectory("zerograd-bench-metrics");
        List<Row> rows = new ArrayList<>();
        try {
            for (WorkloadSpec spec : specs) {
                ChainedOptionsBuilder b = new OptionsBuilder()
                        .include(WorkloadBench.class.getName() + ".step")
                        .param("workload", spec.name())
                        .addProfiler(GCProfiler.class)
                        .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector",
                                "--add-exports=jdk.internal.jvmstat/sun.jvmstat.monitor=ALL-UNNAMED", "-XX:+UseParallelGC",
                                "-Xss4m", "-Dzerograd.threads=" + threads, "-Dzerograd.bench.metrics=" + metricsDir)
                        .shouldFailOnError(true);
                int seconds = spec.heavy() ? (full ? 5 : 2) : (full ? 2 : 1);
                b.forks(full ? 2 : 1)
                        .warmupIterations(full ? (spec.heavy() ? 3 : 5) : (spec.heavy() ? 3 : 6))
                        .warmupTime(TimeValue.seconds(full || !spec.heavy() ? seconds : 3))
                        .measurementIterations(full ? 5 : 3)
                        .measurementTime(TimeValue.seconds(seconds));
                RunResult r = new Runner(b.build()).runSingle();
                Result<?> primary = r.getPrimaryResult();
                Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
                Result<?> gcs = r.getSecondaryResults().get("gc.count");
                double toSeconds = unitSeconds(primary.getScoreUnit());
                Map<String, Object> metrics = readMetrics(metricsDir.resolve(spec.name() + ".json"));
                rows.add(new Row(spec, primary.getScore() * toSeconds, primary.getScoreError() * toSeconds,
                        alloc == null ? Double.NaN : alloc.getScore(), gcs == null ? 0 : gcs.getScore(), metrics));
            }
        } finally {
            try (var files = Files.list(metricsDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(metricsDir);
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readMetrics(Path file) throws IOException {
        return Files.isRegularFile(file) ? new ObjectMapper().readValue(file.toFile(), LinkedHashMap.class) : new LinkedHashMap<>();
    }

    static double unitSeconds(String unit) {
        return switch (unit) {
            case "ns/op" -> 1e-9;
            case "us/op" -> 1e-6;
            case "ms/op" -> 1e-3;
            case "s/op" -> 1;
            default -> throw new IllegalArgumentException("SuiteRun: unexpected JMH unit " + unit);
        };
    }

    /** The table (and its JSON rows) of a suite run. */
    static Table table(List<Row> rows, List<Map<String, Object>> json) {
        Table t = new Table("workload", "time/step", "±", "figure", "vs reference", "heap B/step", "JMH B/op", "GCs", "step arena peak");
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (Row r : rows) {
            seconds.put(r.spec().name(), r.seconds());
        }
        for (Row r : rows) {
            WorkloadSpec s = r.spec();
            double fraction = Reports.referenceFraction(s, r.seconds(), seconds);
            Object peak = r.metrics().get("step_arena_peak_bytes");
            Object thread = r.metrics().get("thread_bytes_per_step");
            t.add(s.name(), Table.time(r.seconds()), Table.time(r.error()), s.figure().format(r.seconds(), s.work()),
                    Double.isNaN(fraction) ? "" : String.format("%.0f %% of %s", 100 * fraction, s.reference()),
                    thread == null ? "-" : String.format("%.0f", ((Number) thread).doubleValue()),
                    String.format("%.0f", r.bytesPerStep()), String.format("%.0f", r.gcs()),
                    peak == null ? "" : Table.bytes(((Number) peak).doubleValue()));
            Map<String, Object> j = Reports.specJson(s);
            j.put("seconds_per_step", r.seconds());
            j.put("error_seconds", r.error());
            if (s.figure() != Figure.NONE) {
                j.put("figure", s.figure().value(r.seconds(), s.work()));
            }
            if (!Double.isNaN(fraction)) {
                j.put("reference_fraction", fraction);
            }
            j.put("jmh_alloc_bytes_per_op", r.bytesPerStep());
            j.put("gc_count", r.gcs());
            j.put("metrics", r.metrics());
            json.add(j);
        }
        return t;
    }

    static void print(Table t, List<Row> rows, Map<String, Object> machine, PrintStream out) {
        List<String> notes = new ArrayList<>();
        for (Row r : rows) {
            Object jit = r.metrics().get("jit_steps");
            Object steady = r.metrics().get("steady_steps");
            if (jit != null && ((Number) jit).longValue() > 0) {
                long j = ((Number) jit).longValue();
                notes.add(Reports.jitNote(r.spec().name(), j, j + ((Number) steady).longValue(),
                        ((Number) r.metrics().get("jit_bytes")).longValue()));
            }
        }
        out.println();
        t.print(out);
        notes.forEach(n -> out.println("* " + n));
        out.println();
        out.println("Markdown (" + Machine.line(machine) + "):");
        out.println();
        out.print(t.markdown());
        notes.forEach(n -> out.println("\n* " + n));
    }
}
