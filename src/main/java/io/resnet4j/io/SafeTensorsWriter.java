package io.resnet4j.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.resnet4j.ResNet4jException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Writes safetensors files, atomically (see {@link AtomicFiles}): an existing file is replaced only once the new
 * one is completely on disk, and survives any failure.
 *
 * <p>Tensors are laid out contiguously in the map's iteration order (use a {@link java.util.LinkedHashMap}), the
 * JSON header is compact UTF-8 padded with spaces to a multiple of 8 bytes, so the data section starts 8-byte
 * aligned. Files written here open with {@link SafeTensorsFile} and with the official safetensors library.
 */
public final class SafeTensorsWriter {

    private static final JsonFactory JSON = new JsonFactory();

    private SafeTensorsWriter() {
    }

    /**
     * Writes {@code tensors} and {@code metadata} to {@code path}, replacing it atomically.
     *
     * @param path     the file to create or replace; its directory must exist
     * @param tensors  name to tensor, written in iteration order; names must not be {@code "__metadata__"}
     * @param metadata string-to-string metadata, or null or empty for none
     * @throws IllegalArgumentException if a tensor is named {@code "__metadata__"}
     * @throws ResNet4jException        if the file cannot be written (the old file, if any, is untouched)
     */
    public static void write(Path path, Map<String, TensorData> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(path, "path");
        byte[] header = header(tensors, metadata);
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
        AtomicFiles.writeChannel(path, channel -> {
            AtomicFiles.writeFully(channel, length);
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
            for (TensorData t : tensors.values()) {
                AtomicFiles.writeFully(channel, t.data());
            }
        });
    }

    /**
     * The JSON header as written to the file, already padded: {@code __metadata__} first (if any), then one entry
     * per tensor with consecutive data offsets.
     */
    static byte[] header(Map<String, TensorData> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + 96 * tensors.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart(SafeTensorsFile.METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    g.writeStringField(Objects.requireNonNull(m.getKey(), "metadata key"),
                            Objects.requireNonNull(m.getValue(), "metadata value"));
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
                String name = Objects.requireNonNull(e.getKey(), "tensor name");
                TensorData t = Objects.requireNonNull(e.getValue(), "tensor " + name);
                if (SafeTensorsFile.METADATA_KEY.equals(name)) {
                    throw new IllegalArgumentException("a tensor cannot be named " + SafeTensorsFile.METADATA_KEY);
                }
                long end = Math.addExact(offset, t.byteSize());
                g.writeObjectFieldStart(name);
                g.writeStringField("dtype", t.dtype().code());
                g.writeFieldName("shape");
                long[] shape = t.shape();
                g.writeArray(shape, 0, shape.length);
                g.writeFieldName("data_offsets");
                g.writeArray(new long[] {offset, end}, 0, 2);
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        } catch (IOException e) {
            // Writing to memory fails only on text JSON cannot encode, such as a lone UTF-16 surrogate.
            throw new ResNet4jException("cannot write a safetensors header: a tensor name or metadata string is not"
                    + " valid Unicode text (" + WeightsFormatException.clean(e.getMessage(), 200) + ")", e);
        }
        int n = out.size();
        int padded = (n + 7) & ~7;
        if (padded > SafeTensorsFile.MAX_HEADER_BYTES) {
            throw new ResNet4jException("the safetensors header would have " + padded
                    + " bytes, above the limit of " + SafeTensorsFile.MAX_HEADER_BYTES + " bytes (100 MiB)");
        }
        byte[] header = Arrays.copyOf(out.toByteArray(), padded);
        Arrays.fill(header, n, padded, (byte) ' ');
        return header;
    }
}
