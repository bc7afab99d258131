package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import io.resnet4j.io.TensorEntry;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.model.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;

/**
 * A training checkpoint: everything a run needs to continue exactly where it stopped, in one safetensors file
 * {@code checkpoints/epoch-NNNN.safetensors}: the model's tensors ({@code model.<name>}), the SGD momentum
 * buffers ({@code momentum.<name>}), and in the metadata the completed epoch, the global step, the seconds the run
 * has taken (for a time budget), the model config and the training options. Data order and augmentation are
 * functions of (seed, epoch), so nothing else is needed. Each file is written atomically; the two newest are kept,
 * and once epoch N is written, checkpoints of later epochs (an earlier run's in the same folder, or unusable ones that
 * a resume skipped) are removed.
 */
public record Checkpoint(Path file, int epoch, long step, double seconds, ModelConfig config, String options) {
    static final String DIR = "checkpoints";
    private static final String MODEL = "model.";
    private static final String MOMENTUM = "momentum.";
    private static final int KEEP = 2;

    /** Writes a checkpoint after {@code epoch} completed epochs and prunes older ones. */
    static Checkpoint write(Path runDir, ResNet model, Sgd sgd, int epoch, long step, double seconds,
            ModelConfig config, String options) {
        Path dir = runDir.resolve(DIR);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ResNet4jException("cannot create " + dir + ": " + AtomicFiles.describe(e), e);
        }
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Weights.stateDict(model).forEach((k, v) -> tensors.put(MODEL + k, v));
        Map<String, Tensor> params = model.namedParameters();
        sgd.state().forEach((k, v) -> tensors.put(MOMENTUM + k,
                TensorData.ofFloats(Tensors.shape(params.get(k)), v)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "resnet4j-checkpoint");
        meta.put("epoch", Integer.toString(epoch));
        meta.put("step", Long.toString(step));
        meta.put("seconds", Double.toString(seconds));
        meta.put("config", ModelDirectory.toJson(config));
        meta.put("options", options);
        Path file = dir.resolve(String.format("epoch-%04d.safetensors", epoch));
        SafeTensorsWriter.write(file, tensors, meta);
        prune(dir, epoch);
        return new Checkpoint(file, epoch, step, seconds, config, options);
    }

    /** The newest checkpoint in {@code runDir} that opens and validates; older ones are tried when it does not. */
    static Optional<Checkpoint> latest(Path runDir, List<String> problems) {
        for (Path f : list(runDir.resolve(DIR))) {
            try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
                Map<String, String> m = st.metadata();
                if (!"resnet4j-checkpoint".equals(m.get("format"))) {
                    throw new ResNet4jException(f.getFileName() + " is not a resnet4j checkpoint");
                }
                return Optional.of(new Checkpoint(f, Integer.parseInt(m.get("epoch")), Long.parseLong(m.get("step")),
                        Double.parseDouble(m.getOrDefault("seconds", "0")), ModelDirectory.fromJson(m.get("config")),
                        m.getOrDefault("options", "")));
            } catch (ResNet4jException | NumberFormatException | NullPointerException e) {
                problems.add(e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Loads the model tensors and momentum buffers of this checkpoint, after checking that the model tensors fit
     * {@code model} exactly as a model directory's weights must ({@link Weights#checkCompatible}).
     */
    void restore(ResNet model, Sgd sgd) {
        try (SafeTensorsFile st = SafeTensorsFile.open(file)) {
            Map<String, Tensor> target = model.namedTensors();
            Map<String, TensorEntry> saved = new LinkedHashMap<>();
            for (TensorEntry e : st.entries()) {
                if (e.name().startsWith(MODEL)) {
                    saved.put(e.name().substring(MODEL.length()), e);
                }
            }
            Weights.checkCompatible(file, target, saved);
            try (NoGrad ng = NoGrad.begin()) {
                for (Map.Entry<String, Tensor> t : target.entrySet()) {
                    try (Scope s = Scope.open()) {
                        TensorData d = st.read(MODEL + t.getKey());
                        t.getValue().copy_(Tensors.fromFloats(d.toFloatArray(), d.shape()));
                    }
                }
            }
            Map<String, float[]> momentum = new LinkedHashMap<>();
            for (TensorEntry e : st.entries()) {
                if (e.name().startsWith(MOMENTUM)) {
                    momentum.put(e.name().substring(MOMENTUM.length()), st.readFloats(e.name()));
                }
            }
            sgd.restore(momentum);
        }
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = new ArrayList<>(s.filter(p -> p.getFileName().toString().matches("epoch-\\d+\\.safetensors"))
                    .sorted(Comparator.comparingInt(Checkpoint::epochOf).reversed()).toList());
            return files;
        } catch (IOException e) {
            throw new ResNet4jException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes the checkpoints of epochs after {@code epoch}: once a run has written {@code epoch}, later ones are
     * of an earlier run in this folder, or unusable ones that a resume skipped. They would shadow the new ones.
     *
     * @return how many were deleted
     */
    static int removeAfter(Path runDir, int epoch) {
        int removed = 0;
        for (Path f : list(runDir.resolve(DIR))) {
            if (epochOf(f) > epoch) {
                try {
                    Files.deleteIfExists(f);
                    removed++;
                } catch (IOException e) {
                    throw new ResNet4jException("cannot delete the stale checkpoint " + f + ": "
                            + AtomicFiles.describe(e), e);
                }
            }
        }
        return removed;
    }

    private static int epochOf(Path f) {
        String n = f.getFileName().toString();
        try {
            return Integer.parseInt(n.substring("epoch-".length(), n.length() - ".safetensors".length()));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE; // more digits than an int: not one of ours, and never the one to keep
        }
    }

    /** Keeps the {@value #KEEP} newest checkpoints up to {@code epoch} (later ones are {@link #removeAfter}'s). */
    private static void prune(Path dir, int epoch) {
        List<Path> files = list(dir).stream().filter(f -> epochOf(f) <= epoch).toList();
        for (int i = KEEP; i < files.size(); i++) {
            try {
                Files.deleteIfExists(files.get(i));
            } catch (IOException ignored) {
                // an old checkpoint that cannot be deleted costs only disk space
            }
        }
    }
}
