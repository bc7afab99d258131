package io.resnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.reliability.Cli;
import io.resnet4j.train.MetricsLog;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo} end to end on a tiny image folder with a few-second budget: trains, evaluates, predicts, reports. */
class DemoCommandTest {
    @TempDir Path tmp;

    @Test
    void trainsWithinItsBudgetThenEvaluatesAndPredicts() throws IOException {
        Path data = folder(tmp.resolve("data"));
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

    /** Two classes, dark and light noisy 32x32 grey squares: 70 training (one batch of 128) and 4 validation images each. */
    private static Path folder(Path root) throws IOException {
        Random random = new Random(3);
        String[] classes = {"dark", "light"};
        for (int c = 0; c < 2; c++) {
            for (String split : new String[] {"train", "val"}) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(classes[c]));
                for (int i = 0; i < (split.equals("train") ? 70 : 4); i++) {
                    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
                    for (int y = 0; y < 32; y++) {
                        for (int x = 0; x < 32; x++) {
                            img.getRaster().setSample(x, y, 0, 40 + 160 * c + random.nextInt(50));
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
                }
            }
        }
        return root;
    }
}
