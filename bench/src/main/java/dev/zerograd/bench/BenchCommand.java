package dev.zerograd.bench;

import dev.zerograd.bench.workloads.WorkloadSpec;
import dev.zerograd.bench.workloads.Workloads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./zerograd bench}: the workloads of {@link Workloads#ALL} through JMH with the GC profiler (quick by
 * default, {@code --full} for the full run), or side by side with PyTorch ({@code --compare torch}). Prints a
 * table and the same table in Markdown, and writes the results as JSON ({@code --out}); the comparison also
 * draws its ratios into a PNG next to the JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the benchmark workloads: JMH (quick by default), or side by side with PyTorch (--compare torch).")
final class BenchCommand implements Callable<Integer> {
    enum Peer { torch }

    @Option(names = "--full", description = "the full run (JMH: 2 forks and longer iterations; compare: more and longer rounds)")
    boolean full;

    @Option(names = "--include", description = "regular expression of workload names to run (default: all; --list shows them)")
    String include = ".*";

    @Option(names = "--list", description = "list the workloads (name, shapes, figure, target) and exit")
    boolean list;

    @Option(names = "--compare", description = "run each workload in zerograd and in this engine, alternating, and print the ratios: ${COMPLETION-CANDIDATES}")
    Peer compare;

    @Option(names = "--threads", description = "threads for zerograd's kernels and OpenBLAS, and for the peer (default: ${DEFAULT-VALUE})")
    int threads = 2;

    @Option(names = "--python", description = "the python3 that runs the peer (default: $ZEROGRAD_PYTHON, else /usr/bin/python3)")
    Path python;

    @Option(names = "--peer-script", description = "the peer script (default: bench/peers/torch_peer.py in the project)")
    Path peerScript;

    @Option(names = "--out", description = "JSON results file (default: ${DEFAULT-VALUE}); --compare also writes its chart beside it as .png")
    Path out = Path.of("bench-results.json");

    @Override
    public Integer call() throws Exception {
        if (threads < 1) {
            throw new IllegalArgumentException("bench: --threads " + threads + " must be at least 1");
        }
        List<WorkloadSpec> specs = Workloads.matching(include);
        if (list) {
            Table t = new Table("workload", "what one step is", "figure", "target vs PyTorch", "params");
            for (WorkloadSpec s : specs) {
                t.add(s.name(), s.description(), s.figure().name(), Double.isNaN(s.target()) ? "" : String.format("ratio ≤ %.3g", s.target())
                        + (s.reference() == null ? "" : String.format(", ≥ %.0f %% of %s", 100 * s.refTarget(), s.reference())),
                        s.params().values().toString());
            }
            t.print(System.out);
            return 0;
        }
        Map<String, Object> report;
        if (compare != null) {
            Path png = Path.of(out.toString().replaceFirst("\\.json$", "") + ".png");
            report = CompareRun.run(specs, full, threads, pythonPath(), scriptPath(), png, System.out);
            System.out.println("\nchart:   " + png.toAbsolutePath());
        } else {
            List<SuiteRun.Row> rows = SuiteRun.run(specs, full, threads);
            List<Map<String, Object>> json = new ArrayList<>();
            Table t = SuiteRun.table(rows, json);
            Map<String, Object> machine = Machine.describe();
            SuiteRun.print(t, rows, machine, System.out);
            report = new LinkedHashMap<>();
            report.put("mode", full ? "full" : "quick");
            report.put("machine", machine);
            report.put("threads", threads);
            report.put("results", json);
        }
        Reports.writeJson(report, out);
        System.out.println("results: " + out.toAbsolutePath());
        return 0;
    }

    private Path pythonPath() {
        if (python != null) {
            return python;
        }
        String env = System.getenv("ZEROGRAD_PYTHON");
        return Path.of(env != null && !env.isBlank() ? env : "/usr/bin/python3");
    }

    private Path scriptPath() {
        if (peerScript != null) {
            return peerScript;
        }
        String home = System.getProperty("zerograd.home");
        Path rel = Path.of("bench", "peers", "torch_peer.py");
        return home != null ? Path.of(home).resolve(rel) : rel;
    }
}
