package io.resnet4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.reliability.Cli;
import io.resnet4j.reliability.Scenery;
import io.resnet4j.train.MetricsLog;
import io.resnet4j.train.MetricsLog.MetricsRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code experiment degradation} end to end on a tiny synthetic image folder: every file, consistent numbers. */
class DegradationCommandTest {
    @TempDir Path tmp;

    @Test
    void writesEveryFileWithConsistentNumbersAndResumes() throws IOException {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 40, 16);
        Path out = tmp.resolve("degradation");
        String[] args = {"experiment", "degradation", "--data", "folder:" + data, "--depths", "14,8", "--epochs", "2",
            "--batch-size", "16", "--window", "2", "--precision", "fp32", "--out", out.toString()};
        Cli.Run r = Cli.run(args);
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("training-error.png", "gradient-norms.png", "results.json", "REPORT.md")) {
            assertTrue(Files.size(out.resolve(f)) > 100, f);
        }
        assertTrue(r.err().contains("[plain14] epoch 2/2"), "progress names the net: " + r.err());
        JsonNode results = check(out, r.out());

        // A rerun skips every finished net and writes the same numbers.
        Cli.Run again = Cli.run(args);
        assertEquals(0, again.code(), again.err());
        assertEquals(4, again.err().lines().filter(l -> l.contains("already trained")).count(), again.err());
        assertEquals(results.get("nets"), check(out, again.out()).get("nets"));

        // An interrupted net (after its first epoch's checkpoint) resumes, and counts no iteration twice.
        Path net = out.resolve("resnet14");
        Files.delete(net.resolve("net.json"));
        Files.delete(net.resolve("checkpoints").resolve("epoch-0002.safetensors"));
        Cli.Run resumed = Cli.run(args);
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("[resnet14] resnet4j: resuming after epoch 1"), resumed.err());
        check(out, resumed.out());
    }

    @Test
    void aTimeBudgetIsSharedByMeasuredStepTimes() throws IOException {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 20, 16);
        Path out = tmp.resolve("budgeted");
        Cli.Run r = Cli.run("experiment", "degradation", "--data", "folder:" + data, "--depths", "8,14", "--minutes",
                "0.04", "--batch-size", "8", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode budget = new ObjectMapper().readTree(Files.readString(out.resolve("budget.json")));
        double sum = 0;
        for (String n : List.of("plain8", "resnet8", "plain14", "resnet14")) {
            double share = budget.get("shares").get(n).asDouble();
            assertTrue(share > 0, n);
            sum += share;
        }
        assertEquals(0.04, sum, 1e-9);
        assertTrue(budget.get("shares").get("plain14").asDouble() > budget.get("shares").get("plain8").asDouble());
        JsonNode printed = new ObjectMapper().readTree(r.out());
        assertEquals(4, printed.get("nets").size());
        assertTrue(Files.isRegularFile(out.resolve("REPORT.md")));
    }

    @Test
    void usageErrors() {
        assertEquals(2, Cli.run("experiment").code());
        assertEquals(2, Cli.run("experiment", "degradation", "--depths", "20,21").code());
        assertEquals(2, Cli.run("experiment", "degradation", "--depths", "20,20").code());
        assertEquals(2, Cli.run("experiment", "degradation", "--version", "v3").code());
        assertEquals(2, Cli.run("experiment", "degradation", "--minutes", "0").code());
        assertEquals(2, Cli.run("experiment", "degradation", "--window", "0").code());
    }

    /** Checks results.json against each net's own files and REPORT.md against results.json; returns it. */
    private static JsonNode check(Path out, String stdout) throws IOException {
        JsonNode results = new ObjectMapper().readTree(Files.readString(out.resolve("results.json")));
        String report = Files.readString(out.resolve("REPORT.md"));
        JsonNode nets = results.get("nets");
        assertEquals(4, nets.size());
        List<String> names = List.of("plain8", "resnet8", "plain14", "resnet14");
        double[] train = new double[4];
        long[] counted = new long[4];
        for (int i = 0; i < 4; i++) {
            JsonNode n = nets.get(i);
            String name = names.get(i);
            assertEquals(name, n.get("name").asText());
            Path dir = out.resolve(name);
            List<MetricsRow> metrics = MetricsLog.read(dir.resolve("metrics.csv"));
            List<DegradationExperiment.Window> windows = NetRecorder.readWindows(dir);
            assertEquals(2, metrics.size(), name);
            MetricsRow last = metrics.get(1);
            assertEquals(2, n.get("epochs").asInt());
            assertEquals(last.step(), n.get("steps").asLong(), name);
            assertEquals(1 - last.valTop1(), n.get("test_error").asDouble(), 1e-12, name);
            // The windows tile the run: consecutive, within epochs, ending where the epochs end.
            long step = 0;
            long images = 0;
            for (DegradationExperiment.Window w : windows) {
                assertTrue(w.step() > step && w.step() - step <= 2, name + " " + windows);
                assertTrue(w.errors() >= 0 && w.errors() <= w.images(), name);
                step = w.step();
                images += w.images();
            }
            assertEquals(last.step(), step, name);
            assertEquals(images, n.get("images").asLong(), name);
            assertTrue(windows.stream().anyMatch(w -> w.step() == metrics.get(0).step()), name);
            // The final training error: the windows covering the last 10% of the steps, counted here.
            long from = last.step() - Math.max(1, Math.round(0.1 * last.step()));
            long errors = 0;
            for (int k = windows.size() - 1; k >= 0; k--) {
                errors += windows.get(k).errors();
                counted[i] += windows.get(k).images();
                if ((k == 0 ? 0 : windows.get(k - 1).step()) <= from) {
                    break;
                }
            }
            train[i] = (double) errors / counted[i];
            assertEquals(train[i], n.get("train_error").asDouble(), 1e-12, name);
            assertEquals(counted[i], n.get("train_error_images").asLong(), name);
            assertTrue(report.contains(String.format(Locale.ROOT, "| %s | %,d | 2 | %d | %.2f%% | %.2f%% |", name,
                    n.get("params").asLong(), last.step(), 100 * train[i], 100 * n.get("test_error").asDouble())),
                    report);
            assertTrue(stdout.contains(String.format(Locale.ROOT, "train error %6.2f%%", 100 * train[i])), stdout);
            // Gradient norms at initialisation and at the first step of epoch 2, one per main-path layer.
            DegradationExperiment.LayerNorms norms = NetRecorder.readNorms(dir);
            assertNotNull(norms, name);
            int depth = name.endsWith("14") ? 14 : 8;
            assertEquals(depth, norms.layers().size());
            assertEquals(depth, norms.atInit().length);
            assertNotNull(norms.afterEpoch1(), name);
            assertEquals(depth, norms.afterEpoch1().length);
            for (double v : norms.atInit()) {
                assertTrue(v > 0 && Double.isFinite(v), name);
            }
        }
        assertEquals(train[2] - train[0] > noise(train[0], counted[0], train[2], counted[2]),
                results.get("plain_deeper_trained_worse").asBoolean());
        assertEquals(train[3] - train[1] > noise(train[1], counted[1], train[3], counted[3]),
                results.get("residual_deeper_trained_worse").asBoolean());
        assertTrue(report.contains(results.get("plain_deeper_trained_worse").asBoolean()
                ? "the deeper one trained worse" : "the deeper one trained no worse"), report);
        assertEquals(List.of(8, 14), List.of(results.get("settings").get("depths").get(0).asInt(),
                results.get("settings").get("depths").get(1).asInt()));
        assertFalse(results.get("settings").get("residual_shortcuts").asText().isEmpty());
        return results;
    }

    /** Twice the standard error of the difference of two proportions. */
    private static double noise(double p, long n, double q, long m) {
        return 2 * Math.sqrt(p * (1 - p) / n + q * (1 - q) / m);
    }
}
