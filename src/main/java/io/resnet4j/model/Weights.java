package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import io.resnet4j.io.TensorEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * A model's weights in safetensors (the model directory's weights file), by resnet4j's tensor names: conv weights OIHW, fc weight [classes, features].
 *
 * <p>Loading checks the whole file against the model first and reports every missing, unexpected and
 * mis-shaped tensor in one error; nothing is copied unless everything fits. A BN {@code num_batches_tracked}
 * (torchvision and timm write one) is accepted and ignored.
 */
public final class Weights {
    private Weights() {}

    /** Loads every parameter and running statistic of {@code model} from {@code file}. */
    public static void load(ResNet model, Path file) {
        load(model, file, name -> true);
    }

    /**
     * Loads the tensors of {@code model} that {@code include} accepts from {@code file}, whose tensors of those
     * names must fit (the others are neither read nor checked): fine-tuning leaves out the classifier.
     */
    public static void load(ResNet model, Path file, java.util.function.Predicate<String> include) {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            Map<String, Tensor> target = new LinkedHashMap<>(model.namedTensors());
            target.keySet().removeIf(include.negate());
            Map<String, TensorEntry> source = new LinkedHashMap<>();
            for (TensorEntry e : f.entries()) {
                if (!e.name().endsWith(".num_batches_tracked") && include.test(e.name())) {
                    source.put(e.name(), e);
                }
            }
            checkCompatible(file, target, source);
            try (NoGrad ignored = NoGrad.begin()) {
                for (Map.Entry<String, Tensor> t : target.entrySet()) {
                    try (Scope scope = Scope.open()) {
                        TensorData d = f.read(t.getKey());
                        t.getValue().copy_(Tensors.fromFloats(d.toFloatArray(), d.shape()));
                    }
                }
            }
        }
    }

    /**
     * Checks that the tensors {@code source} of {@code file} fit {@code target} (by name: none missing, none
     * unexpected, each of the same shape and a float type), reporting every misfit in one error. Also used by
     * training checkpoints, whose model tensors are these under a prefix.
     *
     * @throws ResNet4jException naming the file and every missing, unexpected and mis-shaped tensor
     */
    public static void checkCompatible(Path file, Map<String, Tensor> target, Map<String, TensorEntry> source) {
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, Tensor> t : target.entrySet()) {
            TensorEntry e = source.get(t.getKey());
            long[] want = Tensors.shape(t.getValue());
            if (e == null) {
                missing.add(t.getKey() + " " + Arrays.toString(want));
            } else if (!Arrays.equals(e.shape(), want)) {
                misShaped.add(t.getKey() + " is " + Arrays.toString(e.shape()) + ", model needs " + Arrays.toString(want));
            } else if (!e.dtype().isFloatingPoint()) {
                misShaped.add(t.getKey() + " has dtype " + e.dtype() + ", model needs a float type");
            }
        }
        for (String name : source.keySet()) {
            if (!target.containsKey(name)) {
                unexpected.add(name);
            }
        }
        refuseMisfits(file.getFileName() + " does not fit the model", missing, unexpected, misShaped);
    }

    /**
     * Throws one error, {@code "SUBJECT: N missing: …; N unexpected: …; N mis-shaped: …"}, unless all three lists
     * are empty: how every weights reader reports a file that does not fit.
     */
    public static void refuseMisfits(String subject, List<String> missing, List<String> unexpected,
            List<String> misShaped) {
        if (missing.isEmpty() && misShaped.isEmpty() && unexpected.isEmpty()) {
            return;
        }
        StringBuilder msg = new StringBuilder(subject + ":");
        append(msg, "missing", missing);
        append(msg, "unexpected", unexpected);
        append(msg, "mis-shaped", misShaped);
        msg.setLength(msg.length() - 1); // the last ';'
        throw new ResNet4jException(msg.toString());
    }


    private static void append(StringBuilder msg, String what, List<String> items) {
        if (!items.isEmpty()) {
            msg.append(' ').append(items.size()).append(' ').append(what).append(": ").append(String.join(", ", items))
                    .append(';');
        }
    }

    /** The model's state dict as float32 host tensors, in torchvision order. */
    public static Map<String, TensorData> stateDict(ResNet model) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> t : model.namedTensors().entrySet()) {
            out.put(t.getKey(), TensorData.ofFloats(Tensors.shape(t.getValue()), Tensors.toFloats(t.getValue())));
        }
        return out;
    }

    /** Writes the model's weights to {@code file} atomically (the old file survives any failure). */
    public static void save(ResNet model, Path file, Map<String, String> metadata) {
        SafeTensorsWriter.write(file, stateDict(model), metadata);
    }
}
