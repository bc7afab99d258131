package io.resnet4j.cli;

import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Precision;
import io.resnet4j.train.TrainOptions;
import picocli.CommandLine.Option;

/** Hyperparameter flags of {@code train} (and {@code demo}); unset flags keep {@link TrainOptions#defaults()}. */
final class TrainingOptions {
    @Option(names = "--epochs", paramLabel = "E", description = "Passes over the training set (default 10).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "B", description = "Images per step (default 128).")
    Integer batchSize;

    @Option(names = "--limit", paramLabel = "N", description = "Train on only the first N examples.")
    Integer limit;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 0.1).")
    Double lr;

    @Option(names = "--warmup", paramLabel = "EPOCHS", description = "Linear warmup epochs (default 1).")
    Double warmup;

    @Option(names = "--schedule", paramLabel = "cosine|step:E1,E2", description = "Decay after warmup (default cosine).")
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

    @Option(names = "--precision", paramLabel = "fp32|bf16", description = "fp32, or bf16 autocast (default fp32).")
    String precision;

    @Option(names = "--data-format", paramLabel = "channels_first|channels_last",
            description = "Memory layout (default channels_last).")
    String dataFormat;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of weights, data order, augmentation (default 0).")
    Long seed;

    @Option(names = "--bn-momentum", paramLabel = "M", description = "Batch-norm momentum, PyTorch convention (0.1).")
    Double bnMomentum;

    @Option(names = "--workers", paramLabel = "N", description = "Data decoding threads (default 1).")
    Integer workers;

    @Option(names = "--no-augment", description = "Train without augmentation.")
    boolean noAugment;

    TrainOptions resolve(TrainOptions base) {
        TrainOptions d = base;
        return new TrainOptions(
                epochs != null ? epochs : d.epochs(),
                batchSize != null ? batchSize : d.batchSize(),
                limit != null ? limit : d.limit(),
                lr != null ? lr : d.lr(),
                warmup != null ? warmup : d.warmupEpochs(),
                schedule != null ? schedule : d.decay(),
                momentum != null ? momentum : d.momentum(),
                !noNesterov && d.nesterov(),
                weightDecay != null ? weightDecay : d.weightDecay(),
                decayBnBias || d.decayNormsAndBiases(),
                labelSmoothing != null ? labelSmoothing : d.labelSmoothing(),
                precision != null ? Precision.parse(precision) : d.precision(),
                dataFormat != null ? DataFormat.parse(dataFormat) : d.dataFormat(),
                seed != null ? seed : d.seed(),
                bnMomentum != null ? bnMomentum : d.bnMomentum(),
                workers != null ? workers : d.workers(),
                !noAugment && d.augment());
    }
}
