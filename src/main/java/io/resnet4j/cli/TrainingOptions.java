package io.resnet4j.cli;

import io.resnet4j.ResNet4jException;
import io.resnet4j.train.LearningRateSchedule;
import io.resnet4j.train.TrainOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Hyperparameter flags of {@code train}: unset flags keep the base options ({@link TrainOptions#defaults()}), except
 * {@code --precision} and {@code --data-format}, whose defaults (fp32, channels_last) are their mixins'.
 */
final class TrainingOptions {
    @Mixin PrecisionOption precision;
    @Mixin DataFormatOption dataFormat;

    @Option(names = "--epochs", paramLabel = "E", description = "Passes over the training set (default 10).")
    Integer epochs;

    @Option(names = "--time-budget", paramLabel = "MIN", description = "Stop after about MIN minutes of training and "
            + "validation, annealing the learning rate over them; --epochs is then an upper bound (default 1000).")
    Double timeBudget;

    @Option(names = "--batch-size", paramLabel = "B", description = "Images per step (default 128).")
    Integer batchSize;

    @Option(names = "--limit", paramLabel = "N", description = "Train on only the first N examples.")
    Integer limit;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 0.1).")
    Double lr;

    @Option(names = "--warmup", paramLabel = "EPOCHS", description = "Linear warmup epochs (default 1).")
    Double warmup;

    @Option(names = "--schedule", paramLabel = "cosine|step:E1,E2",
            description = "Decay after warmup (default cosine).")
    String schedule;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum (default 0.9).")
    Double momentum;

    @Option(names = "--no-nesterov", description = "Plain momentum instead of Nesterov.")
    boolean noNesterov;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "L2 weight decay (default 5e-4).")
    Double weightDecay;

    @Option(names = "--decay-bn-bias", description = "Also decay batch-norm parameters and biases (torchvision style).")
    boolean decayBnBias;

    @Option(names = "--label-smoothing", paramLabel = "S", description = "Label smoothing (default 0).")
    Double labelSmoothing;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of weights, data order, augmentation (default 0).")
    Long seed;

    @Option(names = "--bn-momentum", paramLabel = "M", description = "Batch-norm momentum, PyTorch convention (0.1).")
    Double bnMomentum;

    @Option(names = "--workers", paramLabel = "N", description = "Data decoding threads (default 1).")
    Integer workers;

    @Option(names = "--random-erasing", paramLabel = "P",
            description = "Random erasing probability per training image (default 0: off; 0.5 is usual).")
    Double erasing;

    @Option(names = "--no-augment", description = "Train without augmentation.")
    boolean noAugment;

    TrainOptions resolve(TrainOptions base) {
        check();
        TrainOptions.Builder b = base.toBuilder();
        if (epochs != null) {
            b.epochs(epochs);
        } else if (timeBudget != null) {
            b.epochs(1000); // the budget ends the run
        }
        if (timeBudget != null) {
            b.budgetMinutes(timeBudget);
        }
        if (batchSize != null) {
            b.batchSize(batchSize);
        }
        if (limit != null) {
            b.limit(limit);
        }
        if (lr != null) {
            b.lr(lr);
        }
        if (warmup != null) {
            b.warmupEpochs(warmup);
        }
        if (schedule != null) {
            b.decay(schedule);
        }
        if (momentum != null) {
            b.momentum(momentum);
        }
        if (noNesterov) {
            b.nesterov(false);
        }
        if (weightDecay != null) {
            b.weightDecay(weightDecay);
        }
        if (decayBnBias) {
            b.decayNormsAndBiases(true);
        }
        if (labelSmoothing != null) {
            b.labelSmoothing(labelSmoothing);
        }
        b.precision(precision.get());
        b.dataFormat(dataFormat.get());
        if (seed != null) {
            b.seed(seed);
        }
        if (bnMomentum != null) {
            b.bnMomentum(bnMomentum);
        }
        if (workers != null) {
            b.workers(workers);
        }
        if (noAugment) {
            b.augment(false);
        }
        if (erasing != null) {
            b.erasing(erasing);
        }
        return b.build();
    }

    /** Every flag given is in its range (a usage error naming the flag otherwise). */
    void check() {
        Flags.atLeast("--epochs", epochs, 1);
        Flags.positive("--time-budget", timeBudget);
        Flags.atLeast("--batch-size", batchSize, 1);
        Flags.atLeast("--limit", limit, 1);
        Flags.positive("--lr", lr);
        Flags.nonNegative("--warmup", warmup);
        Flags.fraction("--momentum", momentum, false);
        Flags.nonNegative("--weight-decay", weightDecay);
        Flags.fraction("--label-smoothing", labelSmoothing, false);
        Flags.fraction("--bn-momentum", bnMomentum, true);
        Flags.fraction("--random-erasing", erasing, true);
        Flags.between("--workers", workers, 1, 256);
        if (schedule != null) {
            try {
                LearningRateSchedule.builder().decay(schedule); // the form; the values are checked with the run's
            } catch (ResNet4jException e) {
                throw new Main.UsageException("--schedule: " + e.getMessage());
            }
        }
    }
}
