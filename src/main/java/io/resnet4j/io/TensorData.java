package io.resnet4j.io;

import io.resnet4j.ResNet4jException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable in-memory tensor in safetensors layout: a dtype, a shape and the raw little-endian, row-major bytes.
 *
 * <p>The buffer holds exactly {@code numel() * dtype.byteSize()} bytes. It is kept read-only, and
 * {@link #data()} hands out an independent view positioned at 0, so callers cannot disturb each other.
 *
 * @param dtype the element type
 * @param shape the dimensions, row-major; an empty array is a scalar (one element)
 * @param data  the raw little-endian bytes, from the buffer's position to its limit
 */
public record TensorData(DType dtype, long[] shape, ByteBuffer data) {

    /** Largest array the JVM reliably allocates; tensors above it cannot be materialized as one Java array. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * Checks that the bytes match the shape and dtype, and keeps a read-only view of them (not a copy:
     * the caller must not change the bytes afterwards).
     *
     * @throws IllegalArgumentException if a dimension is negative, the size overflows, or the buffer's
     *                                  remaining bytes are not {@code numel * dtype.byteSize()}
     */
    public TensorData {
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        Objects.requireNonNull(data, "data");
        long bytes;
        try {
            bytes = Math.multiplyExact(numel(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " of " + dtype + " is too large");
        }
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("tensor data has " + data.remaining() + " bytes but shape "
                    + shapeString(shape) + " of " + dtype + " needs " + bytes);
        }
        data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * An F32 tensor holding a copy of {@code values}.
     *
     * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
     */
    public static TensorData ofFloats(long[] shape, float[] values) {
        checkCount(shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new TensorData(DType.F32, shape, b);
    }

    /**
     * An I64 tensor holding a copy of {@code values}.
     *
     * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
     */
    public static TensorData ofLongs(long[] shape, long[] values) {
        checkCount(shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new TensorData(DType.I64, shape, b);
    }

    /**
     * A tensor of any dtype from its raw little-endian bytes (copied).
     *
     * @throws IllegalArgumentException if the byte count does not match the shape and dtype
     */
    public static TensorData ofBytes(DType dtype, long[] shape, byte[] littleEndianBytes) {
        return new TensorData(dtype, shape, ByteBuffer.wrap(littleEndianBytes.clone()));
    }

    /** @return a copy of the shape */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return a read-only little-endian view of the bytes, position 0, limit {@link #byteSize()} */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** @return a copy of the raw little-endian bytes */
    public byte[] toByteArray() {
        byte[] out = new byte[data.remaining()];
        data.duplicate().get(out);
        return out;
    }

    /** @return the number of elements: the product of the shape, 1 for a scalar */
    public long numel() {
        return numel(shape);
    }

    /** @return the number of data bytes */
    public long byteSize() {
        return data.remaining();
    }

    /**
     * The elements as floats: F32 as is, F64 rounded to nearest, F16 and BF16 widened exactly.
     *
     * @throws ResNet4jException if the dtype is not a floating-point type
     */
    public float[] toFloatArray() {
        if (!dtype.isFloatingPoint()) {
            throw new ResNet4jException("a " + dtype + " tensor cannot be read as floating-point values");
        }
        int n = (int) numel(); // fits: a ByteBuffer holds at most 2^31-1 bytes
        float[] out = new float[n];
        ByteBuffer b = data();
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(b.getShort(i * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /**
     * The elements as longs: signed types sign-extended, U8 as 0..255, BOOL as 0 or 1.
     *
     * @throws ResNet4jException if the dtype is a floating-point type
     */
    public long[] toLongArray() {
        if (!dtype.isIntegral()) {
            throw new ResNet4jException("a " + dtype + " tensor cannot be read as integer values");
        }
        int n = (int) numel();
        long[] out = new long[n];
        ByteBuffer b = data();
        switch (dtype) {
            case I64 -> b.asLongBuffer().get(out);
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getInt(i * 4);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.getShort(i * 2);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) & 0xff;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = b.get(i) != 0 ? 1 : 0;
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /** IEEE 754 binary16 to binary32; exact, since every half value is a float. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) { // infinity or NaN: keep the payload
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) { // zero or subnormal: mant * 2^-24
            float f = mant * 0x1p-24f;
            return sign != 0 ? -f : f;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /**
     * The element count of a shape (1 for a scalar).
     *
     * @throws IllegalArgumentException if a dimension is negative
     * @throws ArithmeticException      if the product overflows a long
     */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + shapeString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Formats a shape as the messages and the format's documentation write it: {@code [10, 64]}. */
    static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }

    private static void checkCount(long[] shape, int count) {
        long n;
        try {
            n = numel(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " is too large");
        }
        if (n != count) {
            throw new IllegalArgumentException(count + " values given for shape " + shapeString(shape)
                    + ", which has " + n + " elements");
        }
    }

    /** Equal when dtype, shape and bytes are all equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && dtype == t.dtype && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), data);
    }

    @Override
    public String toString() {
        return "TensorData[" + dtype + " " + shapeString(shape) + ", " + data.remaining() + " bytes]";
    }
}
