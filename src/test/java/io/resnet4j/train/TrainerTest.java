package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelDirectory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir Path tmp;

    static Architecture tiny() {
        return Architecture.custom(Architecture.Version.V2, Architecture.Block.BASIC, List.of(1, 1, 1), 8,
                Architecture.Stem.CIFAR).withInChannels(1).withClasses(4);
    }

    static TrainOptions options(int epochs) {
        return TrainOptions.defaults().withEpochs(epochs).withBatchSize(32).withLr(0.05).withWarmupEpochs(0.5)
                .withSeed(7).withAugment(false);
    }

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void learnsALearnableProblem() {
        Trainer.Result r = new Trainer(SyntheticData.splits(640, 256), tiny(), options(3), tmp.resolve("run"), QUIET)
                .run();
        assertTrue(r.validation().top1() >= 0.95, "top-1 " + r.validation().top1());
        assertTrue(Files.isRegularFile(tmp.resolve("run/model.safetensors")));
        assertTrue(Files.isRegularFile(tmp.resolve("run/metrics.csv")));
        assertTrue(Files.isRegularFile(tmp.resolve("run/accuracy.png")));
        assertEquals(3, MetricsLog.read(tmp.resolve("run/metrics.csv")).size());
        // The saved model reproduces the reported accuracy through the public loading path.
        assertEquals(4, ModelDirectory.load(tmp.resolve("run")).config().labels().size());
    }

    /** Two epochs straight, or one epoch, a crash before the second checkpoint, and --resume: same weights. */
    @Test
    void resumeContinuesExactly() throws Exception {
        Path straight = tmp.resolve("straight");
        new Trainer(SyntheticData.splits(256, 64), tiny(), options(2), straight, QUIET).run();
        Path resumed = tmp.resolve("resumed");
        new Trainer(SyntheticData.splits(256, 64), tiny(), options(2), resumed, QUIET).run();
        // Simulate a crash after epoch 1's checkpoint: drop everything epoch 2 wrote.
        Files.delete(resumed.resolve("checkpoints/epoch-0002.safetensors"));
        Files.delete(resumed.resolve("model.safetensors"));
        Files.delete(resumed.resolve("config.json"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(SyntheticData.splits(256, 64), tiny(), options(2), resumed, new PrintStream(log)).resume(true)
                .run();
        assertTrue(log.toString().contains("resuming after epoch 1"), log.toString());
        Map<String, Tensor> a = ModelDirectory.load(straight).model().namedTensors();
        Map<String, Tensor> b = ModelDirectory.load(resumed).model().namedTensors();
        for (String k : a.keySet()) {
            float[] x = Tensors.toFloats(a.get(k));
            float[] y = Tensors.toFloats(b.get(k));
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-5, k + "[" + i + "]");
            }
        }
        assertEquals(2, MetricsLog.read(resumed.resolve("metrics.csv")).size());
    }

    @Test
    void resumingWithAnotherArchitectureIsRefused() {
        Path run = tmp.resolve("run");
        new Trainer(SyntheticData.splits(128, 32), tiny(), options(1), run, QUIET).run();
        Architecture other = Architecture.custom(Architecture.Version.V1, Architecture.Block.BASIC, List.of(1, 1, 1),
                8, Architecture.Stem.CIFAR).withInChannels(1).withClasses(4);
        ResNet4jException e = assertThrows(ResNet4jException.class,
                () -> new Trainer(SyntheticData.splits(128, 32), other, options(2), run, QUIET).resume(true).run());
        assertTrue(e.getMessage().contains("checkpoint"), e.getMessage());
    }

    @Test
    void divergenceStopsWithAClearMessageAndKeepsTheCheckpoint() {
        Path run = tmp.resolve("run");
        new Trainer(SyntheticData.splits(128, 32), tiny(), options(1), run, QUIET).run();
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> new Trainer(SyntheticData.splits(128, 32),
                tiny(), options(3).withLr(1e30), run, QUIET).resume(true).run());
        assertTrue(e.getMessage().contains("diverged"), e.getMessage());
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/epoch-0001.safetensors")));
    }

    @Test
    void classCountMustMatchTheData() {
        assertThrows(ResNet4jException.class, () -> new Trainer(SyntheticData.splits(64, 16), tiny().withClasses(5),
                options(1), tmp.resolve("x"), QUIET));
    }
}
