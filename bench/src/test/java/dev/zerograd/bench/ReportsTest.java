package dev.zerograd.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerograd.bench.workloads.Workloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The suite's table and JSON, the reference fraction, the ratio chart, the text formats. */
class ReportsTest {
    @TempDir
    Path dir;

    @Test
    void suiteTableAndJson() throws IOException {
        List<SuiteRun.Row> rows = List.of(
                new SuiteRun.Row(Workloads.get("OpChain"), 1e-3, 1e-5, 0, 0, Map.of()),
                new SuiteRun.Row(Workloads.get("MlpWideStep"), 0.2, 0.01, 512, 0,
                        Map.of("step_arena_peak_bytes", 3L << 20, "thread_bytes_per_step", 0.0)),
                new SuiteRun.Row(Workloads.get("MlpWideGemms"), 0.16, 0.01, 0, 0, Map.of()));
        List<Map<String, Object>> json = new ArrayList<>();
        Table t = SuiteRun.table(rows, json);
        String md = t.markdown();
        assertTrue(md.startsWith("| workload | time/step |"), md);
        assertTrue(md.contains("| OpChain | 1.00 ms |"), md);
        assertTrue(md.contains("1000 ns/op"), md);
        assertTrue(md.contains("80 % of MlpWideGemms"), md);
        assertTrue(md.contains("| 80 % of MlpWideGemms | 0 | 512 | 0 | 3.0 MiB |"), md);
        assertEquals(5, md.split("\n").length, md);

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("mode", "quick");
        report.put("results", json);
        Path f = dir.resolve("bench-results.json");
        Reports.writeJson(report, f);
        JsonNode read = new ObjectMapper().readTree(f.toFile());
        assertEquals("quick", read.path("mode").asText());
        JsonNode wide = read.path("results").get(1);
        assertEquals("MlpWideStep", wide.path("workload").asText());
        assertEquals("mlp", wide.path("params").path("kind").asText());
        assertEquals(0.2, wide.path("seconds_per_step").asDouble());
        assertEquals(Workloads.get("MlpWideStep").work() / 0.2 / 1e9, wide.path("figure").asDouble(), 1e-9);
        assertEquals(0.8, wide.path("reference_fraction").asDouble(), 1e-12);
        assertEquals(3 << 20, wide.path("metrics").path("step_arena_peak_bytes").asLong());
        assertEquals(512, wide.path("jmh_alloc_bytes_per_op").asDouble());
        assertTrue(read.path("results").get(0).path("reference_fraction").isMissingNode());
    }

    @Test
    void referenceFractionNeedsTheReferenceInTheSameRun() {
        var wide = Workloads.get("MlpWideStep");
        assertEquals(0.5, Reports.referenceFraction(wide, 2.0, Map.of("MlpWideGemms", 1.0)), 1e-12);
        assertTrue(Double.isNaN(Reports.referenceFraction(wide, 2.0, Map.of())));
        assertTrue(Double.isNaN(Reports.referenceFraction(Workloads.get("MlpStep"), 2.0, Map.of("MlpWideGemms", 1.0))));
    }

    @Test
    void ratioChartIsAPng() throws IOException {
        Path png = dir.resolve("ratios.png");
        Reports.ratioChart(List.of("OpChain", "MlpStep", "Sgemm64"), List.of(0.05, 1.2, 0.9), Arrays.asList(0.02, 0.9, Double.NaN),
                "PyTorch", "2 threads", png);
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
    }

    @Test
    void formats() {
        assertEquals("812 µs", Table.time(812e-6));
        assertEquals("3.65 ms", Table.time(3.65e-3));
        assertEquals("0.46 µs", Table.time(0.46e-6));
        assertEquals("1.20 s", Table.time(1.2));
        assertEquals("327.5 MiB", Table.bytes(327.5 * (1 << 20)));
        assertEquals("12 B", Table.bytes(12));
        Table t = new Table("a", "b");
        t.add("x", "1");
        assertEquals("| a | b |\n|---|---:|\n| x | 1 |\n", t.markdown());
    }
}
