package io.resnet4j.cli;

import io.resnet4j.data.DataSources;
import io.resnet4j.data.DataSplits;
import io.resnet4j.experiment.DegradationExperiment;
import io.resnet4j.experiment.DegradationExperiment.Net;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.Architecture;
import io.resnet4j.train.TrainOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code experiment degradation}: plain vs residual nets at several depths (He et al. 2015, Fig. 6). */
@Command(name = "degradation", description = {
    "Train plain and residual CIFAR-style nets at each depth under one recipe and budget, then write "
        + "training-error.png (the paper's Fig. 6), gradient-norms.png, results.json and REPORT.md into DIR.",
    "Each net trains into DIR/<net> with its own checkpoints; rerunning the command skips finished nets and "
        + "resumes the others."})
final class DegradationCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--data", defaultValue = "fashion-mnist", paramLabel = "D",
            description = "fashion-mnist, fashion-mnist:DIR, cifar10:DIR or folder:DIR (default fashion-mnist).")
    String data;

    @Option(names = "--depths", split = ",", paramLabel = "D,D,...",
            description = "Depths, 6n+2 each (default 20,56).")
    List<Integer> depths;

    @Option(names = "--minutes", paramLabel = "M", description = "Total training budget in minutes, shared between "
            + "the nets in proportion to the measured time of one training step of each, so that every net sees "
            + "about as many images (an equal split would give the deeper nets fewer iterations); --epochs is then "
            + "an upper bound (default: no budget, --epochs alone).")
    Double minutes;

    @Option(names = "--epochs", paramLabel = "E", description = "Epochs of every net, the same images in the same "
            + "schedule (default 5: about 26 minutes for depths 20,56 on Fashion-MNIST on 2 cores; with --minutes: "
            + "at most E, default 1000).")
    Integer epochs;

    @Option(names = "--precision", defaultValue = "bf16", paramLabel = "fp32|bf16",
            converter = PrecisionOption.Converter.class, completionCandidates = PrecisionOption.Candidates.class,
            description = "Training arithmetic: ${COMPLETION-CANDIDATES} (default bf16 autocast).")
    Precision precision;

    @Option(names = "--version", defaultValue = "v1", paramLabel = "v1|v2",
            converter = ArchitectureOptions.VersionConverter.class,
            completionCandidates = ArchitectureOptions.Versions.class,
            description = "v1: post-activation, as in the paper (default); v2: pre-activation.")
    Architecture.Version version;

    @Option(names = "--out", defaultValue = "runs/degradation", paramLabel = "DIR",
            description = "Experiment folder (default runs/degradation).")
    Path out;

    @Option(names = "--batch-size", paramLabel = "B", description = "Images per step (default 128).")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 0.1).")
    Double lr;

    @Option(names = "--warmup", paramLabel = "EPOCHS", description = "Linear warmup epochs (default 1).")
    Double warmup;

    @Option(names = "--window", defaultValue = "20", paramLabel = "STEPS",
            description = "Training steps per point of the training-error curve (default 20).")
    int window;

    @Option(names = "--limit", paramLabel = "N", description = "Train on only the first N examples.")
    Integer limit;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of weights, data order, augmentation (default 0).")
    Long seed;

    @Mixin JsonOption json;

    @Override
    public Integer call() {
        Flags.positive("--minutes", minutes);
        Flags.atLeast("--epochs", epochs, 1);
        Flags.atLeast("--batch-size", batchSize, 1);
        Flags.positive("--lr", lr);
        Flags.atLeast("--window", window, 1);
        Flags.nonNegative("--warmup", warmup);
        Flags.atLeast("--limit", limit, 1);
        List<Integer> ds = depths == null ? DegradationExperiment.Settings.defaults().depths() : depths;
        for (Integer d : ds) {
            if (d == null || d < 8 || (d - 2) % 6 != 0) {
                throw new Main.UsageException("--depths must be 6n+2 (8, 14, 20, 32, 44, 56, 110, ...), got " + d);
            }
        }
        if (ds.stream().distinct().count() != ds.size()) {
            throw new Main.UsageException("--depths must differ, got " + ds);
        }
        Architecture.Version v = version;
        DegradationExperiment.Settings defaults = DegradationExperiment.Settings.defaults();
        TrainOptions.Builder recipe = defaults.recipe().toBuilder().precision(precision);
        double budget = minutes != null ? minutes : 0;
        recipe.epochs(epochs != null ? epochs : minutes != null ? 1000 : defaults.recipe().epochs());
        if (batchSize != null) {
            recipe.batchSize(batchSize);
        }
        if (lr != null) {
            recipe.lr(lr);
        }
        if (warmup != null) {
            recipe.warmupEpochs(warmup);
        }
        if (limit != null) {
            recipe.limit(limit);
        }
        if (seed != null) {
            recipe.seed(seed);
        }
        if (data.equals("fashion-mnist")) {
            FashionMnistPackage.ensureInstalled();
        }
        DataSplits splits = DataSources.open(data);
        DegradationExperiment.Settings settings = new DegradationExperiment.Settings(ds, v, budget, recipe.build(),
                window);
        DegradationExperiment experiment = new DegradationExperiment(splits, data, settings, out, System.err);
        DegradationExperiment.Result r = experiment.run();
        if (json.on()) {
            // The same object as results.json, and where it is.
            Json.print(experiment.resultsJson(r).put("out", out.toString()));
        } else {
            for (Net n : r.nets()) {
                System.out.printf(Locale.ROOT, "%-10s train error %6.2f%%  test error %6.2f%%  (%d epochs, %d "
                        + "iterations)%n", n.name(), 100 * n.trainError(), 100 * n.testError(), n.epochs(),
                        n.steps());
            }
            if (r.plainDegrades() != null) {
                System.out.printf("deeper plain net trained worse: %s; deeper residual net trained worse: %s%n",
                        r.plainDegrades() ? "yes" : "no", r.residualDegrades() ? "yes" : "no");
            }
            System.out.printf("results in %s (training-error.png, gradient-norms.png, results.json, REPORT.md)%n",
                    out);
        }
        return 0;
    }
}
