package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.train.MetricsLog.MetricsRow;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of a training run, drawn with XChart: loss, accuracy and learning-rate curves from the
 * {@link MetricsLog} rows, and confusion matrices.
 *
 * <p>Rendering is headless: unless the JVM was started with an explicit {@code java.awt.headless}
 * setting, loading this class sets it to {@code true} (it must happen before AWT starts).
 *
 * <p>Every file is written with {@link AtomicFiles}, so a reader never sees a half-written image and a crash
 * leaves the previous one.
 *
 * <p>Points whose value is NaN or infinite (for example validation metrics of an epoch without
 * validation) are left out; a series with no finite point is left out entirely.
 */
public final class Plots {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Width in pixels of the training-curve PNGs. */
    public static final int CURVE_WIDTH = 800;
    /** Height in pixels of the training-curve PNGs. */
    public static final int CURVE_HEIGHT = 500;

    private Plots() {
    }

    /**
     * Writes {@code loss.png} (train and validation loss), {@code accuracy.png} (train accuracy and
     * validation top-1, in percent) and {@code lr.png} (learning rate) against the epoch into
     * {@code dir}, creating it if needed. The learning-rate axis is logarithmic when the rate spans
     * more than a factor of 20 (e.g. step decay) and stays positive.
     *
     * @param rows per-epoch metrics, as read by {@link MetricsLog#read(Path)}; accuracies are fractions
     * @throws ResNet4jException if {@code rows} is empty or a file cannot be written
     */
    public static void trainingCurves(List<MetricsRow> rows, Path dir) {
        if (rows.isEmpty()) {
            throw new ResNet4jException("No metrics rows to plot into " + dir + ".");
        }
        XYChart loss = curveChart("Loss", "loss", LegendPosition.InsideNE);
        addSeries(loss, "train loss", rows, MetricsRow::trainLoss);
        addSeries(loss, "val loss", rows, MetricsRow::valLoss);

        XYChart acc = curveChart("Accuracy", "accuracy (%)", LegendPosition.InsideSE);
        addSeries(acc, "train acc", rows, r -> 100 * r.trainAcc());
        addSeries(acc, "val top-1", rows, r -> 100 * r.valTop1());

        XYChart lr = curveChart("Learning rate", "learning rate", LegendPosition.InsideNE);
        lr.getStyler().setLegendVisible(false);
        addSeries(lr, "lr", rows, MetricsRow::lr);
        lr.getStyler().setYAxisLogarithmic(wantsLogScale(rows));

        createDirectories(dir);
        writePng(loss, dir.resolve("loss.png"));
        writePng(acc, dir.resolve("accuracy.png"));
        writePng(lr, dir.resolve("lr.png"));
    }

