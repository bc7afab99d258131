package io.resnet4j;

import io.resnet4j.data.DataSources;
import io.resnet4j.data.DataSplits;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.Architecture;
import io.resnet4j.train.TrainOptions;
import io.resnet4j.train.Trainer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Trains a ResNet image classifier on a labelled data set and leaves a model directory that {@link Classifier}
 * loads.
 *
 * <pre>{@code
 * Training.Result run = Training.onImageFolder(Path.of("photos"))   // photos/train/<class>/*, photos/val/<class>/*
 *         .architecture("resnet18")
 *         .epochs(10)
 *         .run(Path.of("runs/photos"));
 * System.out.println(run.validation());                             // top-1 and top-5 on photos/val
 * Prediction p = run.classifier().classify(Path.of("cat.jpg"));
 * }</pre>
 *
 * <p>The number of classes and the input channels (gray or RGB) come from the data. Every epoch trains on the
 * training split, validates on the test split, and writes a checkpoint; the output folder ends up with
 * {@code config.json} and {@code model.safetensors} (the model directory), {@code metrics.csv}, {@code loss.png},
 * {@code accuracy.png}, {@code lr.png} and {@code checkpoints/}. Progress goes to {@code System.err} unless
 * {@link #log(PrintStream)} says otherwise.
 *
 * <p>The defaults ({@link TrainOptions#defaults()}) are a good recipe for small images: SGD with Nesterov momentum
 * 0.9, learning rate 0.1 per 128 images with one warmup epoch then cosine decay, weight decay 5e-4, flips and
 * crops as augmentation, float32. {@link #options(TrainOptions)} replaces them all at once.
 *
 * <p>A {@code Training} is a mutable builder for one thread; {@link #run(Path)} blocks until the run ends and may
 * be called again (a new run each time). Training uses all cores through libtorch's thread pool. Native memory is
 * handled inside: nothing to close.
 */
public final class Training {
    private final String dataSource;
    private DataSplits data;
    private Architecture architecture;
    private TrainOptions options = TrainOptions.defaults();
    private PrintStream log = System.err;
    private int minAspectDim;
    private int cropSize;
    private boolean resume;

    private Training(String dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Training on an image folder: {@code dir/train/<class>/*} for training and {@code dir/val/<class>/*} for
     * validation, one sub-folder per class (the same names in both), JPEG, PNG, BMP or GIF files of any size and
     * colour type (decoded to RGB). Unreadable images are skipped and counted.
     *
     * @param dir the folder holding {@code train/} and {@code val/}
     * @return a training with the default architecture ({@code resnet18}, or {@code cifar-resnet20} for images of
     *     at most 64 pixels, see {@link #imageSize(int)}) and options
     */
    public static Training onImageFolder(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return on("folder:" + dir);
    }

    /**
     * Training on a data source named as on the command line: {@code folder:DIR}, {@code cifar10:DIR}
     * (CIFAR-10's binary version), {@code fashion-mnist:DIR} (the four gzip IDX files) or {@code fashion-mnist}
     * (Debian's {@code dataset-fashion-mnist} package). The source is opened (and checked) by {@link #run(Path)}.
     *
     * @param dataSource the data source
     * @return a training with the default architecture and options
     */
    public static Training on(String dataSource) {
        return new Training(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /**
     * The network to train, by preset name: {@code resnet18 … resnet200} (torchvision's v1), the same with
     * {@code -v2} (pre-activation), or {@code cifar-resnet20}, {@code cifar-resnet56}, … (the small-image layout
     * with a 3×3 stem; any depth 6n+2), with or without {@code -v2}.
     *
     * @param preset the preset name
     * @return this training
     * @throws ResNet4jException for an unknown name
     */
    public Training architecture(String preset) {
        return architecture(Architecture.preset(preset));
    }

    /**
     * The network to train, any {@link Architecture} (e.g. {@link Architecture#custom}); its number of classes and
     * input channels are replaced by the data's.
     *
     * @param architecture the architecture
     * @return this training
     */
    public Training architecture(Architecture architecture) {
        this.architecture = Objects.requireNonNull(architecture, "architecture");
        return this;
    }

    /**
     * How many passes over the training images (default 10).
     *
     * @param epochs at least 1
     * @return this training
     */
    public Training epochs(int epochs) {
        options = options.withEpochs(epochs);
        return this;
    }

    /**
     * Images per step (default 128); the learning rate is not rescaled.
     *
     * @param batchSize at least 1
     * @return this training
     */
    public Training batchSize(int batchSize) {
        options = options.withBatchSize(batchSize);
        return this;
    }

    /**
     * The peak learning rate, reached after the warmup (default 0.1).
     *
     * @param learningRate a positive number
     * @return this training
     */
    public Training learningRate(double learningRate) {
        options = options.withLr(learningRate);
        return this;
    }

    /**
     * Trains in {@code precision}: {@link Precision#BF16} runs the arithmetic in bfloat16 (weights stay float32),
     * about twice as fast on CPUs with AVX512-BF16 or AMX (default {@link Precision#FP32}).
     *
     * @param precision the arithmetic precision
     * @return this training
     */
    public Training precision(Precision precision) {
        options = options.withPrecision(Objects.requireNonNull(precision, "precision"));
        return this;
    }

    /**
     * A wall-clock budget: the run stops after this many minutes, its last epoch possibly partial, and the
     * learning rate anneals over the budget rather than over the epochs (which become an upper bound).
     *
     * @param minutes the budget, more than 0
     * @return this training
     */
    public Training timeBudgetMinutes(double minutes) {
        if (!(minutes > 0)) {
            throw new ResNet4jException("the time budget must be more than 0 minutes, got " + minutes);
        }
        options = options.withBudgetMinutes(minutes);
        return this;
    }

    /**
     * The root of all randomness (weight initialisation, data order, augmentation; default 0): the same seed, data
     * and options give the same model.
     *
     * @param seed any number
     * @return this training
     */
    public Training seed(long seed) {
        options = options.withSeed(seed);
        return this;
    }

    /**
     * Replaces every hyperparameter at once (start from {@link TrainOptions#defaults()} and its
     * {@link TrainOptions#toBuilder() builder}); settings made before are replaced, settings made after apply on
     * top.
     *
     * @param options the hyperparameters
     * @return this training
     */
    public Training options(TrainOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        return this;
    }

    /**
     * The input size: images are resized so that their shorter side is {@code size}, then cropped to
     * {@code size × size} (random crops in training, the centre in validation and prediction). By default,
     * data sets of one fixed size (Fashion-MNIST 28, CIFAR-10 32) keep their size; image folders use 224 after
     * resizing to 256 (32 for architectures with a CIFAR stem).
     *
     * @param size the side of the square model input, at least 1
     * @return this training
     */
    public Training imageSize(int size) {
        return imageSize(size, size);
    }

    /**
     * The input size: the shorter side of each image is resized to {@code shorterSide}, then a
     * {@code cropSize × cropSize} square is cropped (randomly in training, the centre in validation and
     * prediction).
     *
     * @param shorterSide the shorter side after resizing, at least {@code cropSize}
     * @param cropSize the side of the square model input, at least 1
     * @return this training
     */
    public Training imageSize(int shorterSide, int cropSize) {
        if (cropSize < 1 || shorterSide < cropSize) {
            throw new ResNet4jException("need 1 <= crop size <= shorter side, got " + cropSize + " and "
                    + shorterSide);
        }
        this.minAspectDim = shorterSide;
        this.cropSize = cropSize;
        return this;
    }

    /**
     * Continue from the newest good checkpoint in the output folder, if there is one (an interrupted run picks up
     * where it stopped, with the same weights, momentum and learning rate).
     *
     * @param resume whether to resume
     * @return this training
     */
    public Training resume(boolean resume) {
        this.resume = resume;
        return this;
    }

    /**
     * Where the run's log lines go (default {@code System.err}); progress bars always go to {@code System.err}.
     *
     * @param log the stream for log lines
     * @return this training
     */
    public Training log(PrintStream log) {
        this.log = Objects.requireNonNull(log, "log");
        return this;
    }

    /**
     * No log lines (progress bars still go to {@code System.err}).
     *
     * @return this training
     */
    public Training quiet() {
        return log(new PrintStream(OutputStream.nullOutputStream()));
    }

    /**
     * Trains, validating after every epoch, and saves the model.
     *
     * @param out the output folder (created if needed); it becomes a model directory for {@link Classifier#load}
     * @return what the run achieved on the validation split, and where the model is
     * @throws ResNet4jException when the data cannot be opened, the architecture does not fit it, or training
     *     fails (diverges, say)
     */
    public Result run(Path out) {
        Objects.requireNonNull(out, "out");
        if (data == null) {
            data = DataSources.open(dataSource);
        }
        Architecture arch = architecture != null ? architecture : defaultArchitecture();
        arch = arch.withClasses(data.classes().size()).withInChannels(data.train().channels());
        Trainer trainer = new Trainer(data, arch, options, out, log).resume(resume);
        if (cropSize > 0) {
            trainer.imageSize(minAspectDim, cropSize);
        }
        Trainer.Result r = trainer.run();
        return new Result(out, r.epochs(), Accuracy.of(r.validation()), r.imagesPerSecond(), r.seconds());
    }

    private Architecture defaultArchitecture() {
        int size = cropSize > 0 ? cropSize : data.train().nativeSize().orElse(224);
        return Architecture.preset(size <= 64 ? "cifar-resnet20" : "resnet18");
    }

    /**
     * What a finished training run reports.
     *
     * @param modelDirectory the output folder, now a model directory
     * @param epochs the epochs trained (the last possibly partial, with a time budget)
     * @param validation the model's accuracy on the validation (test) split after the last epoch
     * @param imagesPerSecond the training speed, images per second, over the run
     * @param seconds the run's wall-clock time in seconds
     */
    public record Result(Path modelDirectory, int epochs, Accuracy validation, double imagesPerSecond,
            double seconds) {

        /**
         * Loads the trained model to classify images.
         *
         * @return a classifier of {@link #modelDirectory()}
         */
        public Classifier classifier() {
            return Classifier.load(modelDirectory);
        }
    }
}
