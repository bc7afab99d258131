package io.resnet4j.model;

/**
 * The field numbers (and the two enums) of onnx.proto that {@link OnnxExport} writes, named as in onnx.proto, one
 * nested class per message. See https://github.com/onnx/onnx/blob/main/onnx/onnx.proto.
 */
final class OnnxProto {
    private OnnxProto() {}

    static final class ModelProto {
        static final int IR_VERSION = 1;
        static final int PRODUCER_NAME = 2;
        static final int GRAPH = 7;
        static final int OPSET_IMPORT = 8;
    }

    static final class OperatorSetIdProto {
        static final int DOMAIN = 1;
        static final int VERSION = 2;
    }

    static final class GraphProto {
        static final int NODE = 1;
        static final int NAME = 2;
        static final int INITIALIZER = 5;
        static final int INPUT = 11;
        static final int OUTPUT = 12;
    }

    static final class NodeProto {
        static final int INPUT = 1;
        static final int OUTPUT = 2;
        static final int NAME = 3;
        static final int OP_TYPE = 4;
        static final int ATTRIBUTE = 5;
    }

    static final class AttributeProto {
        static final int NAME = 1;
        static final int F = 2;
        static final int I = 3;
        static final int S = 4;
        static final int T = 5;
        static final int INTS = 8;
        static final int TYPE = 20;
    }

    /** {@code AttributeProto.AttributeType}. */
    static final class AttributeType {
        static final int FLOAT = 1;
        static final int INT = 2;
        static final int STRING = 3;
        static final int TENSOR = 4;
        static final int INTS = 7;
    }

    static final class TensorProto {
        static final int DIMS = 1;
        static final int DATA_TYPE = 2;
        static final int NAME = 8;
        static final int RAW_DATA = 9;
    }

    /** {@code TensorProto.DataType}. */
    static final class DataType {
        static final int FLOAT = 1;
        static final int INT64 = 7;
    }

    static final class ValueInfoProto {
        static final int NAME = 1;
        static final int TYPE = 2;
    }

    static final class TypeProto {
        static final int TENSOR_TYPE = 1;
    }

    /** {@code TypeProto.Tensor}. */
    static final class TypeProtoTensor {
        static final int ELEM_TYPE = 1;
        static final int SHAPE = 2;
    }

    static final class TensorShapeProto {
        static final int DIM = 1;
    }

    /** {@code TensorShapeProto.Dimension}. */
    static final class Dimension {
        static final int DIM_VALUE = 1;
        static final int DIM_PARAM = 2;
    }
}
