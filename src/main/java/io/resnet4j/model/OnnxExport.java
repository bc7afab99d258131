package io.resnet4j.model;

import io.resnet4j.engine.Tensors;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.io.Protobuf;
import io.resnet4j.model.Layout.ConvSpec;
import io.resnet4j.model.OnnxProto.AttributeProto;
import io.resnet4j.model.OnnxProto.AttributeType;
import io.resnet4j.model.OnnxProto.DataType;
import io.resnet4j.model.OnnxProto.Dimension;
import io.resnet4j.model.OnnxProto.GraphProto;
import io.resnet4j.model.OnnxProto.ModelProto;
import io.resnet4j.model.OnnxProto.NodeProto;
import io.resnet4j.model.OnnxProto.OperatorSetIdProto;
import io.resnet4j.model.OnnxProto.TensorProto;
import io.resnet4j.model.OnnxProto.TensorShapeProto;
import io.resnet4j.model.OnnxProto.TypeProto;
import io.resnet4j.model.OnnxProto.TypeProtoTensor;
import io.resnet4j.model.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes a model as ONNX (opset 17, IR 8), built from its {@link Layout} and current weights: input
 * {@code input} float {@code [N, C, H, W]} (N, H, W free), output {@code logits} {@code [N, classes]}.
 * Initializers keep the model's tensor names; batch norm stays a {@code BatchNormalization} node (runtimes fold it).
 * The v2 stem pool is {@code MaxPool} with {@code auto_pad = SAME_UPPER}, which is TensorFlow's SAME; Keras v2's is
 * {@code Pad} (zeros; its pads a {@code Constant}) then {@code MaxPool}. Convolutions with a bias (Keras) take it as
 * their third input.
 */
public final class OnnxExport {
    private static final int IR_VERSION = 8;
    private static final int OPSET = 17;

    private final Layout layout;
    private final Map<String, Tensor> weights;
    private final List<Protobuf> nodes = new ArrayList<>();
    private int counter;

