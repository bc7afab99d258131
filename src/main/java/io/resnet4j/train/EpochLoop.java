package io.resnet4j.train;

import io.resnet4j.data.Batch;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.engine.Scope;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog.MetricsRow;
import io.resnet4j.train.TrainingException.Problem;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The epochs of one training run, from where it starts to the last one that the epoch count or the time budget
 * allows. Each trains on every batch of the epoch (or as many as the budget leaves time for), validates, records its
 * metrics and writes a checkpoint, all through the run's {@link RunOutput}. {@link Trainer#run()} makes one per run;
 * it is the part of a run that a data-parallel one repeats in every process.
 */
final class EpochLoop {
    /** What the epochs achieved: how many are complete, the last validation, the last epoch's training speed. */
    record Outcome(int epochs, EvalResult validation, double imagesPerSecond) {}

    /** One epoch's training; {@code partial}: the time budget ran out before the epoch did. */
    private record EpochStats(double lossSum, long correct, long images, double lastLr, boolean partial) {
        double loss() {
            return images == 0 ? Double.NaN : lossSum / images;
        }

        double accuracy() {
            return images == 0 ? Double.NaN : (double) correct / images;
        }
    }

    private final TrainOptions options;
    private final Trainer trainer;
    private final RunOutput output;
    private final ModelConfig config;
    private final ResNet model;
    private final Sgd sgd;
    private final TrainingStep trainingStep;
    private final BatchLoader trainLoader;
    private final BatchLoader evalLoader;
    private final LearningRateSchedule schedule;
    private final TimeBudget budget;
    private final LongSupplier clock;
    private final long started;
    private final String optionsJson;
    private final DataParallel parallel;
    private int startEpoch;
    private int epochsDone;
    private long step;
    private EvalResult validation;
    private double lastRate;

    /** @param started the clock's reading when the run started, for the pace of its epochs */
    EpochLoop(Trainer trainer, RunOutput output, ModelConfig config, ResNet model, Sgd sgd, TrainingStep trainingStep,
            BatchLoader trainLoader, BatchLoader evalLoader, TimeBudget budget, long started, LongSupplier clock) {
        this.trainer = trainer;
        this.options = trainer.options();
        this.output = output;
        this.config = config;
        this.model = model;
        this.sgd = sgd;
        this.trainingStep = trainingStep;
        this.trainLoader = trainLoader;
        this.evalLoader = evalLoader;
        this.schedule = options.schedule(trainLoader.batchesPerEpoch());
        this.budget = budget;
        this.clock = clock;
        this.parallel = trainer.parallel();
        this.started = started;
        this.optionsJson = trainer.optionsJson();
    }

    /** Runs the epochs left after {@code start}; with none left, validates the model the checkpoint restored. */
    Outcome run(Trainer.Position start) {
        startEpoch = start.epoch();
        epochsDone = startEpoch;
        step = start.step();
        for (int epoch = startEpoch; epoch < options.epochs() && !budget.exhausted(); epoch++) {
            epoch(epoch);
        }
        if (validation == null) {
            // Killed after the last checkpoint but before the model was saved: nothing is left to train.
            output.log(budget.exhausted() ? "resnet4j: the checkpoint spent the time budget; saving its model"
                    : String.format("resnet4j: the checkpoint completed all %d epochs (raise --epochs to train "
                    + "longer); saving its model", startEpoch));
            validation = validate();
        }
        reportSkipped("training", trainLoader);
        reportSkipped("validation", evalLoader);
        return new Outcome(epochsDone, validation, lastRate);
    }

    /** Trains, validates, records and checkpoints epoch {@code epoch} (0-based). */
    private void epoch(int epoch) {
        long t0 = clock.getAsLong();
        String label = label(epoch, (t0 - started) / 1e9 / (epoch - startEpoch));
        EpochStats stats = train(epoch, label);
        long t1 = clock.getAsLong();
        double seconds = (t1 - t0) / 1e9;
        lastRate = stats.images() / seconds;
        validation = validate();
        if (epoch == startEpoch) {
            // Rows after the checkpoint (or, starting afresh, all rows) are of epochs being redone, or of an earlier
            // run in this folder. Dropped only now, so a run killed before here loses nothing.
            output.retainMetricsUpTo(startEpoch);
        }
        output.recordEpoch(new MetricsRow(epoch + 1, step, stats.loss(), stats.accuracy(), validation.loss(),
                validation.top1(), validation.top5(), stats.lastLr(), lastRate, seconds));
        budget.reserve((clock.getAsLong() - t1) / 1e9);
        output.checkpoint(model, sgd, epoch + 1, step, budget.checkpointSeconds(), config, optionsJson);
        epochsDone = epoch + 1;
        output.log(String.format("%s  train loss %.4f acc %.2f%%  val loss %.4f top-1 %.2f%% top-5 %.2f%%  "
                + "%.0f img/s  %.0f s", label, stats.loss(), 100 * stats.accuracy(), validation.loss(),
                100 * validation.top1(), 100 * validation.top5(), lastRate, seconds));
        if (budget.exhausted()) {
            output.log(String.format("resnet4j: the %.3g-minute time budget is spent: %d epoch%s%s", budget.minutes(),
                    epochsDone, epochsDone == 1 ? "" : "s", stats.partial() ? String.format(
                            " (the last one %d of %d images)", stats.images(),
                            (long) trainLoader.batchesPerEpoch() * options.batchSize()) : ""));
        }
    }