    /**
     * Writes a confusion matrix as a heat map: true class down the side (first class at the top),
     * predicted class along the bottom, each cell showing its count. The image is square, {@link
     * #confusionMatrixSize(int)} pixels on a side.
     *
     * @param counts {@code counts[t][p]} = number of samples of true class {@code t} predicted as {@code p}
     * @param labels class names, one per row/column of {@code counts}
     * @param png    the file to write; its directory is created if needed
     * @throws ResNet4jException if the matrix is empty, not square, has negative counts, does not
     *                           match the labels, or the file cannot be written
     */
    public static void confusionMatrix(int[][] counts, List<String> labels, Path png) {
        int n = labels.size();
        validateConfusion(counts, n, png);
        int size = confusionMatrixSize(n);
        HeatMapChart chart = new HeatMapChartBuilder().width(size).height(size)
                .title("Confusion matrix").xAxisTitle("predicted").yAxisTitle("true").build();
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
        chart.getStyler().setPlotContentSize(1.0);
        chart.getStyler().setShowValue(n <= 30);
        chart.getStyler().setHeatMapValueDecimalPattern("#");
        // White to mid blue, so the black cell values stay readable on the darkest cells.
        chart.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(66, 146, 198)});
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setXAxisLabelRotation(labelsFitHorizontally(labels, size) ? 0 : 90);
        chart.getStyler().setMin(0);
        chart.getStyler().setMax(Math.max(1, max(counts)));

        List<String> yLabels = new ArrayList<>(n);
        for (int t = n - 1; t >= 0; t--) {
            yLabels.add(labels.get(t)); // y grows upwards; reverse so class 0 is on top
        }
        List<Number[]> cells = new ArrayList<>(n * n);
        for (int t = 0; t < n; t++) {
            for (int p = 0; p < n; p++) {
                cells.add(new Number[] {p, n - 1 - t, counts[t][p]});
            }
        }
        chart.addSeries("count", List.copyOf(labels), yLabels, cells);

        Path parent = png.toAbsolutePath().getParent();
        createDirectories(parent);
        writePng(chart, png);
    }

    /** Side in pixels of a confusion-matrix PNG for {@code classes} classes (600 to 3000). */
    public static int confusionMatrixSize(int classes) {
        return (int) Math.max(600, Math.min(3000, 200 + 28L * classes));
    }

    /** Whether the predicted-class labels fit side by side under the plot (about 8 px a character). */
    private static boolean labelsFitHorizontally(List<String> labels, int size) {
        int longest = labels.stream().mapToInt(String::length).max().orElse(0);
        return (longest + 1) * 8L * labels.size() < size * 0.7;
    }

    private static XYChart curveChart(String title, String yTitle, LegendPosition legend) {
        XYChart chart = new XYChartBuilder().width(CURVE_WIDTH).height(CURVE_HEIGHT)
                .title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        return chart;
    }

    /** Adds the finite points of one metric; a metric with none is omitted. */
    private static void addSeries(XYChart chart, String name, List<MetricsRow> rows,
                                  ToDoubleFunction<MetricsRow> metric) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (MetricsRow row : rows) {
            double y = metric.applyAsDouble(row);
            if (Double.isFinite(y)) {
                xs.add((double) row.epoch());
                ys.add(y);
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        chart.addSeries(name, xs, ys).setMarker(xs.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    private static boolean wantsLogScale(List<MetricsRow> rows) {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (MetricsRow row : rows) {
            double lr = row.lr();
            if (Double.isFinite(lr)) {
                if (lr <= 0) {
                    return false;
                }
                min = Math.min(min, lr);
                max = Math.max(max, lr);
            }
        }
        return max > 0 && max / min > 20;
    }

    private static void validateConfusion(int[][] counts, int n, Path png) {
        if (n == 0) {
            throw new ResNet4jException("Cannot plot an empty confusion matrix to " + png + ".");
        }
        if (counts.length != n) {
            throw new ResNet4jException("Confusion matrix for " + png + " has " + counts.length
                    + " rows but " + n + " labels.");
        }
        for (int t = 0; t < n; t++) {
            if (counts[t] == null || counts[t].length != n) {
                throw new ResNet4jException("Confusion matrix for " + png + " is not square: row " + t
                        + " has " + (counts[t] == null ? 0 : counts[t].length) + " entries, expected " + n + ".");
            }
            for (int c : counts[t]) {
                if (c < 0) {
                    throw new ResNet4jException("Confusion matrix for " + png + " has a negative count in row "
                            + t + ".");
                }
            }
        }
    }

    private static int max(int[][] counts) {
        int m = 0;
        for (int[] row : counts) {
            for (int c : row) {
                m = Math.max(m, c);
            }
        }
        return m;
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ResNet4jException("Cannot create plot directory " + dir + ": " + e.getMessage() + ".", e);
        }
    }

    /** Renders {@code chart} as a PNG and replaces {@code target} with it atomically ({@link AtomicFiles}). */
    private static void writePng(Chart<?, ?> chart, Path target) {
        try {
            AtomicFiles.write(target, out -> BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG));
        } catch (ResNet4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ResNet4jException("Cannot write plot " + target + ": " + e.getMessage() + ".", e);
        }
    }
}
