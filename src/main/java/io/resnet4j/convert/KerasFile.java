package io.resnet4j.convert;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The weights (and, for {@code .keras}, the model config) of a Keras file, by layer name, in one of three formats:
 * <ul>
 *   <li>{@code .keras} (Keras 3): a zip of {@code metadata.json}, {@code config.json} and {@code model.weights.h5};
 *   <li>{@code .weights.h5} (Keras 3): {@code /layers/<group>/vars/<i>}, the group named by class and creation
 *       order ({@code conv2d_17}); the layer's real name is the {@code name} attribute of its {@code vars} group
 *       (older Keras 3 versions named the group after the layer; both are read); nested models
 *       ({@code /layers/<model>/layers/...}) are walked;
 *   <li>Keras-2 {@code .h5} (the published ImageNet files, or a whole-model save's {@code /model_weights}): the root
 *       attribute {@code layer_names}, each layer group's {@code weight_names}, datasets at
 *       {@code /<layer>/<weight name>}, possibly with a {@code :0} suffix.
 * </ul>
 * Each layer's variables are in Keras' order (kernel, bias; gamma, beta, moving mean, moving variance), with their
 * short names where the file has them. Reads with jhdf (pure Java); never trusts a size it has not checked against
 * the file's.
 *
 * @param layers variables by layer name, in file order
 * @param config the {@code .keras} model config, or null
 */
public record KerasFile(Map<String, List<Variable>> layers, JsonNode config) {

    /** A variable: its short name ({@code kernel}, {@code gamma}, or its index), shape and float32 values. */
    public record Variable(String name, int[] shape, float[] values) {
        @Override
        public String toString() {
            return name + " " + Arrays.toString(shape);
        }
    }

    /** The largest file a {@code .keras} zip may unpack to (a ResNet-152's weights are 240 MB). */
    private static final long MAX_WEIGHTS_BYTES = 2L << 30;
    private static final long MAX_CONFIG_BYTES = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * Reads {@code file} by its name: {@code .keras}, {@code .weights.h5} or {@code .h5} (Keras 2 or Keras 3, told
     * apart by their contents).
     *
     * @throws ResNet4jException with one line saying what is wrong with the file
     */
    public static KerasFile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ResNet4jException(file + (Files.exists(file) ? " is not a file" : " does not exist"));
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".keras")) {
                return readKeras(file);
            }
            if (name.endsWith(".h5") || name.endsWith(".hdf5")) {
                return new KerasFile(readH5(file), null);
            }
        } catch (ResNet4jException e) {
            String m = e.getMessage();
            throw m != null && m.startsWith(file.toString()) ? e : new ResNet4jException(file + ": " + m, e);
        } catch (IOException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // jhdf signals a damaged or hostile file with whatever it meets first; one line is all we pass on.
            throw new ResNet4jException(file + " is not a readable Keras file: " + describe(e));
        }
        throw new ResNet4jException(file + ": not a Keras file name (.keras, .weights.h5 or .h5)");
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** A {@code .keras} zip: its config.json and its model.weights.h5 (unpacked to a temporary file). */
    private static KerasFile readKeras(Path file) throws IOException {
        JsonNode config = null;
        Path weights = null;
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.getName().equals("config.json")) {
                    config = JSON.readTree(readCapped(zip, MAX_CONFIG_BYTES));
                } else if (e.getName().equals("model.weights.h5")) {
                    weights = Files.createTempFile("resnet4j-keras", ".weights.h5");
                    try (OutputStream out = Files.newOutputStream(weights)) {
                        copyCapped(zip, out, MAX_WEIGHTS_BYTES);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            throw new ResNet4jException(file + " does not exist");
        }
        try {
            if (weights == null) {
                throw new ResNet4jException(file + " has no model.weights.h5: not a Keras 3 .keras file");
            }
            return new KerasFile(readH5(weights), config);
        } finally {
            if (weights != null) {
                Files.deleteIfExists(weights);
            }
        }
    }

    private static byte[] readCapped(InputStream in, long cap) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        copyCapped(in, out, cap);
        return out.toByteArray();
    }

    private static void copyCapped(InputStream in, OutputStream out, long cap) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > cap) {
                throw new ResNet4jException("a member of the zip is larger than " + (cap >> 20) + " MiB");
            }
            out.write(buf, 0, n);
        }
    }

    /** The layers of an HDF5 weights file, Keras 3 or Keras 2. */
    private static Map<String, List<Variable>> readH5(Path file) throws IOException {
        long fileSize = Files.size(file);
        try (HdfFile h5 = new HdfFile(file)) {
            Map<String, List<Variable>> layers = new LinkedHashMap<>();
            Group root = h5;
            if (root.getChildren().get("model_weights") instanceof Group g) {
                root = g; // a Keras-2 whole-model save
            }
            if (root.getAttribute("layer_names") != null) {
                readKeras2(root, layers, fileSize);
            } else if (root.getChildren().get("layers") instanceof Group g) {
                readKeras3(g, layers, fileSize);
            } else if (root.getChildren().get("_layer_checkpoint_dependencies") instanceof Group g) {
                readKeras3(g, layers, fileSize);
            } else {
                throw new ResNet4jException(file + " has neither Keras 3's /layers nor Keras 2's layer_names");
            }
            return layers;
        }
    }

    /** Keras 3: every group with a {@code vars} child is a layer; a {@code layers} child holds nested layers. */
    private static void readKeras3(Group layersGroup, Map<String, List<Variable>> out, long fileSize) {
        for (Node child : layersGroup.getChildren().values()) {
            if (!(child instanceof Group g)) {
                continue;
            }
            if (g.getChildren().get("vars") instanceof Group vars && !vars.getChildren().isEmpty()) {
                Attribute nameAttr = vars.getAttribute("name");
                String name = nameAttr != null ? string(nameAttr.getData()) : g.getName();
                List<Node> ordered = new ArrayList<>(vars.getChildren().values());
                ordered.sort(Comparator.comparingInt(n -> index(n.getName())));
                List<Variable> vs = new ArrayList<>();
                for (Node n : ordered) {
                    vs.add(variable(n, n.getName(), fileSize));
                }
                put(out, name, vs);
            }
            if (g.getChildren().get("layers") instanceof Group nested) {
                readKeras3(nested, out, fileSize);
            }
        }
    }

    private static int index(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            throw new ResNet4jException("variable '" + name + "' is not numbered as Keras 3 numbers them");
        }
    }

    /** Keras 2: {@code layer_names} on the root, {@code weight_names} on each layer group. */
    private static void readKeras2(Group root, Map<String, List<Variable>> out, long fileSize) {
        for (String layer : strings(root.getAttribute("layer_names").getData())) {
            if (!(root.getChildren().get(layer) instanceof Group g)) {
                throw new ResNet4jException("layer_names lists '" + layer + "', which the file does not have");
            }
            Attribute wn = g.getAttribute("weight_names");
            Object names = wn == null ? null : wn.getData(); // an empty list reads as null
            List<Variable> vs = new ArrayList<>();
            for (String w : names == null ? List.<String>of() : strings(names)) {
                Node n = g.getByPath(w);
                String shortName = w.substring(w.lastIndexOf('/') + 1);
                if (shortName.endsWith(":0")) {
                    shortName = shortName.substring(0, shortName.length() - 2);
                }
                vs.add(variable(n, shortName, fileSize));
            }
            if (!vs.isEmpty()) {
                put(out, layer, vs);
            }
        }
    }

    private static void put(Map<String, List<Variable>> out, String name, List<Variable> vs) {
        if (out.put(name, List.copyOf(vs)) != null) {
            throw new ResNet4jException("two layers are named '" + name + "'");
        }
    }

    /** A float dataset's values, after checking its size against the file's. */
    private static Variable variable(Node n, String name, long fileSize) {
        if (!(n instanceof Dataset d)) {
            throw new ResNet4jException("'" + n.getPath() + "' is not a dataset");
        }
        int[] dims = d.getDimensions();
        long count = 1;
        for (int dim : dims) {
            if (dim < 0 || dim > Integer.MAX_VALUE / 4) {
                throw new ResNet4jException("'" + n.getPath() + "' has an impossible shape " + Arrays.toString(dims));
            }
            count *= dim;
            if (4 * count > fileSize) {
                throw new ResNet4jException("'" + n.getPath() + "' claims " + Arrays.toString(dims)
                        + " values, more than the file can hold");
            }
        }
        Class<?> type = d.getJavaType();
        Object flat = d.getDataFlat();
        float[] values;
        if (type == float.class && flat instanceof float[] f) {
            values = f;
        } else if (type == double.class && flat instanceof double[] dd) {
            values = new float[dd.length];
            for (int i = 0; i < dd.length; i++) {
                values[i] = (float) dd[i];
            }
        } else {
            throw new ResNet4jException("'" + n.getPath() + "' holds " + type.getSimpleName()
                    + ", not float32 or float64");
        }
        if (values.length != count) {
            throw new ResNet4jException("'" + n.getPath() + "' has " + values.length + " values for its shape "
                    + Arrays.toString(dims));
        }
        return new Variable(name, dims, values);
    }

    private static String string(Object data) {
        if (data instanceof String s) {
            return s;
        }
        List<String> all = strings(data);
        if (all.size() != 1) {
            throw new ResNet4jException("expected one string attribute, got " + all.size());
        }
        return all.get(0);
    }

    /** A string or string-array attribute (fixed or variable length, as h5py writes them). */
    private static List<String> strings(Object data) {
        List<String> out = new ArrayList<>();
        if (data instanceof String s) {
            out.add(s);
        } else if (data instanceof byte[] b) {
            out.add(new String(b, java.nio.charset.StandardCharsets.UTF_8).replace("\0", ""));
        } else if (data != null && data.getClass().isArray()) {
            for (int i = 0; i < java.lang.reflect.Array.getLength(data); i++) {
                Object o = java.lang.reflect.Array.get(data, i);
                if (o instanceof String || o instanceof byte[]) {
                    out.addAll(strings(o));
                } else {
                    throw new ResNet4jException("a name attribute holds " + (o == null ? "null" : o.getClass()
                            .getSimpleName()) + ", not text");
                }
            }
        } else {
            throw new ResNet4jException("a name attribute is " + (data == null ? "null" : data.getClass()
                    .getSimpleName()) + ", not text");
        }
        return out;
    }
}
