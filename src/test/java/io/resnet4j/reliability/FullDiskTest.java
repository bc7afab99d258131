package io.resnet4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk, made with a 1 MiB tmpfs (needs mount permission, e.g. root; skipped otherwise): a checkpoint or model
 * that does not fit fails with one clear error naming the file and the cause, the previous file is left intact, no
 * temporary file is left, and once space is freed {@code train --resume} finishes.
 */
class FullDiskTest {
    @TempDir Path tmp;
    private Path disk;
    private boolean mounted;

    private static int exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    @BeforeEach
    void mountSmallDisk() throws Exception {
        disk = Files.createDirectories(tmp.resolve("disk"));
        int rc;
        try {
            rc = exec("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.toString());
        } catch (IOException e) {
            rc = -1; // no mount command
        }
        Assumptions.assumeTrue(rc == 0, "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
        mounted = true;
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted && exec("umount", disk.toString()) != 0) {
            exec("umount", "-l", disk.toString());
        }
    }

    /** Fills the disk, then frees {@code free} bytes (rounded to pages by tmpfs). */
    private Path fillLeaving(long free) throws IOException {
        Path filler = disk.resolve("filler");
        byte[] chunk = new byte[4096];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException full) {
            assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
        }
        try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
            f.setLength(Math.max(0, Math.min(written, f.length()) - free));
        }
        return filler;
    }

    private static List<Path> temporaries(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".tmp")).forEach(found::add);
        }
        return found;
    }

    @Test
    void aModelThatDoesNotFitLeavesThePreviousOneIntact() throws IOException {
        Path dir = disk.resolve("model");
        ModelDirectory.save(dir, ResNet.build(Scenery.tiny(2)), ModelConfig.defaults(Scenery.tiny(2)));
        byte[] weights = Files.readAllBytes(dir.resolve("model.safetensors"));
        byte[] config = Files.readAllBytes(dir.resolve("config.json"));
        fillLeaving(weights.length / 2);

        ResNet other = ResNet.build(Scenery.tiny(2)); // different random weights
        ResNet4jException e = assertThrows(ResNet4jException.class,
                () -> ModelDirectory.save(dir, other, ModelConfig.defaults(Scenery.tiny(2))));
        assertTrue(e.getMessage().contains(dir.resolve("model.safetensors").toString())
                && e.getMessage().contains("No space left on device"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        System.out.println("model save on a full disk: " + e.getMessage());
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertArrayEquals(config, Files.readAllBytes(dir.resolve("config.json")));
        assertEquals(List.of(), temporaries(disk));
        ModelDirectory.load(dir); // still loads
    }

    /**
     * {@code train --resume} with room for the metrics and plots but not for the next checkpoint: one error line
     * naming the checkpoint and the cause, exit 1; epoch 1's checkpoint and model intact; after freeing space,
     * {@code train --resume} finishes.
     */
    @Test
    void aCheckpointThatDoesNotFitFailsCleanlyAndResumeFinishesLater() throws IOException {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 8);
        Path run = disk.resolve("run");
        List<String> args = new ArrayList<>(List.of("train", "--data", "folder:" + data, "--out", run.toString(),
                "--batch-size", "2", "--resize-dim", "8", "--min-aspect-dim", "8", "--resume", "--epochs"));
        args.addAll(Scenery.TINY_FLAGS);
        args.add(args.indexOf("--epochs") + 1, "1");
        Cli.Run first = Cli.run(args.toArray(String[]::new));
        assertEquals(0, first.code(), first.err());
        Path cp1 = run.resolve("checkpoints/epoch-0001.safetensors");
        byte[] checkpoint = Files.readAllBytes(cp1);
        byte[] model = Files.readAllBytes(run.resolve("model.safetensors"));
        Path filler = fillLeaving(checkpoint.length / 2);

        args.set(args.indexOf("--epochs") + 1, "2");
        Cli.Run full = Cli.run(args.toArray(String[]::new));
        full.assertOneErrorLine(1);
        System.out.println("train --resume on a full disk: exit " + full.code() + ", " + full.errorLine());
        Cli.assertContains(full.errorLine(), "No space left on device");
        Cli.assertContains(full.errorLine(), "epoch-0002.safetensors");
        assertArrayEquals(checkpoint, Files.readAllBytes(cp1));
        assertArrayEquals(model, Files.readAllBytes(run.resolve("model.safetensors")));
        assertEquals(List.of(), temporaries(disk));

        Files.delete(filler);
        Cli.Run later = Cli.run(args.toArray(String[]::new));
        assertEquals(0, later.code(), later.err());
        Cli.assertContains(later.err(), "resuming after epoch 1");
        assertEquals(2, MetricsLog.read(run.resolve("metrics.csv")).size());
        ModelDirectory.load(run);
    }
}
