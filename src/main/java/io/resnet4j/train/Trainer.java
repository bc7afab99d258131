package io.resnet4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Batch;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.DataSplits;
import io.resnet4j.data.Dataset;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Scope;
import io.resnet4j.infer.EvalResult;
import io.resnet4j.infer.Evaluation;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog.MetricsRow;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Trains a ResNet on a data source and leaves a model directory behind.
 *
 * <p>The run folder {@code out} ends up holding {@code config.json} and {@code model.safetensors} (the model
 * after the last epoch), {@code metrics.csv}, {@code loss.png}, {@code accuracy.png}, {@code lr.png} and
 * {@code checkpoints/}. Each epoch: training with a progress line (loss, accuracy, images/s, ETA), validation
 * on the test split, a metrics row, fresh plots, an atomic checkpoint. {@link #resume} continues from the newest
 * good checkpoint exactly: same weights, momentum buffers, learning rate and next batch. With a time budget
 * ({@link TrainOptions#budgetMinutes()}) the run stops when the budget is spent, its last epoch possibly partial,
 * and the learning rate anneals over the budget; the rates then depend on the machine's speed, so a resumed
 * budgeted run continues the budget but not bit for bit.
 */
public final class Trainer {
    /** What a finished run reports. */
    public record Result(Path modelDir, int epochs, EvalResult validation, double imagesPerSecond, double seconds) {}

    private final DataSplits data;
    private final Architecture arch;
    private final TrainOptions options;
    private final Path out;
    private final PrintStream log;
    private boolean resume;
    private int minAspectDim;
    private int resizeDim;
    private LongSupplier clock = System::nanoTime;

    /**
     * @param arch the architecture; its classes and input channels must match the data
     * @param out the run folder (created)
     */
    public Trainer(DataSplits data, Architecture arch, TrainOptions options, Path out, PrintStream log) {
        this.data = data;
        this.arch = arch.withDataFormat(options.dataFormat());
        this.options = options;
        this.out = out;
        this.log = log;
        if (arch.numClasses() != data.classes().size()) {
            throw new ResNet4jException("the data has " + data.classes().size() + " classes but the model "
                    + arch.numClasses() + " (drop --classes or make them agree)");
        }
        int native_ = data.train().nativeSize().orElse(-1);
        this.resizeDim = native_ > 0 ? native_ : (arch.stem() == Architecture.Stem.CIFAR ? 32 : 224);
        this.minAspectDim = native_ > 0 ? native_ : (arch.stem() == Architecture.Stem.CIFAR ? 32 : 256);
    }

    /** Continue from the newest good checkpoint in the run folder, if there is one. */
    public Trainer resume(boolean on) {
        this.resume = on;
        return this;
    }

    /** Replaces the monotonic nanosecond clock that the time budget reads (for tests). */
    Trainer clock(LongSupplier nanoClock) {
        this.clock = nanoClock;
        return this;
    }

    /** Overrides the preprocessing sizes (SPEC §3): shorter side, then centre/random crop. */
    public Trainer imageSize(int minAspectDim, int resizeDim) {
        this.minAspectDim = minAspectDim;
        this.resizeDim = resizeDim;
        return this;
    }

    public Result run() {
        Engine.seed(options.seed());
        Dataset train = options.limit() > 0 ? data.train().limit(options.limit()) : data.train();
        Normalization norm = Normalization.compute(train, 10_000).withChannels(arch.inChannels());
        ModelConfig config = new ModelConfig(arch, data.classes(), minAspectDim, resizeDim, norm.mean(), norm.std());
        ResNet model = ResNet.build(arch, options.bnMomentum());
        Sgd sgd = new Sgd(model, options.momentum(), options.nesterov(), options.weightDecay(),
                options.decayNormsAndBiases());
        BatchLoader.Config trainCfg = BatchLoader.Config.training(options.batchSize(), arch.inChannels(),
                minAspectDim, resizeDim, norm, options.seed()).withThreads(options.workers())
                .withAugment(options.augment()).withErasing(options.erasing()).withSkipUnreadable(true);
        BatchLoader.Config evalCfg = BatchLoader.Config.evaluation(Math.max(options.batchSize(), 256),
                arch.inChannels(), minAspectDim, resizeDim, norm).withThreads(options.workers())
                .withSkipUnreadable(true);
        int startEpoch = 0;
        long step = 0;
        double spentBefore = 0;
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new ResNet4jException("the run folder " + out + " is a file, not a directory");
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new ResNet4jException("cannot create the run folder " + out + ": " + AtomicFiles.describe(e), e);
        }
        // A run killed in the middle of a write leaves its temporary file behind; this folder is ours.
        for (Path dir : List.of(out, out.resolve(Checkpoint.DIR))) {
            int stale = AtomicFiles.removeStaleTemporaries(dir);
            if (stale > 0) {
                log.printf("resnet4j: removed %d temporary file%s left in %s by an interrupted write%n", stale,
                        stale == 1 ? "" : "s", dir);
            }
        }
        MetricsLog metrics = MetricsLog.open(out);
        if (resume) {
            List<String> problems = new ArrayList<>();
            Optional<Checkpoint> cp = Checkpoint.latest(out, problems);
            problems.forEach(p -> log.println("resnet4j: skipping unusable checkpoint " + p));
            if (cp.isPresent()) {
                Checkpoint c = cp.get();
                if (!c.config().architecture().withDataFormat(arch.dataFormat()).equals(arch)) {
                    throw new ResNet4jException("the checkpoint in " + out + " is for " + describe(c.config()
                            .architecture()) + ", not " + describe(arch) + "; use another --out or the same --arch");
                }
                c.restore(model, sgd);
                startEpoch = c.epoch();
                step = c.step();
                spentBefore = c.seconds();
                log.printf("resnet4j: resuming after epoch %d (step %d) from %s%n", startEpoch, step, c.file());
            } else {
                log.println("resnet4j: no checkpoint in " + out + "; starting from scratch");
            }
        }
        if (startEpoch > options.epochs()) {
            throw new ResNet4jException("the checkpoint already completed " + startEpoch + " of " + options.epochs()
                    + " epochs (raise --epochs to train longer)");
        }
        String optionsJson = json(options);
        Thread interrupted = new Thread(() -> log.printf("%nresnet4j: interrupted; the last good checkpoint is in %s "
                + "(continue with --resume)%n", out.resolve(Checkpoint.DIR)));
        Runtime.getRuntime().addShutdownHook(interrupted);
        EvalResult validation = null;
        double lastRate = 0;
        long started = clock.getAsLong();
        TimeBudget budget = new TimeBudget(options.budgetMinutes() * 60, spentBefore, clock);
        int epochsDone = startEpoch;
        try (BatchLoader trainLoader = new BatchLoader(train, trainCfg);
                BatchLoader evalLoader = new BatchLoader(data.test(), evalCfg)) {
            LearningRateSchedule schedule = options.schedule(trainLoader.batchesPerEpoch());
            for (int epoch = startEpoch; epoch < options.epochs() && !budget.exhausted(); epoch++) {
                long t0 = clock.getAsLong();
                String label = epochLabel(epoch, budget, (t0 - started) / 1e9 / (epoch - startEpoch));
                EpochStats stats = trainEpoch(model, sgd, trainLoader, schedule, budget, epoch, label, step);
                step = stats.step;
                long t1 = clock.getAsLong();
                double seconds = (t1 - t0) / 1e9;
                lastRate = stats.images / seconds;
                validation = Evaluation.evaluate(model, evalLoader, data.classes(), options.precision(), null);
                if (epoch == startEpoch) {
                    // Rows after the checkpoint (or, starting afresh, all rows) are of epochs being redone, or of
                    // an earlier run in this folder. Dropped only now, so a run killed before here loses nothing.
                    metrics.retainUpTo(startEpoch);
                }
                metrics.append(new MetricsRow(epoch + 1, step, stats.loss(), stats.accuracy(), validation.loss(),
                        validation.top1(), validation.top5(), stats.lastLr(), lastRate, seconds));
                Plots.trainingCurves(metrics.rows(), out);
                budget.reserve((clock.getAsLong() - t1) / 1e9);
                Checkpoint.write(out, model, sgd, epoch + 1, step, budget.checkpointSeconds(), config, optionsJson);
                epochsDone = epoch + 1;
                int later = Checkpoint.removeAfter(out, epoch + 1);
                if (later > 0) {
                    log.printf("resnet4j: removed %d checkpoint%s after epoch %d, of an earlier or abandoned run%n",
                            later, later == 1 ? "" : "s", epoch + 1);
                }
                log.printf("%s  train loss %.4f acc %.2f%%  val loss %.4f top-1 %.2f%% top-5 %.2f%%  "
                        + "%.0f img/s  %.0f s%n", label, stats.loss(), 100 * stats.accuracy(),
                        validation.loss(), 100 * validation.top1(), 100 * validation.top5(), lastRate, seconds);
                if (budget.exhausted()) {
                    log.printf("resnet4j: the %.3g-minute time budget is spent: %d epoch%s%s%n", budget.minutes(),
                            epochsDone, epochsDone == 1 ? "" : "s", stats.partial() ? String.format(
                                    " (the last one %d of %d images)", stats.images(),
                                    (long) trainLoader.batchesPerEpoch() * options.batchSize()) : "");
                }
            }
            if (validation == null) {
                // Killed after the last checkpoint but before the model was saved: nothing is left to train.
                log.printf(budget.exhausted() ? "resnet4j: the checkpoint spent the time budget; saving its model%n"
                        : "resnet4j: the checkpoint completed all %d epochs (raise --epochs to train longer); "
                        + "saving its model%n", startEpoch);
                validation = Evaluation.evaluate(model, evalLoader, data.classes(), options.precision(), null);
            }
            reportSkipped("training", trainLoader);
            reportSkipped("validation", evalLoader);
        }
        Runtime.getRuntime().removeShutdownHook(interrupted);
        model.train(false);
        ModelDirectory.save(out, model, config);
        return new Result(out, epochsDone, validation, lastRate, (clock.getAsLong() - started) / 1e9);
    }

    /** Says how many distinct images of a split could not be read (each is skipped in every epoch). */
    private void reportSkipped(String split, BatchLoader loader) {
        int distinct = loader.skippedExamples().length;
        if (distinct > 0) {
            log.printf("resnet4j: skipped %d unreadable %s image%s (first: %s)%n", distinct, split,
                    distinct == 1 ? "" : "s", loader.skipMessages().get(0));
        }
    }

    /**
     * "epoch 3/10"; with a time budget "epoch 3 of ~12" (from the pace so far), and before any pace is known
     * "epoch 1, 10.0-minute budget".
     */
    private String epochLabel(int epoch, TimeBudget budget, double secondsPerEpoch) {
        if (!budget.limited()) {
            return String.format("epoch %d/%d", epoch + 1, options.epochs());
        }
        if (!(secondsPerEpoch > 0 && Double.isFinite(secondsPerEpoch))) {
            return String.format("epoch %d, %.3g-minute budget", epoch + 1, budget.minutes());
        }
        int estimate = (int) Math.ceil(epoch + budget.secondsLeft() / secondsPerEpoch);
        return String.format("epoch %d of ~%d", epoch + 1, Math.max(epoch + 1, Math.min(options.epochs(), estimate)));
    }

    /** @param partial the time budget ran out before the epoch did */
    private record EpochStats(long step, double lossSum, long correct, long images, double lastLr, boolean partial) {
        double loss() {
            return images == 0 ? Double.NaN : lossSum / images;
        }

        double accuracy() {
            return images == 0 ? Double.NaN : (double) correct / images;
        }
    }

    /** One pass over the training data, or the part of it that the time budget leaves room for. */
    private EpochStats trainEpoch(ResNet model, Sgd sgd, BatchLoader loader, LearningRateSchedule schedule,
            TimeBudget budget, int epoch, String label, long step) {
        model.train(true);
        double lossSum = 0;
        long correct = 0;
        long images = 0;
        double lr = schedule.at(Math.max(0, step - 1), budget.fraction());
        long total = (long) loader.batchesPerEpoch() * options.batchSize();
        boolean partial = false;
        try (Progress progress = Progress.start(label, total); var it = loader.iterator(epoch)) {
            while (it.hasNext()) {
                if (images > 0 && budget.exhausted()) { // at least one step, however small the budget
                    partial = true;
                    break;
                }
                Batch b = it.next();
                if (b.size() == 0) {
                    continue; // every image of the batch was unreadable (counted and reported by the loader)
                }
                lr = schedule.at(step, budget.fraction());
                float loss;
                long hits;
                try (Scope s = Scope.open()) {
                    TrainingStep.Outcome o = TrainingStep.forwardBackward(model, sgd, b.data(), b.shape(), b.labels(),
                            options.precision(), options.labelSmoothing());
                    loss = o.loss();
                    hits = o.correct();
                    if (!Float.isFinite(loss)) {
                        throw new ResNet4jException(String.format("training diverged: the loss is %s at epoch %d, "
                                + "step %d (lr %.4g); the last good checkpoint is in %s (try a lower --lr)", loss,
                                epoch + 1, step, lr, out.resolve(Checkpoint.DIR)));
                    }
                    sgd.step(lr);
                }
                lossSum += (double) loss * b.size();
                correct += hits;
                images += b.size();
                step++;
                progress.step(b.size());
                progress.metrics(lossSum / images, (double) correct / images);
            }
        }
        return new EpochStats(step, lossSum, correct, images, lr, partial);
    }

    private static String describe(Architecture a) {
        return a.name() + " (" + a.version() + ", " + a.block() + " " + a.blocks() + ", width " + a.baseWidth()
                + ", " + a.numClasses() + " classes, " + a.inChannels() + " channels)";
    }

    private static String json(TrainOptions o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (java.io.IOException e) {
            throw new ResNet4jException("cannot describe options: " + e.getMessage(), e);
        }
    }
}
