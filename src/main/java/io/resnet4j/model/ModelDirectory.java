package io.resnet4j.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model on disk: a folder with {@code config.json} (architecture, labels, preprocessing) and
 * {@code model.safetensors} (weights). Each file is written atomically, weights first, so a reader never sees
 * a config whose weights are missing.
 */
public final class ModelDirectory {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    private static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** A model with the configuration it was saved with. */
    public record Loaded(ResNet model, ModelConfig config) {}

    private ModelDirectory() {}

    /** Saves {@code model} and {@code config} into {@code dir} (created if needed). */
    public static void save(Path dir, ResNet model, ModelConfig config) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ResNet4jException("cannot create model directory " + dir + ": " + e.getMessage(), e);
        }
        Weights.save(model, dir.resolve(WEIGHTS), Map.of("format", "pt", "producer", "resnet4j",
                "architecture", config.architecture().name()));
        AtomicFiles.writeString(dir.resolve(CONFIG), toJson(config));
    }

    /** Loads the model in {@code dir}: config first, then weights checked against it. Evaluation mode. */
    public static Loaded load(Path dir) {
        return load(dir, config(dir));
    }

    /** {@link #load(Path)} with the directory's config already read by {@link #config(Path)}. */
    public static Loaded load(Path dir, ModelConfig config) {
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new ResNet4jException(weights + (Files.exists(weights) ? " is not a file" : " is missing"));
        }
        return new Loaded(ResNet.load(config.architecture(), weights), config);
    }

    /** The validated config of the model in {@code dir}, without its weights (and without libtorch). */
    public static ModelConfig config(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ResNet4jException("model directory " + dir
                    + (Files.exists(dir) ? " is not a directory" : " does not exist"));
        }
        return readConfig(dir.resolve(CONFIG));
    }

    /** Parses and validates a config.json. */
    public static ModelConfig readConfig(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ResNet4jException(file + " is missing");
        } catch (IOException e) {
            if (Files.isDirectory(file)) {
                throw new ResNet4jException(file + " is a directory, not a file");
            }
            throw new ResNet4jException(file + " is not valid JSON: " + firstLine(e.getMessage()));
        }
        try {
            return fromJson(root);
        } catch (ResNet4jException e) {
            throw new ResNet4jException(file + ": " + e.getMessage(), e);
        }
    }

    /** The config.json text for {@code c}. */
    public static String toJson(ModelConfig c) {
        Architecture a = c.architecture();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "resnet4j-model");
        root.put("format_version", FORMAT_VERSION);
        ObjectNode arch = root.putObject("architecture");
        arch.put("name", a.name());
        arch.put("version", a.version().name().toLowerCase(Locale.ROOT));
        arch.put("block", a.block().name().toLowerCase(Locale.ROOT));
        ArrayNode blocks = arch.putArray("blocks");
        a.blocks().forEach(blocks::add);
        arch.put("base_width", a.baseWidth());
        ArrayNode strides = arch.putArray("strides");
        a.strides().forEach(strides::add);
        arch.put("stem", a.stem().name().toLowerCase(Locale.ROOT));
        arch.put("num_classes", a.numClasses());
        arch.put("in_channels", a.inChannels());
        arch.put("data_format", a.dataFormat().cliName());
        if (a.shortcuts() != Architecture.Shortcuts.RESIDUAL) {
            // Only plain networks say so: a residual model's config.json stays what earlier versions wrote and read.
            arch.put("shortcuts", a.shortcuts().name().toLowerCase(Locale.ROOT));
        }
        if (a.variant() != Architecture.Variant.STANDARD) {
            // Likewise only for a non-standard layout (keras.applications'): "variant": "keras".
            arch.put("variant", a.variant().name().toLowerCase(Locale.ROOT));
        }
        ArrayNode labels = root.putArray("labels");
        c.labels().forEach(labels::add);
        ObjectNode input = root.putObject("input");
        input.put("min_aspect_dim", c.minAspectDim());
        input.put("resize_dim", c.resizeDim());
        ObjectNode norm = root.putObject("normalization");
        ArrayNode mean = norm.putArray("mean");
        for (float v : c.normalization().mean()) {
            mean.add(v);
        }
        ArrayNode std = norm.putArray("std");
        for (float v : c.normalization().std()) {
            std.add(v);
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new ResNet4jException("cannot write config: " + e.getMessage(), e);
        }
    }

    /** Parses config.json text (as written by {@link #toJson}). */
    public static ModelConfig fromJson(String json) {
        try {
            return fromJson(JSON.readTree(json));
        } catch (IOException e) {
            throw new ResNet4jException("config is not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    static ModelConfig fromJson(JsonNode root) {
        if (!root.isObject()) {
            throw new ResNet4jException("config must be a JSON object");
        }
        if (!"resnet4j-model".equals(text(root, "format")) || integer(root, "format_version") != FORMAT_VERSION) {
            throw new ResNet4jException("not a resnet4j model config (format/format_version)");
        }
        JsonNode a = field(root, "architecture");
        Architecture arch = new Architecture(
                parseEnum(Architecture.Version.class, text(a, "version"), "version"),
                parseEnum(Architecture.Block.class, text(a, "block"), "block"),
                intList(a, "blocks"),
                integer(a, "base_width"),
                intList(a, "strides"),
                parseEnum(Architecture.Stem.class, text(a, "stem"), "stem"),
                integer(a, "num_classes"),
                integer(a, "in_channels"),
                DataFormat.parse(text(a, "data_format")),
                a.has("shortcuts") ? parseEnum(Architecture.Shortcuts.class, text(a, "shortcuts"), "shortcuts")
                        : Architecture.Shortcuts.RESIDUAL,
                a.has("variant") ? parseEnum(Architecture.Variant.class, text(a, "variant"), "variant")
                        : Architecture.Variant.STANDARD);
        List<String> labels = new ArrayList<>();
        for (JsonNode l : array(root, "labels")) {
            if (!l.isTextual()) {
                throw new ResNet4jException("labels must be strings");
            }
            labels.add(l.asText());
        }
        JsonNode input = field(root, "input");
        JsonNode norm = field(root, "normalization");
        return new ModelConfig(arch, labels, integer(input, "min_aspect_dim"), integer(input, "resize_dim"),
                new Normalization(floats(norm, "mean"), floats(norm, "std")));
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            throw new ResNet4jException("missing field '" + name + "'");
        }
        return v;
    }

    private static String text(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isTextual()) {
            throw new ResNet4jException("field '" + name + "' must be a string");
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isInt()) {
            throw new ResNet4jException("field '" + name + "' must be an integer");
        }
        return v.asInt();
    }

    private static JsonNode array(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (!v.isArray()) {
            throw new ResNet4jException("field '" + name + "' must be an array");
        }
        return v;
    }

    private static List<Integer> intList(JsonNode n, String name) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode v : array(n, name)) {
            if (!v.isInt()) {
                throw new ResNet4jException("field '" + name + "' must hold integers");
            }
            out.add(v.asInt());
        }
        return out;
    }

    private static float[] floats(JsonNode n, String name) {
        JsonNode arr = array(n, name);
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) {
            if (!arr.get(i).isNumber()) {
                throw new ResNet4jException("field '" + name + "' must hold numbers");
            }
            out[i] = (float) arr.get(i).asDouble();
        }
        return out;
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String s, String what) {
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ResNet4jException("unknown " + what + " '" + s + "'");
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
