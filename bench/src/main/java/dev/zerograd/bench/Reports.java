package dev.zerograd.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.zerograd.bench.workloads.Figure;
import dev.zerograd.bench.workloads.WorkloadSpec;
import dev.zerograd.bench.workloads.Workloads;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

/** JSON summaries and PNG charts for the command-line jobs. */
final class Reports {
    private Reports() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static void writeJson(Object value, Path file) throws IOException {
        JSON.writeValue(file.toFile(), value);
    }

    /** Training loss (left axis) and test accuracy in percent (right axis) per epoch. */
    static void trainingPlot(List<Map<String, Object>> history, String model, Path png) throws IOException {
        int n = history.size();
        double[] epochs = new double[n];
        double[] loss = new double[n];
        double[] acc = new double[n];
        for (int i = 0; i < n; i++) {
            Map<String, Object> row = history.get(i);
            epochs[i] = ((Number) row.get("epoch")).doubleValue();
            loss[i] = ((Number) row.get("train_loss")).doubleValue();
            acc[i] = 100 * ((Number) row.get("test_accuracy")).doubleValue();
        }
        XYChart chart = new XYChartBuilder().width(900).height(500)
                .title("zerograd: " + model + " on Fashion-MNIST").xAxisTitle("epoch").yAxisTitle("training loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0.###");
        XYSeries l = chart.addSeries("training loss", epochs, loss);
        l.setYAxisGroup(0);
        XYSeries a = chart.addSeries("test accuracy (%)", epochs, acc);
        a.setYAxisGroup(1);
        chart.setYAxisGroupTitle(1, "test accuracy (%)");
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** A workload's identity in JSON reports: name, description, parameters, what its figure means. */
    static Map<String, Object> specJson(WorkloadSpec s) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("workload", s.name());
        j.put("description", s.description());
        j.put("params", s.params().values());
        j.put("figure_kind", s.figure().name());
        if (s.figure() != Figure.NONE) {
            j.put("work_per_step", s.work());
        }
        return j;
    }

    /**
     * The fraction of its reference workload's GFLOP/s that {@code s} reaches ({@code seconds} per step), given
     * the seconds per step of the workloads measured in the same run; NaN without a reference or its figure.
     */
    static double referenceFraction(WorkloadSpec s, double seconds, Map<String, Double> secondsByName) {
        if (s.reference() == null || s.figure() != Figure.GFLOPS) {
            return Double.NaN;
        }
        Double refSeconds = secondsByName.get(s.reference());
        if (refSeconds == null) {
            return Double.NaN;
        }
        WorkloadSpec ref = Workloads.get(s.reference());
        return s.figure().value(seconds, s.work()) / ref.figure().value(refSeconds, ref.work());
    }

    /**
     * Bars of the ratio zerograd / peer per workload (below 1: zerograd is faster) beside bars of each workload's
     * target (none where it has none). A linear axis: XChart's log axis rejects the missing targets.
     */
    static void ratioChart(List<String> names, List<Double> ratios, List<Double> targets, String peer, String caption, Path png)
            throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(560)
                .title("zerograd / " + peer + ": median step time ratio (lower is better)")
                .xAxisTitle(caption).yAxisTitle("ratio").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setXAxisLabelRotation(20);
        chart.getStyler().setYAxisDecimalPattern("0.##");
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.###");
        chart.addSeries("zerograd / " + peer, names, ratios);
        List<Double> t = new ArrayList<>();
        for (Double v : targets) {
            t.add(v == null || v.isNaN() ? null : v);
        }
        chart.addSeries("target (at most)", names, t);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** The footnote of a workload some of whose measured steps overlapped a JIT compilation (Note [Steps that overlap the JIT]). */
    static String jitNote(String workload, long jitSteps, long measuredSteps, long jitBytes) {
        return String.format("%s: heap B/step over its JIT-quiet steps; %d of its %d measured steps overlapped a JIT"
                + " compilation and allocated %d B in all", workload, jitSteps, measuredSteps, jitBytes);
    }
}
