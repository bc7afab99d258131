package io.resnet4j.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format primitives an ONNX file needs (varints, length-delimited fields), so writing one
 * takes no protobuf runtime. Fields are appended in call order; repeated fields are written unpacked, which every
 * protobuf parser accepts.
 */
public final class Protobuf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public Protobuf varint(int field, long value) {
        tag(field, 0);
        raw(value);
        return this;
    }

    public Protobuf fixed32(int field, float value) {
        tag(field, 5);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> (8 * i));
        }
        return this;
    }

    public Protobuf bytes(int field, byte[] value) {
        tag(field, 2);
        raw(value.length);
        out.writeBytes(value);
        return this;
    }

    public Protobuf string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    public Protobuf message(int field, Protobuf value) {
        return bytes(field, value.toByteArray());
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        raw(((long) field << 3) | wireType);
    }

    private void raw(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
