package io.resnet4j.model;

import io.resnet4j.engine.Tensors;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.io.Protobuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes a model as ONNX (opset 17, IR 8), built from its {@link Architecture} and current weights: input
 * {@code input} float {@code [N, C, H, W]} (N, H, W free), output {@code logits} {@code [N, classes]}.
 * Initializers keep the SPEC tensor names; batch norm stays a {@code BatchNormalization} node (runtimes fold it).
 * The v2 stem pool is {@code MaxPool} with {@code auto_pad = SAME_UPPER}, which is TensorFlow's SAME.
 */
public final class OnnxExport {
    private static final int FLOAT = 1;
    // onnx.proto field numbers
    private static final int MODEL_IR_VERSION = 1;
    private static final int MODEL_PRODUCER = 2;
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET = 8;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_NAME = 2;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;

    private final Architecture arch;
    private final Map<String, Tensor> weights;
    private final List<Protobuf> nodes = new ArrayList<>();
    private int counter;

    private OnnxExport(ResNet model) {
        this.arch = model.architecture();
        this.weights = model.namedTensors();
    }

    /** The ONNX model bytes of {@code model} (evaluation-mode semantics). */
    public static byte[] toBytes(ResNet model) {
        return new OnnxExport(model).build();
    }

    /** Writes {@code model} as an ONNX file, atomically. */
    public static void write(ResNet model, Path file) {
        AtomicFiles.writeBytes(file, toBytes(model));
    }