    private OnnxExport(ResNet model) {
        this.layout = model.layout();
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
        Architecture arch = layout.architecture();
        String x = conv(layout.stem().conv(), "input");
        x = switch (layout.stem().pool()) {
            case NONE -> x;
            case MAX_3X3_SYMMETRIC -> node("MaxPool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                    ints("pads", 1, 1, 1, 1));
            case MAX_3X3_TF_SAME -> node("MaxPool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                    string("auto_pad", "SAME_UPPER"));
            // The Max between Pad and MaxPool keeps ONNX Runtime's PadFusion from folding the zero padding into the
            // pool's own padding, which never wins (a wrong rewrite for MaxPool; the test checks ALL_OPT).
            case MAX_3X3_ZERO_PADDED -> node("MaxPool", List.of(node("Max", List.of(node("Pad", List.of(x,
                    node("Constant", List.of(), tensorAttribute("value", int64Tensor("pads_hw_1",
                            new long[] {0, 0, 1, 1, 0, 0, 1, 1})))))))), ints("kernel_shape", 3, 3),
                    ints("strides", 2, 2));
        };
        for (Layout.Unit u : layout.units()) {
            x = unit(u, x);
        }
        Layout.Head head = layout.head();
        if (head.finalNorm() != null) {
            x = relu(bn(head.finalNorm(), x));
        }
        x = node("GlobalAveragePool", List.of(x));
        x = node("Flatten", List.of(x), integer("axis", 1));
        String logits = "logits";
        String fc = head.classifier();
        nodes.add(nodeProto("Gemm", List.of(x, fc + ".weight", fc + ".bias"), logits, List.of(integer("transB", 1))));

        Protobuf graph = new Protobuf();
        for (Protobuf n : nodes) {
            graph.message(GraphProto.NODE, n);
        }
        graph.string(GraphProto.NAME, "resnet4j_" + arch.name().replace('-', '_'));
        for (Map.Entry<String, Tensor> w : weights.entrySet()) {
            graph.message(GraphProto.INITIALIZER, tensor(w.getKey(), w.getValue()));
        }
        graph.message(GraphProto.INPUT, valueInfo("input", new Object[] {"N", (long) arch.inChannels(), "H", "W"}));
        graph.message(GraphProto.OUTPUT, valueInfo(logits, new Object[] {"N", (long) head.classes()}));
        return new Protobuf()
                .varint(ModelProto.IR_VERSION, IR_VERSION)
                .string(ModelProto.PRODUCER_NAME, "resnet4j")
                .message(ModelProto.GRAPH, graph)
                .message(ModelProto.OPSET_IMPORT, new Protobuf().string(OperatorSetIdProto.DOMAIN, "")
                        .varint(OperatorSetIdProto.VERSION, OPSET))
                .toByteArray();
    }

    /** A residual unit (see {@link Layout.Unit}): pre-activation, main path, shortcut, addition, ReLU (v1). */
    private String unit(Layout.Unit u, String x) {
        String a = u.preactivation() == null ? x : relu(bn(u.preactivation(), x));
        String h = a;
        for (ConvSpec c : u.convs()) {
            h = conv(c, h);
        }
        String s = switch (u.shortcut().kind()) {
            case IDENTITY -> x;
            case PROJECTION -> conv(u.shortcut().projection(), x);
            case PROJECTION_PREACTIVATED -> conv(u.shortcut().projection(), a);
            case SUBSAMPLE -> node("MaxPool", List.of(x), ints("kernel_shape", 1, 1),
                    ints("strides", u.stride(), u.stride()));
            case NONE -> null;
        };
        String out = s == null ? h : node("Add", List.of(h, s));
        return u.reluAfterAdd() ? relu(out) : out;
    }

    /** A convolution, then its batch norm and ReLU if the spec has them. */
    private String conv(ConvSpec c, String x) {
        List<String> inputs = c.bias() ? List.of(x, c.name() + ".weight", c.name() + ".bias")
                : List.of(x, c.name() + ".weight");
        String y = node("Conv", inputs, ints("kernel_shape", c.kernel(), c.kernel()),
                ints("strides", c.stride(), c.stride()), ints("pads", c.padding(), c.padding(), c.padding(),
                        c.padding()));
        if (c.norm() != null) {
            y = bn(c.norm(), y);
        }
        return c.relu() ? relu(y) : y;
    }

    private String bn(Layout.Norm norm, String x) {
        String name = norm.name();
        return node("BatchNormalization", List.of(x, name + ".weight", name + ".bias", name + ".running_mean",
                name + ".running_var"), real("epsilon", (float) norm.eps()));
    }

    /** A tensor-valued attribute: a {@code Constant}'s value (the Keras v2 stem's pads; initializers stay weights). */
    private static Protobuf tensorAttribute(String name, Protobuf tensor) {
        return new Protobuf().string(AttributeProto.NAME, name).message(AttributeProto.T, tensor)
                .varint(AttributeProto.TYPE, AttributeType.TENSOR);
    }

    /** An int64 initializer, little-endian {@code raw_data}. */
    private static Protobuf int64Tensor(String name, long[] values) {
        Protobuf p = new Protobuf().varint(TensorProto.DIMS, values.length);
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return p.varint(TensorProto.DATA_TYPE, DataType.INT64).string(TensorProto.NAME, name)
                .bytes(TensorProto.RAW_DATA, raw.array());
    }

    private String relu(String x) {
        return node("Relu", List.of(x));
    }

    private String node(String op, List<String> inputs, Protobuf... attributes) {
        String out = op.toLowerCase() + "_" + (counter++);
        nodes.add(nodeProto(op, inputs, out, List.of(attributes)));
        return out;
    }

    /** A node named after its single output. */
    private static Protobuf nodeProto(String op, List<String> inputs, String output, List<Protobuf> attributes) {
        Protobuf n = new Protobuf();
        for (String i : inputs) {
            n.string(NodeProto.INPUT, i);
        }
        n.string(NodeProto.OUTPUT, output).string(NodeProto.NAME, output).string(NodeProto.OP_TYPE, op);
        for (Protobuf a : attributes) {
            n.message(NodeProto.ATTRIBUTE, a);
        }
        return n;
    }

    private static Protobuf ints(String name, long... values) {
        Protobuf a = new Protobuf().string(AttributeProto.NAME, name);
        for (long v : values) {
            a.varint(AttributeProto.INTS, v);
        }
        return a.varint(AttributeProto.TYPE, AttributeType.INTS);
    }

    private static Protobuf integer(String name, long value) {
        return new Protobuf().string(AttributeProto.NAME, name).varint(AttributeProto.I, value)
                .varint(AttributeProto.TYPE, AttributeType.INT);
    }

    private static Protobuf real(String name, float value) {
        return new Protobuf().string(AttributeProto.NAME, name).fixed32(AttributeProto.F, value)
                .varint(AttributeProto.TYPE, AttributeType.FLOAT);
    }

    private static Protobuf string(String name, String value) {
        return new Protobuf().string(AttributeProto.NAME, name).string(AttributeProto.S, value)
                .varint(AttributeProto.TYPE, AttributeType.STRING);
    }

    /** A float32 initializer, its values as little-endian {@code raw_data}. */
    private static Protobuf tensor(String name, Tensor t) {
        Protobuf p = new Protobuf();
        for (long d : Tensors.shape(t)) {
            p.varint(TensorProto.DIMS, d);
        }
        float[] v = Tensors.toFloats(t);
        ByteBuffer raw = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(v);
        return p.varint(TensorProto.DATA_TYPE, DataType.FLOAT).string(TensorProto.NAME, name)
                .bytes(TensorProto.RAW_DATA, raw.array());
    }

    /** ValueInfoProto with a float tensor type; dims are Long (fixed) or String (named, free). */
    private static Protobuf valueInfo(String name, Object[] dims) {
        Protobuf shape = new Protobuf();
        for (Object d : dims) {
            shape.message(TensorShapeProto.DIM, d instanceof Long l
                    ? new Protobuf().varint(Dimension.DIM_VALUE, l)
                    : new Protobuf().string(Dimension.DIM_PARAM, (String) d));
        }
        Protobuf tensorType = new Protobuf().varint(TypeProtoTensor.ELEM_TYPE, DataType.FLOAT)
                .message(TypeProtoTensor.SHAPE, shape);
        return new Protobuf().string(ValueInfoProto.NAME, name)
                .message(ValueInfoProto.TYPE, new Protobuf().message(TypeProto.TENSOR_TYPE, tensorType));
    }
}
