package io.resnet4j.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.data.DataSplits;
import io.resnet4j.engine.Precision;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.engine.Scope;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelSummary;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog;
import io.resnet4j.train.MetricsLog.MetricsRow;
import io.resnet4j.train.RunFolderOutput;
import io.resnet4j.train.Sgd;
import io.resnet4j.train.TrainOptions;
import io.resnet4j.train.Trainer;
import io.resnet4j.train.TrainingStep;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The degradation experiment of He et al. 2015 (Fig. 1 and Fig. 6): plain and residual CIFAR-style networks of
 * several depths trained under one recipe, to see whether the deeper plain net trains worse than the shallower one
 * while the residual nets do not.
 *
 * <p>Each net ({@code plain20}, {@code resnet20}, {@code plain56}, …: {@code cifar-plain{d}} and {@code
 * cifar-resnet{d}}, or their {@code -v2}) trains with a {@link Trainer} into its own folder under {@code out}, with
 * the trainer's checkpoints, metrics and plots, and with a {@link NetRecorder} that adds the training error over
 * windows of steps and the per-layer gradient norms. A rerun skips the nets that finished ({@value #NET_RESULT}
 * in their folder) and resumes the others from their last checkpoint. At the end it writes, into {@code out}:
 * {@value #CURVES_PNG}, {@value #GRADIENTS_PNG}, {@value #RESULTS_JSON} and {@value #REPORT_MD}.
 *
 * <p>The residual nets are this library's: post-activation (v1) units with an identity shortcut, and a projection
 * (1x1 convolution and batch norm, the paper's option B) where the shape changes; the paper's CIFAR nets used option
 * A (zero-padded identity). The plain nets are the same networks without any shortcut ({@link
 * Architecture.Shortcuts#NONE}).
 */
public final class DegradationExperiment {
    public static final String CURVES_PNG = "training-error.png";
    public static final String GRADIENTS_PNG = "gradient-norms.png";
    public static final String RESULTS_JSON = "results.json";
    public static final String REPORT_MD = "REPORT.md";
    static final String NET_RESULT = "net.json";
    static final String BUDGET_JSON = "budget.json";
    /** Epochs of every net by default: about 26 minutes for depths 20 and 56 on Fashion-MNIST on 2 cores. */
    public static final int DEFAULT_EPOCHS = 5;
    /** The final training error is over the windows of the last this fraction of a net's steps. */
    static final double FINAL_TRAIN_FRACTION = 0.1;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How the experiment runs.
     *
     * @param depths network depths, {@code 6n + 2} each, at least one
     * @param version v1 (post-activation, the paper's) or v2 (pre-activation)
     * @param minutes total training budget in minutes (0: none, {@code recipe.epochs()} epochs each); shared out in
     *     proportion to the measured time of a training step of each net, so that every net sees about as many
     *     images
     * @param recipe the training recipe of every net; its epochs are the bound (or, without a budget, the count)
     * @param window training steps per point of the training-error curve
     */
    public record Settings(List<Integer> depths, Architecture.Version version, double minutes, TrainOptions recipe,
            int window) {
        public Settings {
            depths = List.copyOf(depths);
            if (depths.isEmpty()) {
                throw new ResNet4jException("the degradation experiment needs at least one depth");
            }
            for (int d : depths) {
                if (d < 8 || (d - 2) % 6 != 0) {
                    throw new ResNet4jException("depths must be 6n+2 (8, 14, 20, 32, 44, 56, 110, …), got " + d);
                }
            }
            if (depths.stream().distinct().count() != depths.size()) {
                throw new ResNet4jException("depths must differ, got " + depths);
            }
            depths = depths.stream().sorted().toList();
            if (!(minutes >= 0 && minutes < 1e6) || window < 1) {
                throw new ResNet4jException("the budget must be at least 0 minutes and the window at least 1 step");
            }
        }

        /**
         * Defaults: depths 20 and 56, v1, 5 epochs each (no time budget: every net sees the same images in the same
         * schedule; about 26 minutes on a 2-core machine), bf16, the trainer's recipe, 20-step windows.
         */
        public static Settings defaults() {
            return new Settings(List.of(20, 56), Architecture.Version.V1, 0, TrainOptions.defaults().toBuilder()
                    .precision(Precision.BF16).epochs(DEFAULT_EPOCHS).build(), 20);
        }
    }

    /**
     * A window of training steps: in epoch {@code epoch} (1-based), ending after {@code step} steps of the run;
     * {@code errors} of {@code images} training images misclassified (before each step's update), mean loss
     * {@code loss}.
     */
    public record Window(int epoch, long step, long images, long errors, double loss) {
        /** The training error of the window, a fraction. */
        public double error() {
            return (double) errors / images;
        }
    }

    /**
     * The gradient norms of a net's layers ({@link LayerGradients#layers}) at initialisation (the first step) and
     * after the first epoch (the first step of epoch 2); null where the run did not get there.
     */
    public record LayerNorms(List<String> layers, double[] atInit, double[] afterEpoch1) {}

    /**
     * One net's outcome.
     *
     * @param name {@code plain20}, {@code resnet56}, …
     * @param trainError training error over the last {@link #FINAL_TRAIN_FRACTION} of its steps (augmented images,
     *     counted before each step's update, as the curves)
     * @param trainErrorImages the training images that {@code trainError} counts
     * @param testError test error after the last epoch
     * @param norms the per-layer gradient norms at initialisation and after the first epoch
     */
    public record Net(String name, String arch, int depth, boolean plain, long params, double budgetMinutes,
            int epochs, long steps, long images, double trainError, long trainErrorImages, double testError,
            double seconds,
            List<Window> windows, List<MetricsRow> metrics, LayerNorms norms) {}

    /** The outcome: every net, and whether the deeper plain net trained worse and the deeper residual one did not. */
    public record Result(List<Net> nets, Boolean plainDegrades, Boolean residualDegrades, Path out) {}

    private final DataSplits data;
    private final String dataName;
    private final Settings settings;
    private final Path out;
    private final PrintStream log;

    /**
     * @param data the data (classes and channels set the nets' head and stem)
     * @param dataName how the data is named in the report
     * @param out the experiment folder (created)
     * @param log where the log and progress lines go
     */
    public DegradationExperiment(DataSplits data, String dataName, Settings settings, Path out, PrintStream log) {
        this.data = data;
        this.dataName = dataName;
        this.settings = settings;
        this.out = out;
        this.log = log;
    }

    /** The net of depth {@code depth}, plain or residual, for this data. */
    Architecture architecture(int depth, boolean plain) {
        String v = settings.version() == Architecture.Version.V2 ? "-v2" : "";
        return Architecture.preset("cifar-" + (plain ? "plain" : "resnet") + depth + v)
                .withClasses(data.classes().size()).withInChannels(data.train().channels());
    }

    static String netName(int depth, boolean plain) {
        return (plain ? "plain" : "resnet") + depth;
    }

    /** Trains every net that has not finished, then writes the plots, the results and the report. */
    public Result run() {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new ResNet4jException("cannot create " + out + ": " + AtomicFiles.describe(e), e);
        }
        List<Architecture> archs = new ArrayList<>();
        for (int d : settings.depths()) {
            for (boolean plain : new boolean[] {true, false}) {
                archs.add(architecture(d, plain));
            }
        }
        List<Double> shares = settings.minutes() > 0 ? budgetShares(archs) : null;
        List<Net> nets = new ArrayList<>();
        for (int i = 0; i < archs.size(); i++) {
            Architecture a = archs.get(i);
            double share = shares == null ? 0 : shares.get(i);
            String name = netName(a.depth(), a.plain());
            log.printf("resnet4j: [%s] %s, net %d of %d%s%n", name, a.name(), i + 1, archs.size(),
                    shares != null ? String.format(Locale.ROOT, ", %.2f of the %.3g minutes", share,
                            settings.minutes()) : String.format(Locale.ROOT, ", %d epochs",
                            settings.recipe().epochs()));
            nets.add(train(a, name, share));
        }
        Result result = summarise(nets);
        write(result);
        return result;
    }

    /**
     * Each net's minutes: the budget shared in proportion to the time a training step of each takes on this machine
     * (measured on random data, a few steps each), so that every net sees about as many images. Kept in {@value
     * #BUDGET_JSON}, so that a resumed experiment gives every net the budget it started with.
     */
    private List<Double> budgetShares(List<Architecture> archs) {
        Path file = out.resolve(BUDGET_JSON);
        List<String> names = archs.stream().map(a -> netName(a.depth(), a.plain())).toList();
        if (Files.isRegularFile(file)) {
            try {
                var o = JSON.readTree(Files.readString(file));
                if (o.path("minutes").asDouble() == settings.minutes()) {
                    List<Double> shares = new ArrayList<>();
                    for (String n : names) {
                        if (!o.path("shares").has(n)) {
                            break;
                        }
                        shares.add(o.path("shares").path(n).asDouble());
                    }
                    if (shares.size() == names.size()) {
                        return shares;
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.printf("resnet4j: ignoring %s (%s); measuring again%n", file, e.getMessage());
            }
        }
        log.printf("resnet4j: timing a few training steps of each net to share the %.3g minutes out%n",
                settings.minutes());
        int size = data.train().nativeSize().orElse(32);
        List<Runnable> steps = new ArrayList<>();
        for (Architecture a : archs) {
            steps.add(trainingStep(a, size));
        }
        // Two untimed steps each, then rounds over all nets (a drifting machine slows them alike); the median.
        int rounds = 5;
        double[][] times = new double[archs.size()][rounds];
        for (int k = -2; k < rounds; k++) {
            for (int i = 0; i < archs.size(); i++) {
                long t0 = System.nanoTime();
                steps.get(i).run();
                if (k >= 0) {
                    times[i][k] = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        double[] seconds = new double[archs.size()];
        double total = 0;
        for (int i = 0; i < archs.size(); i++) {
            Arrays.sort(times[i]);
            seconds[i] = times[i][rounds / 2];
            total += seconds[i];
        }
        List<Double> shares = new ArrayList<>();
        ObjectNode o = JSON.createObjectNode();
        o.put("minutes", settings.minutes());
        ObjectNode sh = o.putObject("shares");
        ObjectNode st = o.putObject("seconds_per_step");
        for (int i = 0; i < archs.size(); i++) {
            shares.add(settings.minutes() * seconds[i] / total);
            sh.put(names.get(i), shares.get(i));
            st.put(names.get(i), seconds[i]);
        }
        AtomicFiles.writeString(file, o.toPrettyString() + "\n");
        return shares;
    }

    /** One training step of a fresh {@code arch} on a random batch, as the recipe trains it. */
    private Runnable trainingStep(Architecture arch, int size) {
        TrainOptions r = settings.recipe();
        ResNet model = ResNet.build(arch.withDataFormat(r.dataFormat()), r.bnMomentum());
        TrainingStep step = TrainingStep.builder(model, new Sgd(model, r.momentum(), r.nesterov(), r.weightDecay(),
                r.decayNormsAndBiases())).precision(r.precision()).build();
        int b = r.batchSize();
        long[] shape = {b, arch.inChannels(), size, size};
        float[] x = new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])];
        Random random = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            labels[i] = i % arch.numClasses();
        }
        return () -> {
            try (Scope s = Scope.open()) {
                step.forwardBackward(x, shape, labels, 0);
                step.update(1e-3);
            }
        };
    }

    private Net train(Architecture arch, String name, double minutes) {
        Path dir = out.resolve(name);
        if (Files.isRegularFile(dir.resolve(NET_RESULT))) {
            log.printf("resnet4j: [%s] already trained (%s); skipping%n", name, dir.resolve(NET_RESULT));
            return read(arch, name, dir);
        }
        TrainOptions options = settings.recipe().toBuilder().budgetMinutes(minutes).build();
        NetRecorder recorder = new NetRecorder(name, new RunFolderOutput(dir, log), dir, settings.window());
        Trainer.Result r = new Trainer(data, arch, options, dir, log).output(recorder).gradientHook(recorder)
                .resume(true).run();
        ObjectNode o = JSON.createObjectNode();
        o.put("arch", arch.name());
        o.put("budget_minutes", minutes);
        o.put("epochs", r.epochs());
        o.put("seconds", r.seconds());
        AtomicFiles.writeString(dir.resolve(NET_RESULT), o.toPrettyString() + "\n");
        return read(arch, name, dir);
    }

    /** A finished net, from the files in its folder. */
    private Net read(Architecture arch, String name, Path dir) {
        List<MetricsRow> metrics = MetricsLog.read(dir.resolve(MetricsLog.FILE_NAME));
        List<Window> windows = NetRecorder.readWindows(dir);
        if (metrics.isEmpty() || windows.isEmpty()) {
            throw new ResNet4jException(dir + " has no metrics; delete " + dir.resolve(NET_RESULT) + " to retrain");
        }
        double budget;
        double seconds;
        try {
            var o = JSON.readTree(Files.readString(dir.resolve(NET_RESULT)));
            budget = o.path("budget_minutes").asDouble();
            seconds = o.path("seconds").asDouble();
        } catch (IOException e) {
            throw new ResNet4jException("cannot read " + dir.resolve(NET_RESULT) + ": " + e.getMessage(), e);
        }
        MetricsRow last = metrics.get(metrics.size() - 1);
        long images = windows.stream().mapToLong(Window::images).sum();
        return new Net(name, arch.name(), arch.depth(), arch.plain(),
                ModelSummary.of(arch, 8, 8).params(), budget, last.epoch(), last.step(), images,
                finalTrainError(windows), finalTrainCounts(windows)[1], 1 - last.valTop1(), seconds, windows, metrics,
                NetRecorder.readNorms(dir));
    }

    /** The training error over the windows that cover the last {@link #FINAL_TRAIN_FRACTION} of the steps. */
    static double finalTrainError(List<Window> windows) {
        long[] c = finalTrainCounts(windows);
        return (double) c[0] / c[1];
    }

    /** Errors and images of the windows that cover the last {@link #FINAL_TRAIN_FRACTION} of the steps. */
    static long[] finalTrainCounts(List<Window> windows) {
        long lastStep = windows.get(windows.size() - 1).step();
        long from = lastStep - Math.max(1, Math.round(FINAL_TRAIN_FRACTION * lastStep));
        long images = 0;
        long errors = 0;
        for (int k = windows.size() - 1; k >= 0; k--) {
            Window w = windows.get(k);
            images += w.images();
            errors += w.errors();
            long start = k == 0 ? 0 : windows.get(k - 1).step();
            if (start <= from) {
                break;
            }
        }
        return new long[] {errors, images};
    }

    /**
     * Twice the standard error of the difference of two nets' final training errors (each a proportion of its
     * {@link #finalTrainCounts} images): a difference within it is sampling noise, not a depth effect.
     */
    static double noise(Net a, Net b) {
        return 2 * Math.sqrt(a.trainError() * (1 - a.trainError()) / a.trainErrorImages()
                + b.trainError() * (1 - b.trainError()) / b.trainErrorImages());
    }

    /**
     * Whether, of the shallowest and the deepest net of a kind, the deeper one ended with a higher training error, by
     * more than twice the sampling error of the difference ({@link #noise}); null with a single depth.
     */
    private static Boolean deeperWorse(List<Net> nets, boolean plain) {
        List<Net> kind = nets.stream().filter(n -> n.plain() == plain).toList();
        if (kind.size() < 2) {
            return null;
        }
        Net shallow = kind.get(0);
        Net deep = kind.get(kind.size() - 1);
        return deep.trainError() - shallow.trainError() > noise(shallow, deep);
    }

    private Result summarise(List<Net> nets) {
        return new Result(List.copyOf(nets), deeperWorse(nets, true), deeperWorse(nets, false), out);
    }

    private void write(Result r) {
        DegradationPlots.trainingError(r.nets(), out.resolve(CURVES_PNG));
        int deepest = settings.depths().get(settings.depths().size() - 1);
        DegradationPlots.gradientNorms(r.nets().stream().filter(n -> n.depth() == deepest).toList(),
                out.resolve(GRADIENTS_PNG));
        AtomicFiles.writeString(out.resolve(RESULTS_JSON), resultsJson(r).toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve(REPORT_MD), report(r));
        log.printf("resnet4j: wrote %s, %s, %s and %s in %s%n", CURVES_PNG, GRADIENTS_PNG, RESULTS_JSON, REPORT_MD,
                out);
    }

    /** What {@code results.json} holds for {@code r}: the settings, every net, the verdicts. */
    public ObjectNode resultsJson(Result r) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode s = root.putObject("settings");
        s.put("data", dataName);
        ArrayNode depths = s.putArray("depths");
        settings.depths().forEach(depths::add);
        s.put("version", settings.version().name().toLowerCase(Locale.ROOT));
        s.put("minutes", settings.minutes());
        s.put("max_epochs", settings.recipe().epochs());
        s.put("precision", settings.recipe().precision().name().toLowerCase(Locale.ROOT));
        s.put("batch_size", settings.recipe().batchSize());
        s.put("lr", settings.recipe().lr());
        s.put("warmup_epochs", settings.recipe().warmupEpochs());
        s.put("schedule", settings.recipe().decay());
        s.put("weight_decay", settings.recipe().weightDecay());
        s.put("augment", settings.recipe().augment());
        s.put("seed", settings.recipe().seed());
        s.put("limit", settings.recipe().limit());
        s.put("window_steps", settings.window());
        s.put("residual_shortcuts", residualShortcuts());
        ArrayNode nets = root.putArray("nets");
        for (Net n : r.nets()) {
            ObjectNode o = nets.addObject();
            o.put("name", n.name());
            o.put("arch", n.arch());
            o.put("depth", n.depth());
            o.put("plain", n.plain());
            o.put("params", n.params());
            o.put("budget_minutes", n.budgetMinutes());
            o.put("epochs", n.epochs());
            o.put("steps", n.steps());
            o.put("images", n.images());
            o.put("train_error", n.trainError());
            o.put("train_error_images", n.trainErrorImages());
            o.put("test_error", n.testError());
            o.put("seconds", n.seconds());
        }
        if (r.plainDegrades() != null) {
            root.put("plain_deeper_trained_worse", r.plainDegrades());
            root.put("residual_deeper_trained_worse", r.residualDegrades());
        } else {
            root.putNull("plain_deeper_trained_worse");
            root.putNull("residual_deeper_trained_worse");
        }
        return root;
    }

    private String residualShortcuts() {
        return settings.version() == Architecture.Version.V1
                ? "identity; a projection (1x1 convolution + batch norm, option B) where the shape changes"
                : "identity; a projection of the pre-activated input in the first unit of every stage";
    }

    private String report(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append("# The degradation experiment\n\n");
        sb.append(String.format(Locale.ROOT, "Data `%s`; depths %s (%s); %s; %s, batch %d, lr %s, %s; the "
                + "residual nets' shortcuts: %s.%n%n", dataName, settings.depths(),
                settings.version().name().toLowerCase(Locale.ROOT),
                settings.minutes() > 0 ? String.format(Locale.ROOT, "a %.3g-minute training budget shared in "
                        + "proportion to each net's measured time per training step", settings.minutes())
                        : settings.recipe().epochs() + " epochs each",
                settings.recipe().precision().name().toLowerCase(Locale.ROOT), settings.recipe().batchSize(),
                settings.recipe().lr(), settings.recipe().decay(), residualShortcuts()));
        sb.append("| net | params | epochs | iterations | train error | test error | minutes |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Net n : r.nets()) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %d | %d | %.2f%% | %.2f%% | %.1f |%n", n.name(),
                    n.params(), n.epochs(), n.steps(), 100 * n.trainError(), 100 * n.testError(),
                    n.seconds() / 60));
        }
        sb.append(String.format(Locale.ROOT, "%nTraining error: over the last %.0f%% of each net's iterations, "
                + "on the augmented training images, before each step's update (the thin curves of `%s`). Test "
                + "error: after the last epoch (the bold curves). A deeper net \"trained worse\" when its training "
                + "error is higher by more than twice the sampling error of the difference.%n%n",
                100 * FINAL_TRAIN_FRACTION, CURVES_PNG));
        if (r.plainDegrades() == null) {
            sb.append("One depth only: nothing to compare.\n");
        } else {
            List<Net> plain = r.nets().stream().filter(Net::plain).toList();
            List<Net> res = r.nets().stream().filter(n -> !n.plain()).toList();
            sb.append(verdict("plain", plain, r.plainDegrades()));
            sb.append(verdict("residual", res, r.residualDegrades()));
            sb.append('\n');
            double plainGap = plain.get(plain.size() - 1).trainError() - plain.get(0).trainError();
            double resGap = res.get(res.size() - 1).trainError() - res.get(0).trainError();
            sb.append(String.format(Locale.ROOT, "- going deeper cost the plain nets %+.2f points of training error "
                    + "and the residual nets %+.2f.%n", 100 * plainGap, 100 * resGap));
            boolean shown = r.plainDegrades() && !r.residualDegrades();
            sb.append(shown ? "**Degradation shown:** the deeper plain net trained worse than the shallower one, "
                    + "and the deeper residual net did not.\n"
                    : "**Degradation not shown at this budget:** "
                    + (r.plainDegrades() ? "the deeper residual net trained worse too.\n"
                    : "the deeper plain net did not train worse than the shallower one.\n"));
        }
        sb.append(String.format(Locale.ROOT, "%n`%s`: per-layer gradient norms (first convolution to classifier) "
                + "of the deepest nets at initialisation and at the first step of epoch 2.%n", GRADIENTS_PNG));
        return sb.toString();
    }

    private static String verdict(String kind, List<Net> nets, boolean worse) {
        Net a = nets.get(0);
        Net b = nets.get(nets.size() - 1);
        return String.format(Locale.ROOT, "- %s: %s %.2f%% vs %s %.2f%% training error (%+.2f points; sampling "
                + "noise ±%.2f): the deeper one trained %s.%n", kind, a.name(), 100 * a.trainError(), b.name(),
                100 * b.trainError(), 100 * (b.trainError() - a.trainError()), 100 * noise(a, b),
                worse ? "worse" : "no worse");
    }
}
