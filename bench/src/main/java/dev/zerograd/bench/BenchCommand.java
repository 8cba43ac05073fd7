package dev.zerograd.bench;

import dev.zerograd.bench.jmh.OpChainBench;
import dev.zerograd.bench.jmh.SgemmBench;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the JMH benchmarks with the GC profiler and prints one table: time per op, the derived figure of each
 * workload (GFLOP/s for GEMM, ns per op for the op chain) and heap bytes allocated per op.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run the JMH benchmarks (quick by default).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--full", description = "the full run: 2 forks, 5 warm-up and 5 measured iterations of 2 s")
    boolean full;

    @Option(names = "--include", description = "regular expression of benchmarks to run (default: all)")
    String include = "dev\\.zerograd\\.bench\\.jmh\\..*";

    @Option(names = "--out", description = "JSON results file (default: ${DEFAULT-VALUE})")
    Path out = Path.of("bench-results.json");

    @Override
    public Integer call() throws Exception {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(include)
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC")
                .shouldFailOnError(true);
        if (full) {
            b.forks(2).warmupIterations(5).warmupTime(TimeValue.seconds(2)).measurementIterations(5)
                    .measurementTime(TimeValue.seconds(2));
        } else {
            b.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(1)).measurementIterations(3)
                    .measurementTime(TimeValue.seconds(1));
        }
        Collection<RunResult> results = new Runner(b.build()).run();
        List<Map<String, Object>> rows = new ArrayList<>();
        System.out.printf("%n%-32s %-10s %14s %-6s %16s %12s%n", "benchmark", "params", "score", "unit", "derived", "B/op");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replaceFirst("^dev\\.zerograd\\.bench\\.jmh\\.", "");
            String params = String.join(",", r.getParams().getParamsKeys().stream()
                    .map(k -> k + "=" + r.getParams().getParam(k)).toList());
            Result<?> primary = r.getPrimaryResult();
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            Result<?> gcs = r.getSecondaryResults().get("gc.count");
            double score = primary.getScore();
            String derived = derived(name, r, score, primary.getScoreUnit());
            double bytes = alloc == null ? Double.NaN : alloc.getScore();
            System.out.printf("%-32s %-10s %14.3f %-6s %16s %12.1f%n", name, params, score, primary.getScoreUnit(), derived, bytes);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("benchmark", name);
            row.put("params", params);
            row.put("score", score);
            row.put("error", primary.getScoreError());
            row.put("unit", primary.getScoreUnit());
            row.put("derived", derived);
            row.put("alloc_bytes_per_op", bytes);
            row.put("gc_count", gcs == null ? 0 : gcs.getScore());
            rows.add(row);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("mode", full ? "full" : "quick");
        report.put("jdk", Runtime.version().toString());
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("results", rows);
        Reports.writeJson(report, out);
        System.out.println("\nresults: " + out.toAbsolutePath());
        return 0;
    }

    /** GFLOP/s for GEMM (from the time per call), ns per op for the op chain; blank otherwise. */
    private static String derived(String name, RunResult r, double score, String unit) {
        if (name.startsWith("SgemmBench")) {
            int n = Integer.parseInt(r.getParams().getParam("n"));
            double seconds = score * ("us/op".equals(unit) ? 1e-6 : "ns/op".equals(unit) ? 1e-9 : 1e-3);
            return String.format("%.1f GFLOP/s", SgemmBench.flops(n) / seconds / 1e9);
        }
        if (name.startsWith("OpChainBench")) {
            return String.format("%.0f ns per op", score);
        }
        return "";
    }
}
