package io.resnet4j.experiment;

import io.resnet4j.ResNet4jException;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.train.MetricsLog.MetricsRow;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The degradation experiment's two figures, drawn with XChart and written atomically. */
final class DegradationPlots {
    private static final Color[] DEPTH_COLOURS = {new Color(0xE6, 0x9F, 0x00), new Color(0xD5, 0x5E, 0x00),
        new Color(0x00, 0x72, 0xB2), new Color(0x00, 0x9E, 0x73), new Color(0xCC, 0x79, 0xA7),
        new Color(0x56, 0xB4, 0xE9)};
    private static final int PANEL_WIDTH = 700;
    private static final int HEIGHT = 500;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private DegradationPlots() {
    }

    /**
     * The layout of the paper's Fig. 6: plain nets on the left, residual nets on the right; training error (thin,
     * one point per window of steps) and test error (bold, one point per epoch) in percent against iterations, one
     * colour per depth.
     */
    static void trainingError(List<DegradationExperiment.Net> nets, Path png) {
        List<Integer> depths = nets.stream().map(DegradationExperiment.Net::depth).distinct().sorted().toList();
        double top = 0;
        for (DegradationExperiment.Net n : nets) {
            for (DegradationExperiment.Window w : n.windows()) {
                top = Math.max(top, 100 * w.error());
            }
            for (MetricsRow r : n.metrics()) {
                if (Double.isFinite(r.valTop1())) {
                    top = Math.max(top, 100 * (1 - r.valTop1()));
                }
            }
        }
        List<XYChart> panels = new ArrayList<>();
        for (boolean plain : new boolean[] {true, false}) {
            XYChart c = chart(plain ? "Plain networks" : "Residual networks", "iterations", "error (%)");
            c.getStyler().setYAxisMin(0.0);
            c.getStyler().setYAxisMax(Math.min(100, Math.ceil(top / 5) * 5 + 1e-9));
            for (DegradationExperiment.Net n : nets) {
                if (n.plain() != plain) {
                    continue;
                }
                Color colour = DEPTH_COLOURS[depths.indexOf(n.depth()) % DEPTH_COLOURS.length];
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (DegradationExperiment.Window w : n.windows()) {
                    xs.add((double) w.step());
                    ys.add(100 * w.error());
                }
                add(c, n.name() + " train", xs, ys, colour, 1f);
                xs = new ArrayList<>();
                ys = new ArrayList<>();
                for (MetricsRow r : n.metrics()) {
                    if (Double.isFinite(r.valTop1())) {
                        xs.add((double) r.step());
                        ys.add(100 * (1 - r.valTop1()));
                    }
                }
                add(c, n.name() + " test", xs, ys, colour, 3.5f);
            }
            panels.add(c);
        }
        writeSideBySide(panels, png);
    }

    /**
     * Per-layer gradient norms (log scale) of the given nets (the deepest plain and residual one), first
     * convolution to classifier, at initialisation (dashed) and at the first step of epoch 2 (solid).
     */
    static void gradientNorms(List<DegradationExperiment.Net> nets, Path png) {
        XYChart c = chart("Gradient norm per layer, depth "
                + (nets.isEmpty() ? "?" : nets.get(0).depth()), "layer (first convolution to classifier)",
                "gradient L2 norm");
        c.getStyler().setYAxisLogarithmic(true);
        Color[] colours = {new Color(0xD5, 0x5E, 0x00), new Color(0x00, 0x72, 0xB2)};
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (DegradationExperiment.Net n : nets) {
            if (n.norms() != null) {
                for (double[] a : new double[][] {n.norms().atInit(), n.norms().afterEpoch1()}) {
                    for (double v : a == null ? new double[0] : a) {
                        if (v > 0 && Double.isFinite(v)) {
                            lo = Math.min(lo, v);
                            hi = Math.max(hi, v);
                        }
                    }
                }
            }
        }
        if (hi > 0) {
            // Whole decades, so that the logarithmic axis has at least two labelled ticks.
            c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lo))));
            c.getStyler().setYAxisMax(Math.pow(10, Math.max(Math.ceil(Math.log10(hi)), Math.floor(Math.log10(lo))
                    + 1)));
            c.getStyler().setYAxisDecimalPattern("0.###E0");
        }
        boolean any = false;
        for (DegradationExperiment.Net n : nets) {
            DegradationExperiment.LayerNorms norms = n.norms();
            if (norms == null) {
                continue;
            }
            Color colour = colours[n.plain() ? 0 : 1];
            any |= addNorms(c, n.name() + " at initialisation", norms.atInit(), colour, true);
            any |= addNorms(c, n.name() + " after epoch 1", norms.afterEpoch1(), colour, false);
        }
        if (!any) {
            c.getStyler().setYAxisLogarithmic(false);
            c.addSeries("no gradients recorded", new double[] {1}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        writeSideBySide(List.of(c), png);
    }

    private static boolean addNorms(XYChart c, String name, double[] norms, Color colour, boolean dashed) {
        if (norms == null) {
            return false;
        }
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < norms.length; i++) {
            if (norms[i] > 0 && Double.isFinite(norms[i])) {
                xs.add((double) (i + 1));
                ys.add(norms[i]);
            }
        }
        if (xs.isEmpty()) {
            return false;
        }
        XYSeries s = c.addSeries(name, xs, ys);
        s.setLineColor(colour);
        s.setMarkerColor(colour);
        s.setMarker(SeriesMarkers.CIRCLE);
        s.setLineStyle(dashed ? new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {6f, 4f}, 0f) : new BasicStroke(2f));
        return true;
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(PANEL_WIDTH).height(HEIGHT).title(title).xAxisTitle(x)
                .yAxisTitle(y).build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
        c.getStyler().setLegendPosition(LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setXAxisDecimalPattern("#");
        return c;
    }

    private static void add(XYChart c, String name, List<Double> xs, List<Double> ys, Color colour, float width) {
        if (xs.isEmpty()) {
            return;
        }
        XYSeries s = c.addSeries(name, xs, ys);
        s.setLineColor(colour);
        s.setMarkerColor(colour);
        s.setLineStyle(new BasicStroke(width));
        s.setMarker(xs.size() == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    /** The charts next to each other in one PNG, replacing {@code png} atomically. */
    private static void writeSideBySide(List<XYChart> charts, Path png) {
        try {
            int width = charts.stream().mapToInt(XYChart::getWidth).sum();
            BufferedImage all = new BufferedImage(width, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = all.createGraphics();
            int x = 0;
            for (XYChart c : charts) {
                g.drawImage(BitmapEncoder.getBufferedImage(c), x, 0, null);
                x += c.getWidth();
            }
            g.dispose();
            AtomicFiles.write(png, o -> ImageIO.write(all, "png", o));
        } catch (ResNet4jException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ResNet4jException("cannot write plot " + png + ": " + e.getMessage(), e);
        }
    }
}
