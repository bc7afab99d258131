package io.resnet4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.GradientHook;
import io.resnet4j.train.MetricsLog;
import io.resnet4j.train.MetricsLog.MetricsRow;
import io.resnet4j.train.Progress;
import io.resnet4j.train.RunOutput;
import io.resnet4j.train.Sgd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the degradation experiment records of one net beyond the trainer's own files, through the trainer's seams:
 * as a {@link RunOutput} around the run folder's, the training error over windows of {@code window} steps
 * ({@value #ITERATIONS}, rewritten atomically at every epoch end, before the checkpoint) and a {@code [net]} prefix
 * on every log and progress line; as a {@link GradientHook}, the per-layer gradient norms ({@link LayerGradients})
 * of the first step (at initialisation) and of the first step of epoch 2 ({@value #GRADIENTS}).
 *
 * <p>Resuming: the windows after the step a resumed run starts from are dropped when it takes that step, so a rerun
 * epoch is not counted twice; the step that starts epoch 2 is read back from {@code metrics.csv}.
 */
final class NetRecorder implements RunOutput, GradientHook {
    static final String ITERATIONS = "iterations.csv";
    static final String GRADIENTS = "gradient-norms.json";
    static final String HEADER = "epoch,step,images,errors,loss";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String net;
    private final RunOutput inner;
    private final Path dir;
    private final int window;
    private final List<DegradationExperiment.Window> rows = new ArrayList<>();
    private boolean steppedYet;
    private int wEpoch;
    private long wStep;
    private long wImages;
    private long wErrors;
    private double wLoss;
    private int wSteps;
    private long epoch2Step = -1;
    private List<String> layers;
    private double[] atInit;
    private double[] afterEpoch1;

    /**
     * @param net the net's name, the prefix of its lines
     * @param inner the run folder's output
     * @param dir the run folder
     * @param window steps per training-error point
     */
    NetRecorder(String net, RunOutput inner, Path dir, int window) {
        this.net = net;
        this.inner = inner;
        this.dir = dir;
        this.window = window;
    }

    @Override
    public void open() {
        inner.open();
        rows.clear();
        rows.addAll(readWindows(dir));
        for (MetricsRow r : MetricsLog.read(dir.resolve(MetricsLog.FILE_NAME))) {
            if (r.epoch() == 1) {
                epoch2Step = r.step();
            }
        }
        DegradationExperiment.LayerNorms n = readNorms(dir);
        if (n != null) {
            layers = n.layers();
            atInit = n.atInit();
            afterEpoch1 = n.afterEpoch1();
        }
    }

    @Override
    public void log(String line) {
        // The trainer's advice on an interrupted run names its own flag; here the same command resumes.
        line = line.replace("(continue with --resume)", "(run the same command again to resume)");
        inner.log(line.startsWith("\n") ? "\n[" + net + "] " + line.substring(1) : "[" + net + "] " + line);
    }

    @Override
    public Progress progress(String task, long total) {
        return inner.progress("[" + net + "] " + task, total);
    }

    @Override
    public void retainMetricsUpTo(int epoch) {
        inner.retainMetricsUpTo(epoch);
    }

    @Override
    public void recordStep(int epoch, long step, int images, long correct, double loss) {
        if (!steppedYet) {
            // Windows after this step are of a run that was interrupted after its last checkpoint: redone now.
            steppedYet = true;
            rows.removeIf(w -> w.step() > step);
        }
        if (wSteps > 0 && epoch != wEpoch) {
            flush();
        }
        wEpoch = epoch;
        wStep = step + 1;
        wImages += images;
        wErrors += images - correct;
        wLoss += loss * images;
        wSteps++;
        if (wSteps >= window) {
            flush();
        }
    }

    @Override
    public void recordEpoch(MetricsRow row) {
        flush();
        inner.recordEpoch(row);
        if (row.epoch() == 1) {
            epoch2Step = row.step();
        }
        writeWindows();
    }

    @Override
    public void checkpoint(ResNet model, Sgd sgd, int epoch, long step, double seconds, ModelConfig config,
            String options) {
        inner.checkpoint(model, sgd, epoch, step, seconds, config, options);
    }

    @Override
    public void saveModel(ResNet model, ModelConfig config) {
        inner.saveModel(model, config);
    }

    @Override
    public void onGradients(ResNet model, long step) {
        if (step != 0 && step != epoch2Step) {
            return;
        }
        double[] norms = LayerGradients.norms(model);
        layers = LayerGradients.layers(model.layout());
        if (step == 0) {
            atInit = norms;
        } else {
            afterEpoch1 = norms;
        }
        writeNorms();
    }

    /** The windows recorded so far (those of the current, unfinished window excepted). */
    List<DegradationExperiment.Window> windows() {
        return List.copyOf(rows);
    }

    private void flush() {
        if (wSteps == 0) {
            return;
        }
        rows.add(new DegradationExperiment.Window(wEpoch, wStep, wImages, wErrors, wLoss / wImages));
        wImages = 0;
        wErrors = 0;
        wLoss = 0;
        wSteps = 0;
    }

    private void writeWindows() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (DegradationExperiment.Window w : rows) {
            sb.append(w.epoch()).append(',').append(w.step()).append(',').append(w.images()).append(',')
                    .append(w.errors()).append(',').append(w.loss()).append('\n');
        }
        AtomicFiles.writeString(dir.resolve(ITERATIONS), sb.toString());
    }

    private void writeNorms() {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode l = o.putArray("layers");
        layers.forEach(l::add);
        putArray(o, "at_init", atInit);
        putArray(o, "after_epoch_1", afterEpoch1);
        try {
            AtomicFiles.writeString(dir.resolve(GRADIENTS), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(o) + "\n");
        } catch (IOException e) {
            throw new ResNet4jException("cannot write " + GRADIENTS + ": " + e.getMessage(), e);
        }
    }

    private static void putArray(ObjectNode o, String name, double[] values) {
        if (values == null) {
            o.putNull(name);
            return;
        }
        ArrayNode a = o.putArray(name);
        for (double v : values) {
            a.add(v);
        }
    }

    /** The windows in {@code dir}'s iterations file; none when there is none. */
    static List<DegradationExperiment.Window> readWindows(Path dir) {
        Path f = dir.resolve(ITERATIONS);
        List<DegradationExperiment.Window> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) {
            return out;
        }
        try {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (String line : lines.subList(1, lines.size())) {
                String[] c = line.split(",");
                if (c.length != 5) {
                    continue;
                }
                out.add(new DegradationExperiment.Window(Integer.parseInt(c[0]), Long.parseLong(c[1]),
                        Long.parseLong(c[2]), Long.parseLong(c[3]), Double.parseDouble(c[4])));
            }
        } catch (IOException | RuntimeException e) {
            throw new ResNet4jException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The norms in {@code dir}'s gradient-norms file, or null when there is none. */
    static DegradationExperiment.LayerNorms readNorms(Path dir) {
        Path f = dir.resolve(GRADIENTS);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            JsonNode o = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
            List<String> names = new ArrayList<>();
            o.get("layers").forEach(n -> names.add(n.asText()));
            return new DegradationExperiment.LayerNorms(names, doubles(o.get("at_init")),
                    doubles(o.get("after_epoch_1")));
        } catch (IOException | RuntimeException e) {
            throw new ResNet4jException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static double[] doubles(JsonNode a) {
        if (a == null || a.isNull()) {
            return null;
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
