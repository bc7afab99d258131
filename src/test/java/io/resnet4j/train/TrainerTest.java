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
        assertSameWeights(straight, resumed);
        assertEquals(2, MetricsLog.read(resumed.resolve("metrics.csv")).size());
    }

    /** A clock that moves on 20 ms each time it is read: the run's timeline depends only on the code. */
    private static java.util.function.LongSupplier tickingClock() {
        java.util.concurrent.atomic.AtomicLong t = new java.util.concurrent.atomic.AtomicLong();
        return () -> t.addAndGet(20_000_000L);
    }

    @Test
    void aTimeBudgetEndsTheRunWithTheRateAnnealed() {
        Path run = tmp.resolve("budget");
        TrainOptions o = options(1000).withBudgetMinutes(0.02); // 1.2 s of the ticking clock, ~30 steps of 8 a epoch
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(SyntheticData.splits(256, 64), tiny(), o, run, new PrintStream(log))
                .clock(tickingClock()).run();
        assertTrue(r.epochs() >= 2 && r.epochs() < 10, r.epochs() + " epochs");
        assertTrue(log.toString().contains("time budget is spent"), log.toString());
        List<MetricsLog.MetricsRow> rows = MetricsLog.read(run.resolve("metrics.csv"));
        assertEquals(r.epochs(), rows.size());
        for (int i = 1; i < rows.size(); i++) {
            assertTrue(rows.get(i).lr() < rows.get(i - 1).lr(), "the rate falls epoch after epoch: " + rows);
        }
        // With 1000 epochs and no budget the rate would still be at its peak (0.05); the budget annealed it.
        assertTrue(rows.get(rows.size() - 1).lr() < 0.001, "last rate " + rows.get(rows.size() - 1).lr());

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        new Trainer(SyntheticData.splits(256, 64), tiny(), o, run, new PrintStream(again)).clock(tickingClock())
                .resume(true).run();
        assertTrue(again.toString().contains("spent the time budget"), again.toString());
        assertEquals(r.epochs(), MetricsLog.read(run.resolve("metrics.csv")).size());
    }

    @Test
    void aBudgetThatIsNotReachedChangesNothing() {
        Path plain = tmp.resolve("plain");
        new Trainer(SyntheticData.splits(256, 64), tiny(), options(2), plain, QUIET).run();
        Path budgeted = tmp.resolve("budgeted");
        Trainer.Result r = new Trainer(SyntheticData.splits(256, 64), tiny(), options(2).withBudgetMinutes(60),
                budgeted, QUIET).clock(() -> 0L).run();
        assertEquals(2, r.epochs());
        assertSameWeights(plain, budgeted);
    }

    /** The two model directories hold the same tensors, within the noise of multi-threaded reductions. */
    private static void assertSameWeights(Path dirA, Path dirB) {
        Map<String, Tensor> a = ModelDirectory.load(dirA).model().namedTensors();
        Map<String, Tensor> b = ModelDirectory.load(dirB).model().namedTensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            float[] x = Tensors.toFloats(a.get(k));
            float[] y = Tensors.toFloats(b.get(k));
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 1e-5, k + "[" + i + "]");
            }
        }
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

    /** A process of a data-parallel run other than the primary trains like any other and leaves nothing behind. */
    @Test
    void aSilentRunWritesNothingToItsRunFolder() {
        Path run = tmp.resolve("rank-1");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result r = new Trainer(SyntheticData.splits(128, 32), tiny(), options(2), run, new PrintStream(log))
                .output(RunOutput.silent()).run();
        assertEquals(2, r.epochs());
        assertEquals(32, r.validation().examples());
        assertTrue(!Files.exists(run), "the run folder was not even created");
        assertEquals("", log.toString(), "and nothing was logged");
    }

    /** The hooks of {@link Trainer#gradientHook} run once per step, numbered on over the epochs. */
    @Test
    void gradientHooksRunOncePerStep() {
        List<Long> steps = new java.util.ArrayList<>();
        Trainer.Result r = new Trainer(SyntheticData.splits(256, 32), tiny(), options(2), tmp.resolve("run"), QUIET)
                .gradientHook((model, step) -> steps.add(step)).run();
        assertEquals(2, r.epochs());
        assertEquals(java.util.stream.LongStream.range(0, 2 * 256 / 32).boxed().toList(), steps);
    }

    /** What stops a run is said in the library's terms, with the problem for a front end to advise on. */
    @Test
    void runsThatCannotGoOnSayWhichProblemItIs() {
        TrainingException classes = assertThrows(TrainingException.class, () -> new Trainer(
                SyntheticData.splits(64, 16), tiny().withClasses(5), options(1), tmp.resolve("x"), QUIET));
        assertEquals(TrainingException.Problem.CLASS_COUNT_MISMATCH, classes.problem());
        Path run = tmp.resolve("run");
        new Trainer(SyntheticData.splits(128, 32), tiny(), options(2), run, QUIET).run();
        TrainingException done = assertThrows(TrainingException.class, () -> new Trainer(
                SyntheticData.splits(128, 32), tiny(), options(1), run, QUIET).resume(true).run());
        assertEquals(TrainingException.Problem.NO_EPOCHS_LEFT, done.problem());
        Architecture v1 = Architecture.custom(Architecture.Version.V1, Architecture.Block.BASIC, List.of(1, 1, 1), 8,
                Architecture.Stem.CIFAR).withInChannels(1).withClasses(4);
        TrainingException other = assertThrows(TrainingException.class, () -> new Trainer(
                SyntheticData.splits(128, 32), v1, options(3), run, QUIET).resume(true).run());
        assertEquals(TrainingException.Problem.CHECKPOINT_OF_ANOTHER_ARCHITECTURE, other.problem());
        TrainingException diverged = assertThrows(TrainingException.class, () -> new Trainer(
                SyntheticData.splits(128, 32), tiny(), options(3).withLr(1e30), run, QUIET).resume(true).run());
        assertEquals(TrainingException.Problem.DIVERGED, diverged.problem());
        for (TrainingException e : List.of(classes, done, other, diverged)) {
            assertTrue(!e.getMessage().contains("--"), "no command-line flag in " + e.getMessage());
        }
    }
}
