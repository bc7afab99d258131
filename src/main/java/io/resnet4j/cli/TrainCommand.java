package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.data.DataSources;
import io.resnet4j.data.DataSplits;
import io.resnet4j.distributed.DistributedConfig;
import io.resnet4j.distributed.DistributedTrainer;
import io.resnet4j.distributed.LocalLauncher;
import io.resnet4j.engine.ProcessGroup;
import io.resnet4j.model.Architecture;
import io.resnet4j.train.FineTuning;
import io.resnet4j.train.TrainOptions;
import io.resnet4j.train.Trainer;
import io.resnet4j.train.TrainingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code train}: trains a model; the output folder becomes a model directory with metrics, plots, checkpoints. */
@Command(name = "train", description = "Train a ResNet; DIR becomes a model directory with metrics.csv, plots and "
        + "checkpoints/.")
final class TrainCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ArchitectureOptions archOptions;
    @Mixin TrainingOptions training;
    @Mixin JsonOption json;
    @Mixin DistributedOptions distributed;
    @Spec CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "D",
            description = "fashion-mnist, fashion-mnist:DIR, cifar10:DIR or folder:DIR.")
    String data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run folder / model directory.")
    Path out;

    @Option(names = "--resume", description = "Continue from the newest good checkpoint in DIR.")
    boolean resume;

    @Option(names = "--min-aspect-dim", paramLabel = "N", description = "Resize shorter side to N (default: native).")
    Integer minAspectDim;

    @Option(names = "--resize-dim", paramLabel = "N", description = "Crop size (default: native size).")
    Integer resizeDim;

    @Option(names = "--init", paramLabel = "DIR", description = "Fine-tune: start from this model directory's "
            + "weights, architecture and preprocessing (a new classifier when --classes or the data's differ).")
    Path init;

    @Option(names = "--freeze-backbone", arity = "0..1", fallbackValue = "all", paramLabel = "EPOCHS",
            description = "With --init: train only the classifier (batch norm frozen too) for the first EPOCHS "
                    + "epochs, or all of them without a number.")
    String freezeBackbone;

    @Override
    public Integer call() throws InterruptedException {
        training.check();
        distributed.check();
        Flags.atLeast("--min-aspect-dim", minAspectDim, 1);
        Flags.atLeast("--resize-dim", resizeDim, 1);
        if (minAspectDim != null && resizeDim != null && minAspectDim < resizeDim) {
            throw new Main.UsageException("--min-aspect-dim must be at least --resize-dim, got " + minAspectDim
                    + " < " + resizeDim);
        }
        FineTuning fineTuning = fineTuning();
        // Every usage error before workers start: otherwise each of N workers would load libtorch to report it.
        boolean launches = distributed.launches(System.getenv());
        Optional<DistributedConfig> dist = launches ? Optional.empty() : distributed.resolve(System.getenv());
        if (freezeBackbone != null && (launches || dist.isPresent())) {
            throw new Main.UsageException("--freeze-backbone is not supported in data-parallel training yet; "
                    + "drop --nproc (or the torchrun environment) or --freeze-backbone");
        }
        if (launches) {
            return launchWorkers();
        }
        DataSplits splits = DataSources.open(data);
        Architecture arch;
        if (fineTuning != null) {
            arch = fineTuning.architecture(archOptions.classes != null ? archOptions.classes
                    : splits.classes().size());
        } else {
            arch = archOptions.resolve(splits.train().channels());
            if (archOptions.classes == null) {
                arch = arch.withClasses(splits.classes().size());
            }
        }
        TrainOptions options = training.resolve(TrainOptions.defaults());
        Trainer.Result r;
        try {
            Trainer trainer = new Trainer(splits, arch, options, out, System.err).resume(resume)
                    .fineTune(fineTuning);
            if (minAspectDim != null || resizeDim != null) {
                int size = resizeDim != null ? resizeDim : minAspectDim;
                trainer.imageSize(minAspectDim != null ? minAspectDim : size, size);
            }
            r = dist.isPresent() ? new DistributedTrainer(dist.get()).run(trainer) : trainer.run();
        } catch (TrainingException e) {
            throw new ResNet4jException(e.getMessage() + flagAdvice(e.problem()), e);
        } catch (ProcessGroup.Failure e) {
            throw new ResNet4jException(e.getMessage() + (e.duringTraining() ? "; continue from the last checkpoint "
                    + "with --resume" : ""), e);
        }
        if (dist.isPresent() && dist.get().rank() != 0) {
            return 0; // rank 0 reports
        }
        if (json.on()) {
            ObjectNode o = Json.object();
            o.put("model", out.toString());
            o.put("epochs", r.epochs());
            o.put("top1", r.validation().top1());
            o.put("top5", r.validation().top5());
            o.put("loss", r.validation().loss());
            o.put("images_per_second", r.imagesPerSecond());
            o.put("seconds", r.seconds());
            Json.print(o);
        } else {
            System.out.printf("test top-1 %.2f%%, top-5 %.2f%%; model in %s (metrics.csv, loss.png, accuracy.png, "
                    + "lr.png)%n", 100 * r.validation().top1(), 100 * r.validation().top5(), out);
        }
        return 0;
    }

    /**
     * {@code --nproc N}: this command line again, without {@code --nproc}, in N worker processes (torchrun's
     * environment), and their exit code.
     */
    private int launchWorkers() throws InterruptedException {
        List<String> args = new ArrayList<>(spec.root().commandLine().getParseResult().originalArgs());
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--nproc")) {
                args.remove(i + 1);
                args.remove(i);
                i--;
            } else if (args.get(i).startsWith("--nproc=")) {
                args.remove(i);
                i--;
            }
        }
        return new LocalLauncher(distributed.nproc, distributed.timeout(), System.err).launch(Main.class.getName(),
                args);
    }

    /** {@code --init} and {@code --freeze-backbone} as a {@link FineTuning}, or null without {@code --init}. */
    private FineTuning fineTuning() {
        if (init == null) {
            if (freezeBackbone != null) {
                throw new Main.UsageException("--freeze-backbone needs --init DIR");
            }
            return null;
        }
        if (archOptions.arch != null) {
            throw new Main.UsageException("--init takes the architecture from " + init + "; drop --arch");
        }
        int epochs = 0;
        if (freezeBackbone != null) {
            if (freezeBackbone.equals("all")) {
                epochs = FineTuning.ALL_EPOCHS;
            } else {
                try {
                    epochs = Integer.parseInt(freezeBackbone);
                } catch (NumberFormatException e) {
                    epochs = -1;
                }
                if (epochs < 1) {
                    throw new Main.UsageException("--freeze-backbone takes a number of epochs (at least 1) or "
                            + "nothing, got '" + freezeBackbone + "'");
                }
            }
        }
        return FineTuning.from(init, epochs);
    }

    /** What to change on the command line about a training problem (the library's message names no flag). */
    private static String flagAdvice(TrainingException.Problem problem) {
        return switch (problem) {
            case CLASS_COUNT_MISMATCH -> " (drop --classes or make them agree)";
            case CHECKPOINT_OF_ANOTHER_ARCHITECTURE -> "; use another --out or the same --arch";
            case NO_EPOCHS_LEFT -> " (raise --epochs to train longer)";
            case DIVERGED -> " (try a lower --lr)";
        };
    }
}
