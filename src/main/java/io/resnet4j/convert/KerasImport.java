package io.resnet4j.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.convert.KerasFile.Variable;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.Layout;
import io.resnet4j.model.Layout.ConvSpec;
import io.resnet4j.model.LayoutRule;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a Keras ResNet ({@code keras.applications} {@code ResNet50/101/152} or {@code ResNet50V2/101V2/152V2}, or a
 * model built from their stacks, fine-tuned or not) into a resnet4j model directory that gives the same numbers.
 *
 * <p>The architecture is the {@link Architecture.Variant#KERAS} variant of v1 or v2 (see {@link LayoutRule#KERAS_V1}
 * and {@link LayoutRule#KERAS_V2}). It comes from {@code --arch} when given; otherwise from the weights' names and
 * shapes (v2 if there is a {@code post_bn}; stages and blocks from {@code conv<S>_block<B>_1_conv}; widths, input
 * channels and classes from the shapes), with the strides of the {@code .keras} file's config.json, or Keras' own
 * (v1: 1, 2, 2, …; v2: 2, …, 2, 1) for a weights-only file.
 *
 * <p>Tensors: Keras' layer {@code conv<S>_block<B>_<K>_conv} is unit {@code layer<S-1>.<B-1>} (see {@link #bindings}
 * for each name). Convolution kernels are HWIO in Keras and become OIHW; the dense kernel {@code [in, out]} is
 * transposed. Every tensor the layout needs must be there with its shape, and every weight the file has must be
 * used: otherwise one error lists every missing, unexpected and mis-shaped tensor.
 *
 * <p>Preprocessing goes into config.json: v2 models take {@code x / 127.5 - 1} ({@code mode="tf"}), which is mean
 * 0.5 and std 0.5 on our [0, 1] scale, exactly; v1 models take Caffe's BGR {@code x - mean} on the 0..255 scale
 * ({@code mode="caffe"}): the importer reverses the stem kernel's input channels once, so the model takes RGB like
 * every other resnet4j model, with mean (123.68, 116.779, 103.939) / 255 and std 1 / 255.
 */
public final class KerasImport {
    /** Caffe's ImageNet mean, in RGB order, on the 0..255 scale (Keras lists it BGR: 103.939, 116.779, 123.68). */
    private static final float[] CAFFE_MEAN_RGB = {123.68f, 116.779f, 103.939f};
    private static final Pattern UNIT = Pattern.compile("conv(\\d+)_block(\\d+)_1_conv");

    /** What an import produces: the model directory's config and its tensors by resnet4j name. */
    public record Result(ModelConfig config, Map<String, TensorData> tensors, List<String> notes) {
        public Architecture architecture() {
            return config.architecture();
        }
    }

    private enum Kind { CONV, NORM, DENSE }

    /** One Keras layer and the resnet4j part it fills. */
    private record Binding(String keras, Kind kind, String ours, List<String> roles, List<int[]> shapes) {}

    private KerasImport() {}

    /** Reads {@code file}, converts it and writes the model directory {@code out}; labels may be null. */
    public static Result importFile(Path file, Architecture arch, List<String> labels, Path out) {
        Result r = convert(file, KerasFile.read(file), arch, labels);
        write(r, file, out);
        return r;
    }

    /**
     * Converts the layers of {@code file}; {@code arch} (may be null: inferred) gives the shape, the classes and
     * input channels always come from the file.
     */
    public static Result convert(Path file, KerasFile keras, Architecture arch, List<String> labels) {
        List<String> notes = new ArrayList<>();
        Map<String, List<Variable>> layers = keras.layers();
        String classifier = classifier(file, layers);
        Architecture a = arch != null ? fromFlag(arch, layers, classifier) : infer(file, keras, classifier, notes);
        Layout layout = Layout.of(a);
        Map<String, TensorData> tensors = map(file, layout, layers, classifier);
        List<String> names = labels;
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < a.numClasses(); i++) {
                names.add(Integer.toString(i));
            }
        } else if (names.size() != a.numClasses()) {
            throw new ResNet4jException(names.size() + " labels for a model with " + a.numClasses() + " classes");
        }
        ModelConfig config = new ModelConfig(a, names, 256, 224, preprocessing(a));
        return new Result(config, tensors, notes);
    }

    /** Keras' preprocessing for the version, on our [0, 1] scale and in RGB (see the class comment). */
    public static Normalization preprocessing(Architecture a) {
        int c = a.inChannels();
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int i = 0; i < c; i++) {
            if (a.version() == Architecture.Version.V2) {
                mean[i] = 0.5f;
                std[i] = 0.5f;
            } else {
                mean[i] = (c == 3 ? CAFFE_MEAN_RGB[i] : CAFFE_MEAN_RGB[1]) / 255f;
                std[i] = 1f / 255f;
            }
        }
        return new Normalization(mean, std);
    }

    /** Writes the model directory: weights first, then config.json, each atomically (as ModelDirectory does). */
    public static void write(Result r, Path file, Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new ResNet4jException("cannot create model directory " + out + ": " + e.getMessage(), e);
        }
        SafeTensorsWriter.write(out.resolve(ModelDirectory.WEIGHTS), r.tensors(), Map.of("format", "pt",
                "producer", "resnet4j import --from keras", "architecture", r.architecture().name(),
                "source", String.valueOf(file.getFileName())));
        AtomicFiles.writeString(out.resolve(ModelDirectory.CONFIG), ModelDirectory.toJson(r.config()));
    }

    /** The classifier layer: {@code predictions}, or else the one dense-shaped layer the backbone does not use. */
    private static String classifier(Path file, Map<String, List<Variable>> layers) {
        if (layers.containsKey("predictions")) {
            return "predictions";
        }
        List<String> dense = new ArrayList<>();
        for (Map.Entry<String, List<Variable>> e : layers.entrySet()) {
            List<Variable> v = e.getValue();
            if (v.size() == 2 && v.get(0).shape().length == 2 && v.get(1).shape().length == 1) {
                dense.add(e.getKey());
            }
        }
        if (dense.size() != 1) {
            throw new ResNet4jException(file + ": no classifier ('predictions' or one dense layer) among "
                    + dense.size() + " candidates " + dense + " (a model saved with include_top=False has no head "
                    + "to import)");
        }
        return dense.get(0);
    }

    private static Architecture fromFlag(Architecture arch, Map<String, List<Variable>> layers, String classifier) {
        Architecture a = arch.withVariant(Architecture.Variant.KERAS).withDataFormat(DataFormat.CHANNELS_LAST);
        List<Variable> fc = layers.get(classifier);
        a = a.withClasses(fc.get(0).shape()[1]);
        List<Variable> stem = layers.get("conv1_conv");
        if (stem != null && stem.get(0).shape().length == 4) {
            a = a.withInChannels(stem.get(0).shape()[2]);
        }
        return a;
    }

    /** The architecture from the weights' names and shapes, the strides from config.json or Keras' defaults. */
    private static Architecture infer(Path file, KerasFile keras, String classifier, List<String> notes) {
        Map<String, List<Variable>> layers = keras.layers();
        boolean v2 = layers.containsKey("post_bn");
        TreeMap<Integer, Integer> blocks = new TreeMap<>();
        for (String name : layers.keySet()) {
            Matcher m = UNIT.matcher(name);
            if (m.matches()) {
                blocks.merge(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Math::max);
            }
        }
        if (blocks.isEmpty() || blocks.firstKey() != 2 || blocks.lastKey() != blocks.size() + 1) {
            throw new ResNet4jException(file + ": no keras.applications ResNet stages (conv2_block1_1_conv, "
                    + "conv3_…) found; give --arch to say what it is");
        }
        List<Variable> stem = layers.get("conv1_conv");
        List<Variable> first = layers.get("conv2_block1_1_conv");
        if (stem == null || stem.get(0).shape().length != 4 || first.get(0).shape().length != 4) {
            throw new ResNet4jException(file + ": no 4-D conv1_conv kernel; give --arch to say what it is");
        }
        int[] stemShape = stem.get(0).shape();
        int base = first.get(0).shape()[3];
        if (stemShape[3] != base) {
            throw new ResNet4jException(file + ": the stem has " + stemShape[3] + " filters but the first stage "
                    + base + "; resnet4j's ResNets have the first stage's width in the stem");
        }
        List<Integer> sizes = new ArrayList<>(blocks.values());
        List<Integer> strides = configStrides(keras.config(), v2, blocks);
        if (strides == null) {
            strides = new ArrayList<>();
            for (int i = 0; i < sizes.size(); i++) {
                strides.add(v2 ? (i == sizes.size() - 1 ? 1 : 2) : (i == 0 ? 1 : 2));
            }
            notes.add("no config.json: assuming keras.applications' strides " + strides);
        }
        checkEpsilon(keras.config());
        int classes = layers.get(classifier).get(0).shape()[1];
        return new Architecture(v2 ? Architecture.Version.V2 : Architecture.Version.V1, Architecture.Block.BOTTLENECK,
                sizes, base, strides, Architecture.Stem.IMAGENET, classes, stemShape[2], DataFormat.CHANNELS_LAST,
                Architecture.Shortcuts.RESIDUAL, Architecture.Variant.KERAS);
    }

    /** Every layer config in a Keras model config (nested models included), by layer name. */
    private static Map<String, JsonNode> layerConfigs(JsonNode config) {
        Map<String, JsonNode> out = new HashMap<>();
        if (config != null) {
            collect(config, out, 0);
        }
        return out;
    }

    private static void collect(JsonNode n, Map<String, JsonNode> out, int depth) {
        if (depth > 64) {
            throw new ResNet4jException("config.json is nested too deeply");
        }
        if (n.isObject()) {
            JsonNode cfg = n.get("config");
            if (n.has("class_name") && cfg != null && cfg.isObject() && cfg.path("name").isTextual()) {
                out.putIfAbsent(cfg.get("name").asText(), n);
            }
            for (JsonNode c : n) {
                collect(c, out, depth + 1);
            }
        } else if (n.isArray()) {
            for (JsonNode c : n) {
                collect(c, out, depth + 1);
            }
        }
    }

    /** The stage strides config.json gives (v1: the first unit's first 1x1; v2: the last unit's 3x3), or null. */
    private static List<Integer> configStrides(JsonNode config, boolean v2, TreeMap<Integer, Integer> blocks) {
        Map<String, JsonNode> layers = layerConfigs(config);
        if (layers.isEmpty()) {
            return null;
        }
        List<Integer> strides = new ArrayList<>();
        for (Map.Entry<Integer, Integer> stage : blocks.entrySet()) {
            String name = v2 ? "conv" + stage.getKey() + "_block" + stage.getValue() + "_2_conv"
                    : "conv" + stage.getKey() + "_block1_1_conv";
            JsonNode s = layers.containsKey(name) ? layers.get(name).path("config").path("strides") : null;
            if (s == null || !s.isArray() || s.size() != 2 || !s.get(0).isInt() || s.get(0).asInt() != s.get(1).asInt()
                    || s.get(0).asInt() < 1) {
                throw new ResNet4jException("config.json: " + name + " has no square strides");
            }
            strides.add(s.get(0).asInt());
        }
        return strides;
    }

    /** keras.applications' BN epsilon is 1.001e-5; a model with another would import with the wrong one. */
    private static void checkEpsilon(JsonNode config) {
        for (Map.Entry<String, JsonNode> e : layerConfigs(config).entrySet()) {
            if ("BatchNormalization".equals(e.getValue().path("class_name").asText())) {
                double eps = e.getValue().path("config").path("epsilon").asDouble(LayoutRule.KERAS_BN_EPSILON);
                if (Math.abs(eps - LayoutRule.KERAS_BN_EPSILON) > 1e-12) {
                    throw new ResNet4jException("config.json: " + e.getKey() + " has BN epsilon " + eps
                            + "; keras.applications' ResNets (and this importer) use 1.001e-5");
                }
            }
        }
    }

    /**
     * Which Keras layer fills which part of {@code layout}: stem {@code conv1_conv} (+ {@code conv1_bn} in v1); unit
     * {@code layer<i>.<j>} is {@code conv<i+1>_block<j+1>}: {@code _preact_bn} (v2), {@code _<k>_conv} and the BN
     * after it {@code _<k>_bn}, the projection {@code _0_conv} (+ {@code _0_bn} in v1); {@code post_bn} (v2); the
     * classifier.
     */
    private static List<Binding> bindings(Layout layout, String classifier) {
        List<Binding> out = new ArrayList<>();
        conv(out, "conv1", layout.stem().conv());
        for (Layout.Unit u : layout.units()) {
            String p = "conv" + (u.stage() + 2) + "_block" + (u.index() + 1);
            if (u.preactivation() != null) {
                norm(out, p + "_preact_bn", u.preactivation());
            }
            for (int k = 0; k < u.convs().size(); k++) {
                conv(out, p + "_" + (k + 1), u.convs().get(k));
            }
            if (u.shortcut().projection() != null) {
                conv(out, p + "_0", u.shortcut().projection());
            }
        }
        Layout.Head head = layout.head();
        if (head.finalNorm() != null) {
            norm(out, "post_bn", head.finalNorm());
        }
        out.add(new Binding(classifier, Kind.DENSE, head.classifier(), List.of("kernel", "bias"),
                List.of(new int[] {head.features(), head.classes()}, new int[] {head.classes()})));
        return out;
    }

    private static void conv(List<Binding> out, String keras, ConvSpec c) {
        int[] kernel = {c.kernel(), c.kernel(), c.in(), c.out()};
        out.add(new Binding(keras + "_conv", Kind.CONV, c.name(), c.bias() ? List.of("kernel", "bias")
                : List.of("kernel"), c.bias() ? List.of(kernel, new int[] {c.out()}) : List.<int[]>of(kernel)));
        if (c.norm() != null) {
            norm(out, keras + "_bn", c.norm());
        }
    }

    private static void norm(List<Binding> out, String keras, Layout.Norm n) {
        int[] s = {n.channels()};
        out.add(new Binding(keras, Kind.NORM, n.name(), List.of("gamma", "beta", "moving_mean", "moving_variance"),
                List.of(s, s, s, s)));
    }

    /** Every tensor of {@code layout} from {@code layers}, or one error listing every misfit. */
    private static Map<String, TensorData> map(Path file, Layout layout, Map<String, List<Variable>> layers,
            String classifier) {
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        Set<String> unused = new LinkedHashSet<>(layers.keySet());
        Map<String, TensorData> out = new LinkedHashMap<>();
        boolean bgr = layout.architecture().version() == Architecture.Version.V1
                && layout.architecture().inChannels() == 3;
        String stemName = layout.stem().conv().name();
        for (Binding b : bindings(layout, classifier)) {
            List<Variable> vars = layers.get(b.keras());
            unused.remove(b.keras());
            if (vars == null) {
                for (int i = 0; i < b.roles().size(); i++) {
                    missing.add(b.keras() + "/" + b.roles().get(i) + " " + Arrays.toString(b.shapes().get(i)));
                }
                continue;
            }
            if (vars.size() != b.roles().size()) {
                misShaped.add(b.keras() + " has " + vars.size() + " weights " + vars + ", model needs "
                        + b.roles().size() + " " + describe(b));
                continue;
            }
            boolean fits = true;
            for (int i = 0; i < vars.size(); i++) {
                if (!Arrays.equals(vars.get(i).shape(), b.shapes().get(i))) {
                    misShaped.add(b.keras() + "/" + b.roles().get(i) + " is " + Arrays.toString(vars.get(i).shape())
                            + ", model needs " + Arrays.toString(b.shapes().get(i)));
                    fits = false;
                }
            }
            if (fits) {
                convert(b, vars, bgr && b.ours().equals(stemName), out);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : unused) {
            for (Variable v : layers.get(name)) {
                unexpected.add(name + "/" + v);
            }
        }
        Weights.refuseMisfits(file.getFileName() + " does not fit " + layout.architecture().name(), missing,
                unexpected, misShaped);
        return out;
    }

    private static String describe(Binding b) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < b.roles().size(); i++) {
            parts.add(b.roles().get(i) + " " + Arrays.toString(b.shapes().get(i)));
        }
        return parts.toString();
    }

    /** Keras' variables of one layer as resnet4j tensors: OIHW kernels, a transposed dense kernel. */
    private static void convert(Binding b, List<Variable> vars, boolean reverseInputChannels,
            Map<String, TensorData> out) {
        String p = b.ours();
        switch (b.kind()) {
            case CONV -> {
                int[] s = vars.get(0).shape();
                out.put(p + ".weight", hwioToOihw(vars.get(0).values(), s[0], s[1], s[2], s[3], reverseInputChannels));
                if (vars.size() > 1) {
                    out.put(p + ".bias", vector(vars.get(1)));
                }
            }
            case NORM -> {
                out.put(p + ".weight", vector(vars.get(0)));
                out.put(p + ".bias", vector(vars.get(1)));
                out.put(p + ".running_mean", vector(vars.get(2)));
                out.put(p + ".running_var", vector(vars.get(3)));
            }
            case DENSE -> {
                int[] s = vars.get(0).shape();
                float[] k = vars.get(0).values();
                float[] t = new float[k.length];
                for (int i = 0; i < s[0]; i++) {
                    for (int o = 0; o < s[1]; o++) {
                        t[o * s[0] + i] = k[i * s[1] + o];
                    }
                }
                out.put(p + ".weight", TensorData.ofFloats(new long[] {s[1], s[0]}, t));
                out.put(p + ".bias", vector(vars.get(1)));
            }
        }
    }

    private static TensorData vector(Variable v) {
        return TensorData.ofFloats(new long[] {v.values().length}, v.values());
    }

    /** {@code [kh, kw, in, out]} to {@code [out, in, kh, kw]}, the input channels reversed if asked (BGR to RGB). */
    static TensorData hwioToOihw(float[] k, int kh, int kw, int in, int outC, boolean reverseIn) {
        float[] t = new float[k.length];
        for (int h = 0; h < kh; h++) {
            for (int w = 0; w < kw; w++) {
                for (int i = 0; i < in; i++) {
                    int ti = reverseIn ? in - 1 - i : i;
                    for (int o = 0; o < outC; o++) {
                        t[((o * in + ti) * kh + h) * kw + w] = k[((h * kw + w) * in + i) * outC + o];
                    }
                }
            }
        }
        return TensorData.ofFloats(new long[] {outC, in, kh, kw}, t);
    }
}
