package io.resnet4j.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as a safetensors header describes it: its name, dtype, shape and byte range in the data section.
 *
 * <p>{@link SafeTensorsFile} only hands out entries it has validated, so {@code end - begin} is exactly
 * {@code numel() * dtype.byteSize()}.
 *
 * @param name  the tensor's name (the header key)
 * @param dtype its element type
 * @param shape its dimensions, row-major; an empty array is a scalar (one element)
 * @param begin first byte of its data, relative to the start of the data section
 * @param end   one past its last byte, relative to the start of the data section
 */
public record TensorEntry(String name, DType dtype, long[] shape, long begin, long end) {

    /** Copies the shape so the entry stays immutable. */
    public TensorEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
    }

    /** @return a copy of the shape */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of dimensions (0 for a scalar) */
    public int rank() {
        return shape.length;
    }

    /** @return the number of elements: the product of the shape, 1 for a scalar */
    public long numel() {
        return TensorData.numel(shape);
    }

    /** @return the number of data bytes, {@code end - begin} */
    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry e && name.equals(e.name) && dtype == e.dtype
                && Arrays.equals(shape, e.shape) && begin == e.begin && end == e.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return "TensorEntry[" + name + " " + dtype + " " + TensorData.shapeString(shape)
                + " data_offsets [" + begin + ", " + end + "]]";
    }
}