    /** One pass over the training data, or the part of it that the time budget leaves room for. */
    private EpochStats train(int epoch, String label) {
        trainer.beforeEpoch(model, epoch);
        model.train(true);
        double lossSum = 0;
        long correct = 0;
        long images = 0;
        double lr = schedule.at(Math.max(0, step - 1), budget.fraction());
        long total = (long) trainLoader.batchesPerEpoch() * options.batchSize();
        try (Progress progress = output.progress(label, total); var it = trainLoader.iterator(epoch)) {
            while (it.hasNext()) {
                if (images > 0 && budget.exhausted()) { // at least one step, however small the budget
                    return new EpochStats(lossSum, correct, images, lr, true);
                }
                Batch b = it.next();
                if (b.size() == 0) {
                    continue; // every image of the batch was unreadable (counted and reported by the loader)
                }
                lr = schedule.at(step, budget.fraction());
                double[] o = step(b, epoch, lr);
                int n = (int) o[2];
                output.recordStep(epoch + 1, step, n, (long) o[1], o[0]);
                lossSum += o[0] * n;
                correct += (long) o[1];
                images += n;
                step++;
                progress.step(n);
                progress.metrics(lossSum / images, (double) correct / images);
            }
        }
        return new EpochStats(lossSum, correct, images, lr, false);
    }

    /**
     * One optimizer step on {@code b}, unless the loss is no longer finite; the mean loss, the correct count and the
     * images of the step's global batch (of all processes of a data-parallel run, which so stop together).
     */
    private double[] step(Batch b, int epoch, double lr) {
        try (Scope s = Scope.open()) {
            TrainingStep.Outcome o = trainingStep.forwardBackward(b.data(), b.shape(), b.labels(), step);
            double[] totals = parallel.stepTotals(o.loss(), o.correct(), b.size());
            if (!Double.isFinite(totals[0])) {
                throw new TrainingException(Problem.DIVERGED, String.format("training diverged: the loss is %s at "
                        + "epoch %d, step %d (lr %.4g); the last good checkpoint is in %s", (float) totals[0],
                        epoch + 1, step, lr, checkpoints()));
            }
            trainingStep.update(lr);
            return totals;
        }
    }

    /** The validation of the whole test split (each process of a data-parallel run scores its shard). */
    private EvalResult validate() {
        // The primary's batch-norm statistics for everyone, as DistributedDataParallel broadcasts its buffers.
        parallel.coordination().syncBuffers();
        EvalResult local = Evaluation.evaluate(model, evalLoader, trainer.data().classes(), options.precision(),
                null);
        return parallel.gather(local, evalLoader, trainer.data().test().size());
    }

    private Path checkpoints() {
        return trainer.out().resolve(Checkpoint.DIR);
    }

    /**
     * "epoch 3/10"; with a time budget "epoch 3 of ~12" (from the pace so far), and before any pace is known
     * "epoch 1, 10.0-minute budget".
     */
    private String label(int epoch, double secondsPerEpoch) {
        if (!budget.limited()) {
            return String.format("epoch %d/%d", epoch + 1, options.epochs());
        }
        if (!(secondsPerEpoch > 0 && Double.isFinite(secondsPerEpoch))) {
            return String.format("epoch %d, %.3g-minute budget", epoch + 1, budget.minutes());
        }
        int estimate = (int) Math.ceil(epoch + budget.secondsLeft() / secondsPerEpoch);
        return String.format("epoch %d of ~%d", epoch + 1, Math.max(epoch + 1, Math.min(options.epochs(), estimate)));
    }

    /** Says how many distinct images of a split could not be read (each is skipped in every epoch). */
    private void reportSkipped(String split, BatchLoader loader) {
        int distinct = loader.skippedExamples().length;
        if (distinct > 0) {
            output.log(String.format("resnet4j: skipped %d unreadable %s image%s (first: %s)", distinct, split,
                    distinct == 1 ? "" : "s", loader.skipMessages().get(0)));
        }
    }
}
