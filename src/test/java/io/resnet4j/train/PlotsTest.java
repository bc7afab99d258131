package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import io.resnet4j.train.MetricsLog.MetricsRow;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

    private static final double NaN = Double.NaN;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path dir;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    private static List<MetricsRow> rows(int epochs) {
        List<MetricsRow> rows = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            double lr = 0.1 * Math.pow(0.1, (e - 1) / 3);
            rows.add(new MetricsRow(e, e * 50L, 2.0 / e, 1 - 0.5 / e, 2.2 / e, 1 - 0.6 / e, 1 - 0.2 / e,
                    lr, 900 + e, 30));
        }
        return rows;
    }

    private static BufferedImage readPng(Path png) throws IOException {
        assertTrue(Files.isRegularFile(png), png + " missing");
        try (InputStream in = Files.newInputStream(png)) {
            assertArrayEquals(PNG_SIGNATURE, in.readNBytes(8), png + " is not a PNG");
        }
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " cannot be decoded");
        return image;
    }

    private void assertCurves(Path out) throws IOException {
        for (String name : List.of("loss.png", "accuracy.png", "lr.png")) {
            BufferedImage image = readPng(out.resolve(name));
            assertEquals(Plots.CURVE_WIDTH, image.getWidth(), name);
            assertEquals(Plots.CURVE_HEIGHT, image.getHeight(), name);
        }
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(3, files.count(), "temporary files left behind");
        }
    }

    @Test
    void writesTrainingCurves() throws IOException {
        Path out = dir.resolve("plots");
        Plots.trainingCurves(rows(10), out);
        assertCurves(out);
        Plots.trainingCurves(rows(12), out); // overwrites in place
        assertCurves(out);
    }

    @Test
    void singleEpochDoesNotThrow() throws IOException {
        Plots.trainingCurves(rows(1), dir);
        assertCurves(dir);
    }

    @Test
    void nanValuesDoNotThrow() throws IOException {
        List<MetricsRow> rows = new ArrayList<>();
        rows.add(new MetricsRow(1, 10, 2.3, 0.1, NaN, NaN, NaN, 0.1, 100, 5));
        rows.add(new MetricsRow(2, 20, NaN, NaN, 1.9, 0.3, 0.6, NaN, NaN, NaN));
        rows.add(new MetricsRow(3, 30, 1.5, 0.4, NaN, NaN, NaN, 0.0, 100, 5));
        rows.add(new MetricsRow(4, 40, Double.POSITIVE_INFINITY, 0.5, 1.2, 0.55, 0.8, 0.01, 100, 5));
        Plots.trainingCurves(rows, dir);
        assertCurves(dir);
    }

    @Test
    void allNanDoesNotThrow() throws IOException {
        Plots.trainingCurves(List.of(new MetricsRow(1, 0, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN)), dir);
        assertCurves(dir);
    }

    @Test
    void emptyRowsIsAClearError() {
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> Plots.trainingCurves(List.of(), dir));
        assertTrue(e.getMessage().contains("No metrics rows"), e.getMessage());
    }

    @Test
    void writesConfusionMatrix() throws IOException {
        int[][] counts = {{50, 2, 0}, {3, 40, 7}, {0, 5, 45}};
        Path png = dir.resolve("eval").resolve("confusion.png");
        Plots.confusionMatrix(counts, List.of("cat", "dog", "fox"), png);
        BufferedImage image = readPng(png);
        assertEquals(600, Plots.confusionMatrixSize(3));
        assertEquals(600, image.getWidth());
        assertEquals(600, image.getHeight());
    }

    @Test
    void largerConfusionMatrixGrowsAndEmptyCountsWork() throws IOException {
        int n = 40;
        int[][] counts = new int[n][n];
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            labels.add("class_" + i);
        }
        Path png = dir.resolve("cm.png");
        Plots.confusionMatrix(counts, labels, png); // all zeros
        BufferedImage image = readPng(png);
        assertEquals(Plots.confusionMatrixSize(n), image.getWidth());
        assertEquals(Plots.confusionMatrixSize(n), image.getHeight());
        assertTrue(Plots.confusionMatrixSize(n) > 600);
    }

    @Test
    void confusionMatrixValidation() {
        Path png = dir.resolve("cm.png");
        assertMessage("has 2 rows but 3 labels",
                () -> Plots.confusionMatrix(new int[][] {{1, 2, 3}, {1, 2, 3}}, List.of("a", "b", "c"), png));
        assertMessage("not square",
                () -> Plots.confusionMatrix(new int[][] {{1, 2}, {1}}, List.of("a", "b"), png));
        assertMessage("negative count",
                () -> Plots.confusionMatrix(new int[][] {{1, -2}, {1, 0}}, List.of("a", "b"), png));
        assertMessage("empty confusion matrix", () -> Plots.confusionMatrix(new int[0][], List.of(), png));
        assertTrue(Files.notExists(png));
    }

    private static void assertMessage(String expected, Runnable action) {
        ResNet4jException e = assertThrows(ResNet4jException.class, action::run);
        assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage() + " "
                + Arrays.toString(e.getStackTrace()));
    }
}
