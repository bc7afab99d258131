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
 */
public record TrainOptions(int epochs, int batchSize, int limit, double lr, double warmupEpochs, String decay,
        double momentum, boolean nesterov, double weightDecay, boolean decayNormsAndBiases, double labelSmoothing,
        Precision precision, DataFormat dataFormat, long seed, double bnMomentum, int workers, boolean augment) {

    public TrainOptions {
        if (epochs < 1 || batchSize < 1 || limit < 0 || workers < 1) {
            throw new ResNet4jException("epochs, batch size and workers must be at least 1 and limit at least 0");
        }
        if (!(lr > 0) || !(momentum >= 0 && momentum < 1) || !(weightDecay >= 0) || !(warmupEpochs >= 0)
                || !(labelSmoothing >= 0 && labelSmoothing < 1) || !(bnMomentum >= 0 && bnMomentum <= 1)) {
            throw new ResNet4jException("out-of-range hyperparameter: lr " + lr + ", momentum " + momentum
                    + ", weight decay " + weightDecay + ", warmup " + warmupEpochs + ", label smoothing "
                    + labelSmoothing + ", bn momentum " + bnMomentum);
        }
    }

    public static TrainOptions defaults() {
        return new TrainOptions(10, 128, 0, 0.1, 1.0, "cosine", 0.9, true, 5e-4, false, 0.0, Precision.FP32,
                DataFormat.CHANNELS_LAST, 0, 0.1, 1, true);
    }

    public TrainOptions withEpochs(int e) {
        return new TrainOptions(e, batchSize, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withLimit(int l) {
        return new TrainOptions(epochs, batchSize, l, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withBatchSize(int b) {
        return new TrainOptions(epochs, b, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withLr(double v) {
        return new TrainOptions(epochs, batchSize, limit, v, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withSeed(long s) {
        return new TrainOptions(epochs, batchSize, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, s, bnMomentum, workers, augment);
    }

    public TrainOptions withPrecision(Precision p) {
        return new TrainOptions(epochs, batchSize, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, p, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withWarmupEpochs(double w) {
        return new TrainOptions(epochs, batchSize, limit, lr, w, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withLabelSmoothing(double ls) {
        return new TrainOptions(epochs, batchSize, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, ls, precision, dataFormat, seed, bnMomentum, workers, augment);
    }

    public TrainOptions withAugment(boolean a) {
        return new TrainOptions(epochs, batchSize, limit, lr, warmupEpochs, decay, momentum, nesterov, weightDecay,
                decayNormsAndBiases, labelSmoothing, precision, dataFormat, seed, bnMomentum, workers, a);
    }

    /** The schedule for {@code stepsPerEpoch} steps per epoch. */
    LearningRateSchedule schedule(long stepsPerEpoch) {
        return LearningRateSchedule.builder().baseLr(lr).epochs(epochs).stepsPerEpoch(stepsPerEpoch)
                .warmupEpochs(Math.min(warmupEpochs, epochs / 2.0)).decay(decay).build();
    }
}