    private byte[] build() {
        boolean v2 = arch.version() == Architecture.Version.V2;
        boolean imagenet = arch.stem() == Architecture.Stem.IMAGENET;
        int k = imagenet ? 7 : 3;
        int st = imagenet ? 2 : 1;
        String x = "input";
        if (v2) {
            x = conv("stem.conv", x, st, k / 2);
            if (imagenet) {
                x = node("MaxPool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        string("auto_pad", "SAME_UPPER"));
            }
        } else {
            x = relu(bn("bn1", conv("conv1", x, st, k / 2)));
            if (imagenet) {
                x = node("MaxPool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        ints("pads", 1, 1, 1, 1));
            }
        }
        int in = arch.baseWidth();
        for (int i = 0; i < arch.blocks().size(); i++) {
            int out = arch.layerOutChannels(i);
            for (int j = 0; j < arch.blocks().get(i); j++) {
                int stride = j == 0 ? arch.strides().get(i) : 1;
                x = v2 ? blockV2("layer" + (i + 1) + "." + j + ".", x, stride, j == 0)
                        : blockV1("layer" + (i + 1) + "." + j + ".", x, stride, stride != 1 || in != out);
                in = out;
            }
        }
        if (v2) {
            x = relu(bn("final_bn", x));
        }
        x = node("GlobalAveragePool", List.of(x));
        x = node("Flatten", List.of(x), integer("axis", 1));
        String logits = "logits";
        nodes.add(nodeProto("Gemm", List.of(x, "fc.weight", "fc.bias"), logits, List.of(integer("transB", 1))));

        Protobuf graph = new Protobuf();
        for (Protobuf n : nodes) {
            graph.message(GRAPH_NODE, n);
        }
        graph.string(GRAPH_NAME, "resnet4j_" + arch.name().replace('-', '_'));
        for (Map.Entry<String, Tensor> w : weights.entrySet()) {
            graph.message(GRAPH_INITIALIZER, tensor(w.getKey(), w.getValue()));
        }
        graph.message(GRAPH_INPUT, valueInfo("input", new Object[] {"N", (long) arch.inChannels(), "H", "W"}));
        graph.message(GRAPH_OUTPUT, valueInfo(logits, new Object[] {"N", (long) arch.numClasses()}));
        return new Protobuf()
                .varint(MODEL_IR_VERSION, 8)
                .string(MODEL_PRODUCER, "resnet4j")
                .message(MODEL_GRAPH, graph)
                .message(MODEL_OPSET, new Protobuf().string(1, "").varint(2, 17))
                .toByteArray();
    }

    private String blockV1(String p, String x, int stride, boolean project) {
        boolean bottleneck = arch.block() == Architecture.Block.BOTTLENECK;
        String h;
        if (bottleneck) {
            h = relu(bn(p + "bn1", conv(p + "conv1", x, 1, 0)));
            h = relu(bn(p + "bn2", conv(p + "conv2", h, stride, 1)));
            h = bn(p + "bn3", conv(p + "conv3", h, 1, 0));
        } else {
            h = relu(bn(p + "bn1", conv(p + "conv1", x, stride, 1)));
            h = bn(p + "bn2", conv(p + "conv2", h, 1, 1));
        }
        String s = project ? bn(p + "downsample.1", conv(p + "downsample.0", x, stride, 0)) : x;
        return relu(node("Add", List.of(h, s)));
    }

    private String blockV2(String p, String x, int stride, boolean project) {
        String a = relu(bn(p + "bn1", x));
        String s = project ? conv(p + "shortcut", a, stride, 0) : x;
        String h;
        if (arch.block() == Architecture.Block.BOTTLENECK) {
            h = relu(bn(p + "bn2", conv(p + "conv1", a, 1, 0)));
            h = relu(bn(p + "bn3", conv(p + "conv2", h, stride, 1)));
            h = conv(p + "conv3", h, 1, 0);
        } else {
            h = relu(bn(p + "bn2", conv(p + "conv1", a, stride, 1)));
            h = conv(p + "conv2", h, 1, 1);
        }
        return node("Add", List.of(h, s));
    }

    private String conv(String name, String x, int stride, int pad) {
        long k = weights.get(name + ".weight").size(2);
        return node("Conv", List.of(x, name + ".weight"), ints("kernel_shape", k, k), ints("strides", stride, stride),
                ints("pads", pad, pad, pad, pad));
    }

    private String bn(String name, String x) {
        return node("BatchNormalization", List.of(x, name + ".weight", name + ".bias", name + ".running_mean",
                name + ".running_var"), real("epsilon", 1e-5f));
    }

    private String relu(String x) {
        return node("Relu", List.of(x));
    }

    private String node(String op, List<String> inputs, Protobuf... attributes) {
        String out = op.toLowerCase() + "_" + (counter++);
        nodes.add(nodeProto(op, inputs, out, List.of(attributes)));
        return out;
    }

    private static Protobuf nodeProto(String op, List<String> inputs, String output, List<Protobuf> attributes) {
        Protobuf n = new Protobuf();
        for (String i : inputs) {
            n.string(1, i);
        }
        n.string(2, output).string(3, output).string(4, op);
        for (Protobuf a : attributes) {
            n.message(5, a);
        }
        return n;
    }

    // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
    private static Protobuf ints(String name, long... values) {
        Protobuf a = new Protobuf().string(1, name);
        for (long v : values) {
            a.varint(8, v);
        }
        return a.varint(20, 7);
    }

    private static Protobuf integer(String name, long value) {
        return new Protobuf().string(1, name).varint(3, value).varint(20, 2);
    }

    private static Protobuf real(String name, float value) {
        return new Protobuf().string(1, name).fixed32(2, value).varint(20, 1);
    }

    private static Protobuf string(String name, String value) {
        return new Protobuf().string(1, name).string(4, value).varint(20, 3);
    }

    /** TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian). */
    private static Protobuf tensor(String name, Tensor t) {
        Protobuf p = new Protobuf();
        for (long d : Tensors.shape(t)) {
            p.varint(1, d);
        }
        float[] v = Tensors.toFloats(t);
        ByteBuffer raw = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(v);
        return p.varint(2, FLOAT).string(8, name).bytes(9, raw.array());
    }

    /** ValueInfoProto with a float tensor type; dims are Long (fixed) or String (named, free). */
    private static Protobuf valueInfo(String name, Object[] dims) {
        Protobuf shape = new Protobuf();
        for (Object d : dims) {
            shape.message(1, d instanceof Long l ? new Protobuf().varint(1, l) : new Protobuf().string(2, (String) d));
        }
        Protobuf tensorType = new Protobuf().varint(1, FLOAT).message(2, shape);
        return new Protobuf().string(1, name).message(2, new Protobuf().message(1, tensorType));
    }
}
