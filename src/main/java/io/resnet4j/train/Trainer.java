package io.resnet4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.ResNet4jException;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.DataSplits;
import io.resnet4j.data.Dataset;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.Engine;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.TrainingException.Problem;
import java.io.IOException;
import java.io.PrintStream;
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
 *
 * <p>Two seams prepare data-parallel training: {@link #gradientHook} runs code between backward and the update of
 * every step (a gradient all-reduce), and {@link #output} decides what the run writes ({@link RunOutput#silent()}
 * for every process but the primary). {@link #run()} reads top to bottom: set up, resume, the epochs
 * ({@code EpochLoop}), finish.
 */
public final class Trainer {
    /** What a finished run reports. */
    public record Result(Path modelDir, int epochs, EvalResult validation, double imagesPerSecond, double seconds) {}

    /** Where a run starts: after {@code epoch} completed epochs and {@code step} steps, {@code seconds} spent. */
    record Position(int epoch, long step, double seconds) {
        static final Position FRESH = new Position(0, 0, 0);
    }

    private final DataSplits data;
    private final Architecture arch;
    private final TrainOptions options;
    private final Path out;
    private final PrintStream log;
    private final List<GradientHook> gradientHooks = new ArrayList<>();
    private boolean resume;
    private int minAspectDim;
    private int resizeDim;
    private LongSupplier clock = System::nanoTime;
    private RunOutput output;
    private DataParallel parallel = new DataParallel(Coordination.single());
    private FineTuning fineTuning;

    /**
     * @param arch the architecture; its classes and input channels must match the data
     * @param out the run folder (created)
     * @param log where the run's log lines go (with the default {@link #output})
     * @throws TrainingException ({@link Problem#CLASS_COUNT_MISMATCH}) when the model's classes are not the data's
     */
    public Trainer(DataSplits data, Architecture arch, TrainOptions options, Path out, PrintStream log) {
        this.data = data;
        this.arch = arch.withDataFormat(options.dataFormat());
        this.options = options;
        this.out = out;
        this.log = log;
        if (arch.numClasses() != data.classes().size()) {
            throw new TrainingException(Problem.CLASS_COUNT_MISMATCH, "the data has " + data.classes().size()
                    + " classes but the model " + arch.numClasses());
        }
        int native_ = data.train().nativeSize().orElse(-1);
        this.resizeDim = native_ > 0 ? native_ : (arch.stem() == Architecture.Stem.CIFAR ? 32 : 224);
        this.minAspectDim = native_ > 0 ? native_ : (arch.stem() == Architecture.Stem.CIFAR ? 32 : 256);
    }

    /** Start from a model directory's weights, with its preprocessing, and freeze the backbone as it says. */
    public Trainer fineTune(FineTuning f) {
        this.fineTuning = f;
        return this;
    }

    /** Before epoch {@code epoch} (0-based) trains: fine-tuning's backbone freezing. */
    void beforeEpoch(ResNet model, int epoch) {
        if (fineTuning != null) {
            fineTuning.beforeEpoch(model, epoch);
        }
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

    /** Overrides the preprocessing sizes: shorter side, then centre/random crop. */
    public Trainer imageSize(int minAspectDim, int resizeDim) {
        this.minAspectDim = minAspectDim;
        this.resizeDim = resizeDim;
        return this;
    }

    /**
     * Where the run's files and log lines go; by default a {@link RunFolderOutput} of the run folder and the log
     * stream. A process of a data-parallel run other than the primary passes {@link RunOutput#silent()}.
     */
    public Trainer output(RunOutput o) {
        this.output = java.util.Objects.requireNonNull(o, "output");
        return this;
    }

    /**
     * Trains as one process of a data-parallel run ({@link Coordination}); by default {@link Coordination#single()}.
     * Every process of the run makes its own trainer with the same arguments and this; the primary's writes the
     * run folder (the others' default {@link #output} is {@link RunOutput#silent()}). {@code
     * io.resnet4j.distributed.DistributedTrainer} sets this up on PyTorch's c10d.
     */
    public Trainer coordination(Coordination c) {
        this.parallel = new DataParallel(java.util.Objects.requireNonNull(c, "coordination"));
        return this;
    }

    /** Adds a hook that every step runs between backward and the update, after the hooks added before it. */
    public Trainer gradientHook(GradientHook hook) {
        gradientHooks.add(java.util.Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /**
     * Trains: sets up the model and the run folder, resumes from a checkpoint if asked, runs the epochs that are
     * left (or fit the time budget), saves the model.
     *
     * @throws TrainingException when the run cannot start or diverges (see {@link Problem})
     */
    public Result run() {
        Engine.seed(options.seed());
        Coordination co = parallel.coordination();
        RunOutput output = this.output != null ? this.output
                : co.primary() ? new RunFolderOutput(out, log) : RunOutput.silent();
        if (parallel.on()) {
            parallel.localBatch(options.batchSize()); // refuses a batch the processes cannot share, before any work
            if (fineTuning != null && fineTuning.freezeEpochs() > 0) {
                // The Reducer expects a gradient for every parameter in every step; a frozen backbone gives none.
                throw new ResNet4jException("a frozen backbone is not supported in data-parallel training yet; "
                        + "fine-tune in one process, or without freezing");
            }
        }
        Dataset train = options.limit() > 0 ? data.train().limit(options.limit()) : data.train();
        ModelConfig config = modelConfig(train);
        ResNet model = ResNet.build(arch, options.bnMomentum());
        Sgd sgd = new Sgd(model, options.momentum(), options.nesterov(), options.weightDecay(),
                options.decayNormsAndBiases());
        output.open();
        if (fineTuning != null) {
            // On every rank: rank 0's state is broadcast next anyway, so the ranks cannot start apart.
            fineTuning.initialise(model, output::log);
        }
        Position start = resume && co.primary() ? resumeFrom(output, model, sgd) : Position.FRESH;
        start = parallel.start(model, sgd, start);
        List<GradientHook> hooks = new ArrayList<>(gradientHooks);
        if (parallel.on()) {
            hooks.add(0, co.attach(model));
        }
        Thread interrupted = sayWhereTheCheckpointIsIfInterrupted(output);
        LongSupplier clock = parallel.clock(this.clock, options.budgetMinutes() > 0);
        long started = clock.getAsLong();
        TimeBudget budget = new TimeBudget(options.budgetMinutes() * 60, start.seconds(), clock);
        EpochLoop.Outcome trained;
        try (Unhook u = () -> Runtime.getRuntime().removeShutdownHook(interrupted);
                BatchLoader trainLoader = new BatchLoader(train, trainingLoaderConfig(config));
                BatchLoader evalLoader = new BatchLoader(parallel.validationShard(data.test()),
                        validationLoaderConfig(config))) {
            TrainingStep step = TrainingStep.builder(model, sgd).precision(options.precision())
                    .labelSmoothing(options.labelSmoothing()).gradientHooks(hooks).build();
            trained = new EpochLoop(this, output, config, model, sgd, step, trainLoader, evalLoader, budget, started,
                    clock).run(start);
        }
        model.train(false);
        output.saveModel(model, config);
        return new Result(out, trained.epochs(), trained.validation(), trained.imagesPerSecond(),
                (clock.getAsLong() - started) / 1e9);
    }

    /** The model directory's config: the architecture, the classes, the sizes and the training set's statistics. */
    private ModelConfig modelConfig(Dataset train) {
        Normalization norm = fineTuning != null ? fineTuning.normalization(arch.inChannels())
                : Normalization.compute(train, 10_000).withChannels(arch.inChannels());
        return new ModelConfig(arch, data.classes(), minAspectDim, resizeDim, norm.mean(), norm.std());
    }

    private BatchLoader.Config trainingLoaderConfig(ModelConfig config) {
        return parallel.trainingShard(BatchLoader.Config.training(options.batchSize(), arch.inChannels(),
                minAspectDim, resizeDim, normalization(config), options.seed()).toBuilder().threads(options.workers())
                .augment(options.augment()).erasing(options.erasing()).skipUnreadable(true).build());
    }

    private BatchLoader.Config validationLoaderConfig(ModelConfig config) {
        return BatchLoader.Config.evaluation(Math.max(options.batchSize(), 256), arch.inChannels(), minAspectDim,
                resizeDim, normalization(config)).toBuilder().threads(options.workers()).skipUnreadable(true).build();
    }

    private static Normalization normalization(ModelConfig config) {
        return new Normalization(config.mean(), config.std());
    }

    /**
     * Restores the newest usable checkpoint into {@code model} and {@code sgd} and says where training goes on; from
     * the start when there is none.
     */
    private Position resumeFrom(RunOutput output, ResNet model, Sgd sgd) {
        List<String> problems = new ArrayList<>();
        Optional<Checkpoint> found = Checkpoint.latest(out, problems);
        problems.forEach(p -> output.log("resnet4j: skipping unusable checkpoint " + p));
        if (found.isEmpty()) {
            output.log("resnet4j: no checkpoint in " + out + "; starting from scratch");
            return Position.FRESH;
        }
        Checkpoint c = found.get();
        if (!c.config().architecture().withDataFormat(arch.dataFormat()).equals(arch)) {
            throw new TrainingException(Problem.CHECKPOINT_OF_ANOTHER_ARCHITECTURE, "the checkpoint in " + out
                    + " is for " + describe(c.config().architecture()) + ", not " + describe(arch));
        }
        c.restore(model, sgd);
        output.log(String.format("resnet4j: resuming after epoch %d (step %d) from %s", c.epoch(), c.step(),
                c.file()));
        int before = worldSizeOf(c);
        if (before != parallel.coordination().worldSize()) {
            // The global batches do not depend on the number of processes; only per-process batch-norm statistics
            // (without synchronised batch norm) do.
            output.log(String.format("resnet4j: the checkpoint was written by a run of %d process%s, this one has %d:"
                    + " the same global batches follow", before, before == 1 ? "" : "es",
                    parallel.coordination().worldSize()));
        }
        if (c.epoch() > options.epochs()) {
            throw new TrainingException(Problem.NO_EPOCHS_LEFT, "the checkpoint already completed " + c.epoch()
                    + " of " + options.epochs() + " epochs");
        }
        return new Position(c.epoch(), c.step(), c.seconds());
    }

    /** Removes the shutdown hook when training ends, however it ends (an error says what to do itself). */
    private interface Unhook extends AutoCloseable {
        @Override
        void close();
    }

    /** A shutdown hook saying where the last good checkpoint is, should the run be killed; the caller removes it. */
    private Thread sayWhereTheCheckpointIsIfInterrupted(RunOutput output) {
        Thread hook = new Thread(() -> output.log(String.format("%nresnet4j: interrupted; the last good checkpoint "
                + "is in %s (continue with --resume)", out.resolve(Checkpoint.DIR))));
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    TrainOptions options() {
        return options;
    }

    DataSplits data() {
        return data;
    }

    Path out() {
        return out;
    }

    DataParallel parallel() {
        return parallel;
    }

    /** The training options as JSON, for the checkpoints. */
    String optionsJson() {
        try {
            ObjectMapper json = new ObjectMapper();
            if (!parallel.on()) {
                return json.writeValueAsString(options);
            }
            com.fasterxml.jackson.databind.node.ObjectNode o = json.valueToTree(options);
            parallel.describe().forEach((k, v) -> o.set(k, json.valueToTree(v)));
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new ResNet4jException("cannot describe options: " + e.getMessage(), e);
        }
    }

    /** The number of processes that wrote a checkpoint (1 when its options do not say). */
    private static int worldSizeOf(Checkpoint c) {
        try {
            return new ObjectMapper().readTree(c.options()).path("world_size").asInt(1);
        } catch (IOException | RuntimeException e) {
            return 1;
        }
    }

    private static String describe(Architecture a) {
        return a.name() + " (" + a.version() + ", " + a.block() + " " + a.blocks() + ", width " + a.baseWidth()
                + ", " + a.numClasses() + " classes, " + a.inChannels() + " channels)";
    }
}
