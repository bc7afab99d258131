package io.resnet4j.io;

import io.resnet4j.ResNet4jException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorDataTest {

    @Test
    void dtypeCodesAndSizesAreThoseOfTheSafetensorsFormat() {
        String[] codes = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"};
        int[] sizes = {8, 4, 2, 2, 8, 4, 2, 1, 1, 1};
        assertEquals(codes.length, DType.values().length);
        for (int i = 0; i < codes.length; i++) {
            DType d = DType.fromCode(codes[i]);
            assertEquals(codes[i], d.code());
            assertEquals(sizes[i], d.byteSize(), codes[i]);
            assertEquals(i < 4, d.isFloatingPoint(), codes[i]);
        }
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> DType.fromCode("f32"));
        assertTrue(e.getMessage().contains("'f32'"), e.getMessage());
        assertTrue(DType.tryFromCode("U16").isEmpty());
    }

    @Test
    void halfAndBfloat16DecodeToTheirIeeeValues() {
        // Bit patterns from the IEEE 754 binary16 and bfloat16 definitions.
        short[] half = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x3555, 0x7C00, (short) 0xFC00,
                (short) 0x8000};
        float[] want = {1f, -2f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, 0.333251953125f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f};
        ByteBuffer b = ByteBuffer.allocate(2 * half.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : half) {
            b.putShort(h);
        }
        float[] got = TensorData.ofBytes(DType.F16, new long[] {half.length}, b.array()).toFloatArray();
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "half " + i);
        }
        assertTrue(Float.isNaN(TensorData.halfToFloat((short) 0x7E00)));

        byte[] bf = {(byte) 0x80, 0x3F, 0x49, 0x40, 0x00, (byte) 0xBC}; // 1.0, 3.140625, -0.0078125
        assertArrayEquals(new float[] {1f, 3.140625f, -0.0078125f},
                TensorData.ofBytes(DType.BF16, new long[] {3}, bf).toFloatArray());
    }

    @Test
    void integersWidenWithTheirSignedness() {
        byte[] raw = {(byte) 0xFF, 0x00, 0x7F, (byte) 0x80};
        assertArrayEquals(new long[] {-1, 0, 127, -128}, TensorData.ofBytes(DType.I8, new long[] {4}, raw).toLongArray());
        assertArrayEquals(new long[] {255, 0, 127, 128}, TensorData.ofBytes(DType.U8, new long[] {4}, raw).toLongArray());
        assertArrayEquals(new long[] {1, 0, 1, 1}, TensorData.ofBytes(DType.BOOL, new long[] {4}, raw).toLongArray());
        assertArrayEquals(new long[] {0x00FF, 0xFFFF807FL - 0x100000000L},
                TensorData.ofBytes(DType.I16, new long[] {2}, raw).toLongArray());
        assertArrayEquals(new long[] {0x807F00FFL - 0x100000000L},
                TensorData.ofBytes(DType.I32, new long[] {1}, raw).toLongArray());
        assertThrows(ResNet4jException.class, () -> TensorData.ofBytes(DType.I32, new long[] {1}, raw).toFloatArray());
        assertThrows(ResNet4jException.class, () -> TensorData.ofFloats(new long[] {1}, new float[] {1}).toLongArray());
    }

    @Test
    void factoriesCheckTheElementCountAndLayoutIsLittleEndian() {
        TensorData t = TensorData.ofFloats(new long[] {2}, new float[] {1f, -2f});
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0}, t.toByteArray());
        TensorData l = TensorData.ofLongs(new long[] {}, new long[] {258});
        assertArrayEquals(new byte[] {2, 1, 0, 0, 0, 0, 0, 0}, l.toByteArray());
        assertEquals(1, l.numel());
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofFloats(new long[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofLongs(new long[] {-1}, new long[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorData(DType.F32, new long[] {Long.MAX_VALUE, 4}, ByteBuffer.allocate(0)));
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofBytes(DType.I64, new long[] {1}, new byte[7]));
        assertEquals(0, TensorData.ofFloats(new long[] {3, 0}, new float[0]).byteSize());
    }

    @Test
    void isImmutable() {
        long[] shape = {2};
        float[] v = {1f, 2f};
        TensorData t = TensorData.ofFloats(shape, v);
        shape[0] = 5;
        v[0] = 9f;
        t.shape()[0] = 7;
        ByteBuffer d = t.data();
        d.getFloat(); // moving one view's position must not affect the next view
        assertThrows(ReadOnlyBufferException.class, () -> d.putFloat(0, 3f));
        assertArrayEquals(new long[] {2}, t.shape());
        assertArrayEquals(new float[] {1f, 2f}, t.toFloatArray());
        assertEquals(0, t.data().position());
        assertEquals(TensorData.ofFloats(new long[] {2}, new float[] {1f, 2f}), t);
        assertNotEquals(TensorData.ofFloats(new long[] {1, 2}, new float[] {1f, 2f}), t);
    }
}
