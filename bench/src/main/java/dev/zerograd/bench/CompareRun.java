package dev.zerograd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zerograd.bench.compare.Comparison;
import dev.zerograd.bench.compare.PeerProcess;
import dev.zerograd.bench.workloads.Figure;
import dev.zerograd.bench.workloads.WorkloadSpec;
import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./zerograd bench --compare torch}: every workload in zerograd and in PyTorch in one run, alternating
 * (Note [Alternating rounds] in {@link Comparison}), with the same threads for both; prints the ratios as a
 * table and as Markdown, writes them as JSON and a PNG chart.
 */
final class CompareRun {
    private CompareRun() {}

    static Map<String, Object> run(List<WorkloadSpec> specs, boolean full, int threads, Path python, Path script, Path png,
            PrintStream out) throws IOException {
        Parallel.setThreads(threads);
        GemmBackend.setThreads(threads);
        Map<String, Object> machine = Machine.describe();
        List<Comparison.Row> rows = new ArrayList<>();
        JsonNode hello;
        try (PeerProcess peer = PeerProcess.start(python, script, threads)) {
            hello = peer.hello(threads);
            if (!"torch".equals(hello.path("engine").asText())) {
                throw new IllegalStateException("bench --compare torch: " + python + " cannot import torch (" + hello.path("torch_error").asText()
                        + "); install it ('apt-get install python3-torch') or set ZEROGRAD_PYTHON to a python3 that has it");
            }
            out.println("zerograd: " + Machine.line(machine));
            out.println("PyTorch:  " + peerLine(hello));
            for (WorkloadSpec spec : specs) {
                out.printf("comparing %-14s %s ...%n", spec.name(), spec.description());
                Comparison.Settings s = full ? Comparison.Settings.full(spec.heavy()) : Comparison.Settings.quick(spec.heavy());
                Comparison.Row r = Comparison.run(spec, peer, s);
                out.printf("          %-14s zerograd %s, PyTorch %s, ratio %.3f (%d and %d steps)%n", "", Table.time(r.zerogradSeconds()),
                        Table.time(r.peerSeconds()), r.ratio(), r.zerogradSteps(), r.peerSteps());
                rows.add(r);
            }
        }
        Map<String, Double> pt = new LinkedHashMap<>();
        for (Comparison.Row r : rows) {
            pt.put(r.spec().name(), r.peerSeconds());
        }
        Table t = new Table("workload", "zerograd", "PyTorch", "ratio", "target", "met", "zerograd figure", "PyTorch figure", "heap B/step", "GCs");
        List<Map<String, Object>> json = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Comparison.Row r : rows) {
            WorkloadSpec s = r.spec();
            Boolean met = r.met();
            t.add(s.name(), Table.time(r.zerogradSeconds()), Table.time(r.peerSeconds()), String.format("%.3f", r.ratio()),
                    Double.isNaN(s.target()) ? "" : String.format("≤ %.3g", s.target()), met == null ? "" : met ? "yes" : "no",
                    s.figure().format(r.zerogradSeconds(), s.work()), s.figure().format(r.peerSeconds(), s.work()),
                    Long.toString(r.heapBytesPerStep()), Long.toString(r.gcs()));
            Map<String, Object> j = Reports.specJson(s);
            j.put("zerograd_seconds", r.zerogradSeconds());
            j.put("peer_seconds", r.peerSeconds());
            j.put("ratio", r.ratio());
            j.put("target", Double.isNaN(s.target()) ? null : s.target());
            j.put("met", met);
            if (s.figure() != Figure.NONE) {
                j.put("zerograd_figure", s.figure().value(r.zerogradSeconds(), s.work()));
                j.put("peer_figure", s.figure().value(r.peerSeconds(), s.work()));
            }
            double fz = s.reference() == null ? Double.NaN
                    : Reports.referenceFraction(s, r.zerogradSeconds(), Map.of(s.reference(), r.referenceSeconds()));
            double fp = Reports.referenceFraction(s, r.peerSeconds(), pt);
            if (!Double.isNaN(fz)) {
                j.put("reference_seconds", r.referenceSeconds());
                j.put("reference_fraction", fz);
                j.put("peer_reference_fraction", Double.isNaN(fp) ? null : fp);
                j.put("reference_met", fz >= s.refTarget());
                notes.add(String.format("%s reaches %.0f %% of the GFLOP/s of its bare GEMMs (%s, %s per step, timed in the same rounds;"
                        + " target at least %.0f %%: %s)", s.name(), 100 * fz, s.reference(), Table.time(r.referenceSeconds()),
                        100 * s.refTarget(), fz >= s.refTarget() ? "met" : "not met")
                        + (Double.isNaN(fp) ? "" : String.format("; PyTorch's step reaches %.0f %% of its own %s row", 100 * fp, s.reference())));
            }
            j.put("zerograd_steps", r.zerogradSteps());
            j.put("peer_steps", r.peerSteps());
            j.put("heap_bytes_per_step", r.heapBytesPerStep());
            j.put("gc_count", r.gcs());
            j.put("metrics", r.metrics());
            Object peak = r.metrics().get("step_arena_peak_bytes");
            if (peak != null && s.name().equals("DeepMlp")) {
                notes.add(s.name() + ": zerograd's step arena peaks at " + Table.bytes(((Number) peak).doubleValue())
                        + " (activations, their gradients and temporaries of one step)");
            }
            Object jit = r.metrics().get("jit_steps");
            if (jit != null && ((Number) jit).longValue() > 0) {
                notes.add(Reports.jitNote(s.name(), ((Number) jit).longValue(), r.zerogradSteps(),
                        ((Number) r.metrics().get("jit_step_heap_bytes")).longValue()));
            }
            json.add(j);
        }
        out.println();
        t.print(out);
        notes.forEach(n -> out.println("* " + n));
        out.println();
        String caption = "zerograd: " + Machine.line(machine) + "; PyTorch: " + peerLine(hello);
        out.println("Markdown (" + caption + "):");
        out.println();
        out.print(t.markdown());
        notes.forEach(n -> out.println("\n* " + n));

        List<String> names = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> targets = new ArrayList<>();
        for (Comparison.Row r : rows) {
            names.add(r.spec().name());
            ratios.add(r.ratio());
            targets.add(r.spec().target());
        }
        Reports.ratioChart(names, ratios, targets, "PyTorch", threads + " threads, " + Machine.cpuModel(), png);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("mode", full ? "compare-full" : "compare");
        report.put("machine", machine);
        report.put("peer", hello);
        report.put("threads", threads);
        report.put("results", json);
        report.put("notes", notes);
        report.put("chart", png.toString());
        return report;
    }

    private static String peerLine(JsonNode hello) {
        JsonNode blas = hello.path("blas");
        return "torch " + hello.path("version").asText() + " (Python " + hello.path("python").asText() + "), " + hello.path("threads").asInt()
                + " threads, BLAS " + blas.path("openblas_config").asText(blas.path("build").asText()) + " ("
                + blas.path("openblas_parallel").asText("?") + ", " + blas.path("openblas_threads").asText("?") + " threads) from "
                + blas.path("libraries").path(0).asText("?") + ", OMP_WAIT_POLICY " + hello.path("omp_wait_policy").asText("?");
    }
}
