package io.resnet4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.io.AtomicFiles;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL at any moment of a training run, a checkpoint write included, loses nothing: {@code train --resume}
 * cleans up what the killed process left, continues from the newest good checkpoint, finishes, and leaves a model
 * directory that loads and a metrics log with each epoch once.
 */
class KillAndResumeTest {
    @TempDir Path tmp;

    private static final int EPOCHS = 10;

    private static List<String> trainArgs(Path data, Path out, int epochs) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "folder:" + data, "--out", out.toString(),
                "--epochs", Integer.toString(epochs), "--batch-size", "4", "--resize-dim", "8", "--min-aspect-dim",
                "8", "--resume"));
        a.addAll(Scenery.TINY_FLAGS);
        return a;
    }

    private static List<Path> temporaries(Path run) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path d : List.of(run, run.resolve("checkpoints"))) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> p.getFileName().toString().endsWith(".tmp")).forEach(found::add);
                }
            }
        }
        return found;
    }

    /** Waits until the child has written a line containing {@code text} to the log after {@code offset}. */
    private static void awaitOutput(Process p, Path log, long offset, String text, long millis) throws Exception {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end && p.isAlive()) {
            if (Files.size(log) > offset) {
                String out = Files.readString(log).substring((int) offset);
                if (out.contains(text) && out.contains("\n")) {
                    return;
                }
            }
            Thread.sleep(5);
        }
    }

    /**
     * A child JVM trains and is stopped four times: SIGKILL (Process.destroyForcibly) in the middle of a checkpoint
     * write (held there by {@link AtomicFiles#HOLD_PROPERTY} once the content is in the temporary file, before the
     * sync and rename — on any machine, however fast its writes; polling for the temporary file missed every write
     * on a fast one); SIGTERM (Process.destroy,
     * as Ctrl-C) during an epoch, which must exit 143 with the "interrupted" hint; then SIGKILL twice at seeded
     * random moments up to 1.5 s after the child's first line (on this machine several epochs: training,
     * validation, plots, checkpoint writes, the final save). No stop may crash the JVM. Each restart uses
     * {@code --resume}; the last one runs to the end.
     */
    @Test
    void sigkillAtRandomMomentsThenResumeFinishes() throws Exception {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 8, 12);
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("train.log");
        List<String> a = trainArgs(data, run, EPOCHS);
        // Wider than the other tests' model (10 MB checkpoints), so that the random kills land during training.
        a.set(a.indexOf("--base-width") + 1, "64");
        String[] args = a.toArray(String[]::new);
        Random random = new Random(20240601);
        List<String> kills = new ArrayList<>();
        for (int attempt = 0; attempt < 4; attempt++) {
            Files.writeString(log, "=== attempt " + attempt + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            long offset = Files.size(log);
            // The first run holds its second checkpoint's write, so one complete checkpoint precedes it.
            List<String> jvm = attempt == 0 ? List.of("-D" + AtomicFiles.HOLD_PROPERTY + "=epoch-0002.safetensors")
                    : List.of();
            Process p = Cli.start(log, jvm, args);
            long t0 = System.nanoTime();
            String how;
            if (attempt == 0) {
                awaitOutput(p, log, offset, AtomicFiles.HOLD_ANNOUNCEMENT, 60_000);
                boolean caught = p.isAlive() && Files.readString(log).substring((int) offset)
                        .contains(AtomicFiles.HOLD_ANNOUNCEMENT) && !temporaries(run).isEmpty();
                how = caught ? "in the middle of a checkpoint write" : "(no checkpoint write caught)";
            } else if (attempt == 1) {
                // While an epoch is under way (the trainer's shutdown hook is in place).
                awaitOutput(p, log, offset, "epoch ", 20_000);
                long delay = random.nextInt(300);
                Thread.sleep(delay);
                how = delay + " ms into training";
            } else {
                // From the first line the child prints (native libraries loaded, data listed) to past the end.
                awaitOutput(p, log, offset, "", 20_000);
                long delay = random.nextInt(1500);
                Thread.sleep(delay);
                how = delay + " ms after its first line";
            }
            boolean wasAlive = p.isAlive();
            boolean term = attempt == 1; // a SIGTERM (as Ctrl-C): a clean stop
            if (term) {
                p.destroy();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new AssertionError("SIGTERM did not stop the child in 30 s:\n" + Cli.tail(log));
                }
            } else {
                p.destroyForcibly().waitFor();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            kills.add(String.format("kill %d %s (%d ms after start, %s): %d temporary files, checkpoints %s",
                    attempt, how, ms, !wasAlive ? "had already exited " + p.exitValue()
                            : term ? "SIGTERM, exit " + p.exitValue() : "SIGKILL",
                    temporaries(run).size(), checkpoints(run)));
            if (term && wasAlive) {
                String out = Files.readString(log).substring((int) offset);
                assertEquals(143, p.exitValue(), out);
                assertTrue(out.contains("interrupted; the last good checkpoint is in"), out);
            }
        }
        String all = Files.readString(log);
        assertFalse(all.contains("A fatal error has been detected") || all.contains("SIGSEGV"), all);
        kills.forEach(System.out::println);
        assertTrue(kills.get(0).contains("in the middle of a checkpoint write") && !kills.get(0).contains(": 0 temp")
                && kills.get(0).endsWith("checkpoints [epoch-0001.safetensors]"), kills.get(0) + "\n" + Cli.tail(log));

        // On a loaded machine every kill can land before the first complete checkpoint: then --resume starts over.
        boolean hadCheckpoint = !checkpoints(run).isEmpty();
        int code = Cli.runChild(log, 120, args);
        String text = Cli.tail(log);
        assertEquals(0, code, text);
        assertTrue(text.contains(hadCheckpoint ? "resuming after epoch" : "starting from scratch"), text);
        assertTrue(temporaries(run).isEmpty(), "temporary files left: " + temporaries(run));
        List<MetricsLog.MetricsRow> rows = MetricsLog.read(run.resolve("metrics.csv"));
        assertEquals(EPOCHS, rows.size(), "each epoch once: " + Files.readString(run.resolve("metrics.csv")));
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(i + 1, rows.get(i).epoch());
        }
        assertTrue(checkpoints(run).contains(String.format("epoch-%04d.safetensors", EPOCHS)), checkpoints(run));
        assertEquals(2, ModelDirectory.load(run).config().labels().size());
    }

    private static String checkpoints(Path run) throws IOException {
        Path d = run.resolve("checkpoints");
        if (!Files.isDirectory(d)) {
            return "[]";
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".tmp")).sorted().toList()
                    .toString();
        }
    }

    /**
     * The state a kill during a write leaves, made by hand: a partial temporary file beside each checkpoint and the
     * model, the newest checkpoint truncated, and the model's weights truncated. {@code --resume} removes the
     * temporary files, says it skips the truncated checkpoint, resumes from the one before, and finishes.
     */
    @Test
    void resumeSkipsPartialAndTruncatedFilesAndSaysSo() throws IOException {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 8);
        Path run = tmp.resolve("run");
        Cli.Run first = Cli.run(trainArgs(data, run, 2).toArray(String[]::new));
        assertEquals(0, first.code(), first.err());
        Path cp1 = run.resolve("checkpoints/epoch-0001.safetensors");
        Path cp2 = run.resolve("checkpoints/epoch-0002.safetensors");
        byte[] good1 = Files.readAllBytes(cp1);
        // What AtomicFiles leaves when killed mid-write: ".NAME.<random hex>.tmp" beside the target.
        Files.write(run.resolve("checkpoints/.epoch-0003.safetensors.5f3a9c0e1d2b4a67.tmp"),
                java.util.Arrays.copyOf(good1, good1.length / 3));
        Files.write(run.resolve(".model.safetensors.0123456789abcdef.tmp"), new byte[100]);
        Files.writeString(run.resolve(".metrics.csv.1b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp"), "epoch,st");
        Files.write(cp2, Scenery.truncated(cp2, 0.6));
        Files.write(run.resolve("model.safetensors"), Scenery.truncated(run.resolve("model.safetensors"), 0.5));
        Path unrelated = Files.writeString(run.resolve("notes.tmp"), "not ours: kept");

        Cli.Run r = Cli.run(trainArgs(data, run, 3).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        Cli.assertContains(r.err(), "removed 2 temporary files left in " + run);
        Cli.assertContains(r.err(), "removed 1 temporary file left in " + run.resolve("checkpoints"));
        Cli.assertContains(r.err(), "skipping unusable checkpoint " + cp2);
        Cli.assertContains(r.err(), "truncated");
        Cli.assertContains(r.err(), "resuming after epoch 1 (");
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            assertEquals(List.of("epoch-0002.safetensors", "epoch-0003.safetensors"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (SafeTensorsFile f = SafeTensorsFile.open(cp2)) {
            assertEquals("2", f.metadata().get("epoch"), "epoch 2 redone and written whole");
        }
        assertTrue(temporaries(run).equals(List.of(unrelated)), temporaries(run).toString());
        assertEquals(3, MetricsLog.read(run.resolve("metrics.csv")).size());
        assertEquals(2, ModelDirectory.load(run).config().labels().size());
    }

    /**
     * Killed after the last checkpoint but before the model was saved (or while it was): {@code --resume} has no
     * epoch left to train, so it saves the model from the checkpoint instead of refusing.
     */
    @Test
    void resumeAfterTheLastCheckpointSavesTheModel() throws IOException {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 8);
        Path run = tmp.resolve("run");
        Cli.Run first = Cli.run(trainArgs(data, run, 1).toArray(String[]::new));
        assertEquals(0, first.code(), first.err());
        Files.delete(run.resolve("model.safetensors"));
        Files.write(run.resolve(".model.safetensors.00ff00ff00ff00ff.tmp"), new byte[10]);

        Cli.Run r = Cli.run(trainArgs(data, run, 1).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        Cli.assertContains(r.err(), "completed all 1 epochs");
        assertEquals(2, ModelDirectory.load(run).config().labels().size());
        assertTrue(temporaries(run).isEmpty(), temporaries(run).toString());
        assertEquals(1, MetricsLog.read(run.resolve("metrics.csv")).size());
        assertFalse(Files.exists(run.resolve("checkpoints/epoch-0002.safetensors")));
        // A checkpoint beyond the requested epochs is still refused: training cannot go back.
        assertEquals(0, Cli.run(trainArgs(data, run, 2).toArray(String[]::new)).code());
        Cli.Run back = Cli.run(trainArgs(data, run, 1).toArray(String[]::new));
        back.assertOneErrorLine(1);
        Cli.assertContains(back.errorLine(), "already completed 2 of 1 epochs");
    }
}
