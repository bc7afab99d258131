package io.resnet4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsRoundTripTest {

    @TempDir
    Path dir;

    /** Every dtype, a scalar, empty tensors, and byte patterns (NaN payloads, -0.0) that must survive unchanged. */
    static Map<String, TensorData> sample() {
        Map<String, TensorData> m = new LinkedHashMap<>();
        m.put("conv.weight", TensorData.ofFloats(new long[] {2, 1, 2, 2},
                new float[] {1f, -2.5f, 0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 3.25e-20f, 7f}));
        m.put("scalar", TensorData.ofFloats(new long[] {}, new float[] {Float.intBitsToFloat(0x7fc12345)}));
        m.put("empty", TensorData.ofFloats(new long[] {0}, new float[0]));
        m.put("labels", TensorData.ofLongs(new long[] {3}, new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}));
        m.put("bf16", TensorData.ofBytes(DType.BF16, new long[] {2, 2},
                new byte[] {(byte) 0x80, 0x3F, 0x01, (byte) 0xFF, (byte) 0xC1, 0x7F, 0x00, (byte) 0x80}));
        m.put("f16", TensorData.ofBytes(DType.F16, new long[] {3}, new byte[] {0x00, 0x3C, 0x01, 0x7E, (byte) 0xFF, 0x7B}));
        m.put("f64", TensorData.ofBytes(DType.F64, new long[] {1}, new byte[] {1, 2, 3, 4, 5, 6, (byte) 0xF8, 0x7F}));
        m.put("i32", TensorData.ofBytes(DType.I32, new long[] {1}, new byte[] {1, 2, 3, (byte) 0x84}));
        m.put("i16", TensorData.ofBytes(DType.I16, new long[] {1}, new byte[] {1, (byte) 0x82}));
        m.put("i8", TensorData.ofBytes(DType.I8, new long[] {2}, new byte[] {-1, 5}));
        m.put("u8", TensorData.ofBytes(DType.U8, new long[] {2}, new byte[] {-1, 5}));
        m.put("mask", TensorData.ofBytes(DType.BOOL, new long[] {1, 3}, new byte[] {1, 0, 1}));
        m.put("empty3d", TensorData.ofBytes(DType.I64, new long[] {2, 0, 3}, new byte[0]));
        m.put("näme \"quoted\"\n", TensorData.ofFloats(new long[] {1}, new float[] {42f}));
        return m;
    }

    @Test
    void writeThenReadIsBitExact() throws IOException {
        Map<String, TensorData> tensors = sample();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("ünïcode \"quote\"", "line\nbreak");
        Path p = dir.resolve("round.safetensors");
        SafeTensorsWriter.write(p, tensors, meta);

        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(meta, f.metadata());
            assertEquals(new ArrayList<>(tensors.keySet()), f.entries().stream().map(TensorEntry::name).toList());
            for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
                TensorData back = f.read(e.getKey());
                assertEquals(e.getValue().dtype(), back.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
                assertArrayEquals(e.getValue().toByteArray(), back.toByteArray(), e.getKey());
                assertEquals(e.getValue(), back);
            }
            assertEquals(Long.MIN_VALUE, f.readLongs("labels")[0]);
            assertEquals(0x7fc12345, Float.floatToRawIntBits(f.readFloats("scalar")[0]));
            assertEquals(0, f.readFloats("empty").length);
        }
    }

    /** The bytes on disk, checked with a separate JSON parser: padding, order, offsets, little-endian data. */
    @Test
    void writtenLayoutFollowsTheFormat() throws IOException {
        Map<String, TensorData> tensors = sample();
        Path p = dir.resolve("layout.safetensors");
        SafeTensorsWriter.write(p, tensors, Map.of("k", "v"));
        byte[] b = Files.readAllBytes(p);
        long n = TestFiles.readU64(b, 0);
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        assertTrue(header.length() - json.length() < 8);

        JsonNode root = new ObjectMapper().readTree(json);
        assertEquals("v", root.get("__metadata__").get("k").asText());
        Iterator<String> names = root.fieldNames();
        long cursor = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            String name = names.next();
            if (name.equals("__metadata__")) {
                name = names.next();
            }
            assertEquals(e.getKey(), name);
            JsonNode t = root.get(name);
            assertEquals(e.getValue().dtype().code(), t.get("dtype").asText());
            assertEquals(cursor, t.get("data_offsets").get(0).asLong());
            cursor += e.getValue().byteSize();
            assertEquals(cursor, t.get("data_offsets").get(1).asLong());
            int at = (int) (8 + n + t.get("data_offsets").get(0).asLong());
            assertArrayEquals(e.getValue().toByteArray(), Arrays.copyOfRange(b, at, (int) (at + e.getValue().byteSize())));
        }
        assertEquals(8 + n + cursor, b.length);
        // Little-endian on disk: 1.0f is 00 00 80 3F.
        int at = (int) (8 + n);
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, Arrays.copyOfRange(b, at, at + 4));
    }

    /** Re-writing a reference fixture reproduces its data section byte for byte, and the same header content. */
    @Test
    void rewritingAFixtureKeepsEveryByteOfData() throws IOException {
        Path src = TestFiles.fixture("dev_v1_basic.io.safetensors");
        Path out = dir.resolve("copy.safetensors");
        Map<String, TensorData> all = new LinkedHashMap<>();
        Map<String, String> meta;
        try (SafeTensorsFile f = SafeTensorsFile.open(src)) {
            for (TensorEntry e : f.entries()) {
                all.put(e.name(), f.read(e.name()));
            }
            meta = f.metadata();
            SafeTensorsWriter.write(out, all, meta);
        }
        byte[] a = Files.readAllBytes(src);
        byte[] b = Files.readAllBytes(out);
        int na = (int) TestFiles.readU64(a, 0);
        int nb = (int) TestFiles.readU64(b, 0);
        assertArrayEquals(Arrays.copyOfRange(a, 8 + na, a.length), Arrays.copyOfRange(b, 8 + nb, b.length));
        ObjectMapper om = new ObjectMapper();
        assertEquals(om.readTree(new String(a, 8, na, StandardCharsets.UTF_8)),
                om.readTree(new String(b, 8, nb, StandardCharsets.UTF_8)));
        try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
            assertEquals(meta, f.metadata());
            for (TensorEntry e : f.entries()) {
                assertEquals(all.get(e.name()), f.read(e.name()));
            }
        }
    }

    @Test
    void writingReplacesAnExistingFileAndNeedsNoMetadata() throws IOException {
        Path p = dir.resolve("w.safetensors");
        SafeTensorsWriter.write(p, sample(), Map.of("old", "yes"));
        Map<String, TensorData> one = Map.of("x", TensorData.ofFloats(new long[] {1}, new float[] {5f}));
        SafeTensorsWriter.write(p, one, null);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(Map.of(), f.metadata());
            assertEquals(List.of("x"), f.entries().stream().map(TensorEntry::name).toList());
            assertArrayEquals(new float[] {5f}, f.readFloats("x"));
        }
        try (var s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList(), "no temporary file left behind");
        }
        // An empty file (no tensors, no metadata) is valid too.
        SafeTensorsWriter.write(p, Map.of(), Map.of());
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertTrue(f.entries().isEmpty());
            assertEquals(16, Files.size(p)); // 8-byte length + "{}" padded to 8
        }
    }

    @Test
    void reservedNameIsRefused() {
        Path p = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(p,
                Map.of("__metadata__", TensorData.ofFloats(new long[] {}, new float[] {1})), null));
        assertTrue(Files.notExists(p));
    }

    @Test
    void dataViewsAreLittleEndianAndIndependent() {
        Path p = dir.resolve("v.safetensors");
        SafeTensorsWriter.write(p, Map.of("x", TensorData.ofFloats(new long[] {2}, new float[] {1f, 2f})), null);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            ByteBuffer d = f.read("x").data();
            assertEquals(ByteOrder.LITTLE_ENDIAN, d.order());
            assertEquals(2f, d.getFloat(4));
        }
    }
}
