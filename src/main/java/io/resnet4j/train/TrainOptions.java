package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Precision;

/**
 * Hyperparameters of a training run. {@link #defaults()} is a good recipe for small images (Fashion-MNIST,
 * CIFAR): SGD with Nesterov momentum 0.9, lr 0.1 per 128 images, 1 warmup epoch then cosine, weight decay 5e-4 on
 * kernels only, channels_last.
 *
 * @param epochs passes over the training set
 * @param batchSize images per step
 * @param limit train on only the first {@code limit} examples (0 = all)
 * @param lr peak learning rate (after warmup)
 * @param warmupEpochs linear warmup length, from lr/100
 * @param decay {@code cosine}, {@code cosine:MIN} or {@code step:E1,E2,...} (x0.1 at each)
 * @param momentum SGD momentum
 * @param nesterov Nesterov momentum
 * @param weightDecay L2 weight decay
 * @param decayNormsAndBiases also decay batch-norm parameters and biases (torchvision does; TF official does not)
 * @param labelSmoothing label smoothing in [0, 1)
 * @param precision fp32, or bf16 autocast
 * @param dataFormat memory layout (channels_last is the fast one on CPUs)
 * @param seed root of all randomness: weight init, data order, augmentation
 * @param bnMomentum batch-norm momentum (PyTorch convention)
 * @param workers background threads decoding and batching
 * @param augment training augmentation on
 * @param erasing with augmentation, the probability of random erasing per example (0: off)
 * @param budgetMinutes a wall-clock budget for training and validation (0: none): the run stops when it is spent,
 *     mid-epoch if need be, and the learning-rate decay is stretched over it ({@link LearningRateSchedule#at(long,
 *     double)}); {@code epochs} is then an upper bound
 */
public record TrainOptions(int epochs, int batchSize, int limit, double lr, double warmupEpochs, String decay,
        double momentum, boolean nesterov, double weightDecay, boolean decayNormsAndBiases, double labelSmoothing,
        Precision precision, DataFormat dataFormat, long seed, double bnMomentum, int workers, boolean augment,
        double erasing, double budgetMinutes) {

    public TrainOptions {
        if (epochs < 1 || batchSize < 1 || limit < 0 || workers < 1) {
            throw new ResNet4jException("epochs, batch size and workers must be at least 1 and limit at least 0");
        }
        if (!(lr > 0) || !(momentum >= 0 && momentum < 1) || !(weightDecay >= 0) || !(warmupEpochs >= 0)
                || !(labelSmoothing >= 0 && labelSmoothing < 1) || !(bnMomentum >= 0 && bnMomentum <= 1)
                || !(erasing >= 0 && erasing <= 1) || !(budgetMinutes >= 0 && budgetMinutes < 1e7)) {
            throw new ResNet4jException("out-of-range hyperparameter: lr " + lr + ", momentum " + momentum
                    + ", weight decay " + weightDecay + ", warmup " + warmupEpochs + ", label smoothing "
                    + labelSmoothing + ", bn momentum " + bnMomentum + ", erasing " + erasing + ", time budget "
                    + budgetMinutes + " minutes");
        }
    }

    public static TrainOptions defaults() {
        return new TrainOptions(10, 128, 0, 0.1, 1.0, "cosine", 0.9, true, 5e-4, false, 0.0, Precision.FP32,
                DataFormat.CHANNELS_LAST, 0, 0.1, 1, true, 0.0, 0.0);
    }

    public TrainOptions withEpochs(int v) {
        return toBuilder().epochs(v).build();
    }

    public TrainOptions withLimit(int v) {
        return toBuilder().limit(v).build();
    }

    public TrainOptions withBatchSize(int v) {
        return toBuilder().batchSize(v).build();
    }

    public TrainOptions withLr(double v) {
        return toBuilder().lr(v).build();
    }

    public TrainOptions withSeed(long v) {
        return toBuilder().seed(v).build();
    }

    public TrainOptions withPrecision(Precision v) {
        return toBuilder().precision(v).build();
    }

    public TrainOptions withWarmupEpochs(double v) {
        return toBuilder().warmupEpochs(v).build();
    }

    public TrainOptions withLabelSmoothing(double v) {
        return toBuilder().labelSmoothing(v).build();
    }

    public TrainOptions withAugment(boolean v) {
        return toBuilder().augment(v).build();
    }

    public TrainOptions withBudgetMinutes(double v) {
        return toBuilder().budgetMinutes(v).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes a few fields of existing options; {@link #build()} validates. */
    public static final class Builder {
        private int epochs;
        private int batchSize;
        private int limit;
        private double lr;
        private double warmupEpochs;
        private String decay;
        private double momentum;
        private boolean nesterov;
        private double weightDecay;
        private boolean decayNormsAndBiases;
        private double labelSmoothing;
        private Precision precision;
        private DataFormat dataFormat;
        private long seed;
        private double bnMomentum;
        private int workers;
        private boolean augment;
        private double erasing;
        private double budgetMinutes;

        private Builder(TrainOptions o) {
            epochs = o.epochs;
            batchSize = o.batchSize;
            limit = o.limit;
            lr = o.lr;
            warmupEpochs = o.warmupEpochs;
            decay = o.decay;
            momentum = o.momentum;
            nesterov = o.nesterov;
            weightDecay = o.weightDecay;
            decayNormsAndBiases = o.decayNormsAndBiases;
            labelSmoothing = o.labelSmoothing;
            precision = o.precision;
            dataFormat = o.dataFormat;
            seed = o.seed;
            bnMomentum = o.bnMomentum;
            workers = o.workers;
            augment = o.augment;
            erasing = o.erasing;
            budgetMinutes = o.budgetMinutes;
        }

        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder limit(int v) { limit = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder warmupEpochs(double v) { warmupEpochs = v; return this; }
        public Builder decay(String v) { decay = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder decayNormsAndBiases(boolean v) { decayNormsAndBiases = v; return this; }
        public Builder labelSmoothing(double v) { labelSmoothing = v; return this; }
        public Builder precision(Precision v) { precision = v; return this; }
        public Builder dataFormat(DataFormat v) { dataFormat = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder bnMomentum(double v) { bnMomentum = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder augment(boolean v) { augment = v; return this; }
        public Builder erasing(double v) { erasing = v; return this; }
        public Builder budgetMinutes(double v) { budgetMinutes = v; return this; }

        public TrainOptions build() {
            return new TrainOptions(epochs, batchSize, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                    decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, augment,
                    erasing, budgetMinutes);
        }
    }

    /** The schedule for {@code stepsPerEpoch} steps per epoch. */
    LearningRateSchedule schedule(long stepsPerEpoch) {
        return LearningRateSchedule.builder().baseLr(lr).epochs(epochs).stepsPerEpoch(stepsPerEpoch)
                .warmupEpochs(Math.min(warmupEpochs, epochs / 2.0)).decay(decay).build();
    }
}
