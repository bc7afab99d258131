package io.resnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.reliability.Cli;
import io.resnet4j.reliability.Scenery;
import io.resnet4j.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo} end to end on a tiny image folder with a few-second budget: trains, evaluates, predicts, reports. */
class DemoCommandTest {
    @TempDir Path tmp;

    @Test
    void trainsWithinItsBudgetThenEvaluatesAndPredicts() throws IOException {
        // Two classes of noisy 32x32 squares, dark and light: 70 training images each (one batch of 128), 35 to test.
        Path data = Scenery.imageFolder(tmp.resolve("data"), 70, 32);
        Path out = tmp.resolve("run");
        Cli.Run r = Cli.run("demo", "--data", "folder:" + data, "--out", out.toString(), "--minutes", "0.05");
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("test accuracy: ([0-9.]+)% top-1, ([0-9.]+)% top-5; ([0-9.]+)% top-1 with flip "
                + "test-time augmentation \\(cifar-resnet20-v2, (\\d+) epochs").matcher(r.out());
        assertTrue(m.find(), r.out());
        for (int g = 1; g <= 3; g++) {
            double accuracy = Double.parseDouble(m.group(g));
            assertTrue(accuracy >= 0 && accuracy <= 100, r.out());
        }
        int epochs = Integer.parseInt(m.group(4));
        assertTrue(epochs >= 1 && epochs <= 30, r.out());
        assertEquals(epochs, MetricsLog.read(out.resolve("metrics.csv")).size());
        for (String f : new String[] {"config.json", "model.safetensors", "accuracy.png", "confusion.png"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        // Six test images written and classified, each line naming a class of the data and the truth.
        long lines = r.out().lines().filter(l -> l.matches("\\s+test-\\d{4}\\.png\\s+(dark|light)\\s+[0-9.]+%\\s+"
                + "\\(truth: (dark|light)\\)")).count();
        assertEquals(6, lines, r.out());
        assertTrue(r.out().contains("Try:    ./resnet4j predict --model " + out), r.out());
    }
}
