package dev.zerograd.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
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
}
