package io.resnet4j.io;

import io.resnet4j.ResNet4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.resnet4j.io.TestFiles.concat;
import static io.resnet4j.io.TestFiles.entry;
import static io.resnet4j.io.TestFiles.file;
import static io.resnet4j.io.TestFiles.u64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One test per way a header can be wrong: each must be a WeightsFormatException naming the file and the fault. */
class SafeTensorsHostileTest {

    @TempDir
    Path dir;

    private Path write(byte[] content) throws IOException {
        Path p = dir.resolve("model.safetensors");
        Files.write(p, content);
        return p;
    }

    /** Asserts open() refuses the content with a one-line message "<path>: ..." containing {@code phrase}. */
    private WeightsFormatException assertRefused(byte[] content, String phrase) throws IOException {
        Path p = write(content);
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> SafeTensorsFile.open(p).close());
        String m = e.getMessage();
        assertTrue(m.startsWith(p + ": "), m);
        assertTrue(m.contains(phrase), "expected '" + phrase + "' in: " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        return e;
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "{" + entry(name, dtype, shape, begin, end) + "}";
    }

    // --- the 8-byte length and the file size

    @Test
    void emptyFile() throws IOException {
        assertRefused(new byte[0], "the file is empty");
    }

    @Test
    void shorterThanTheLengthField() throws IOException {
        assertRefused(new byte[] {8, 0, 0, 0, 0}, "only 5 bytes, shorter than the 8-byte header length");
    }

    @Test
    void headerLengthZero() throws IOException {
        assertRefused(concat(u64(0), "{}      ".getBytes(StandardCharsets.US_ASCII)), "header length is 0");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        assertRefused(concat(u64(64), "{}      ".getBytes(StandardCharsets.US_ASCII)),
                "header length 64 reaches past the end of the file, which has only 8 bytes after the length field");
    }

    @Test
    void headerLengthAboveTheCap() throws IOException {
        assertRefused(concat(u64(100L * 1024 * 1024 + 1), "{}      ".getBytes(StandardCharsets.US_ASCII)),
                "header length 104857601 is above the limit of 104857600 bytes");
        // An unsigned u64 with the top bit set must not pass as a negative number.
        assertRefused(concat(u64(-1L), "{}      ".getBytes(StandardCharsets.US_ASCII)),
                "header length 18446744073709551615 is above the limit");
    }

    @Test
    void headerLengthAboveTheCapInALargeSparseFile() throws IOException {
        // The file really is that long, so only the cap can refuse it; nothing of that size may be allocated.
        Path p = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(u64(200L * 1024 * 1024));
            raf.setLength(8 + 200L * 1024 * 1024 + 16);
        }
        WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> SafeTensorsFile.open(p));
        assertTrue(e.getMessage().contains("above the limit"), e.getMessage());
    }

    // --- the header's text

    @Test
    void invalidUtf8() throws IOException {
        assertRefused(file(new byte[] {'{', '"', (byte) 0xC3, '(', '"', ':', '1', '}'}, new byte[0]),
                "the JSON header is not valid UTF-8");
    }

    @Test
    void overlongUtf8AndEncodedSurrogatesAreInvalidToo() throws IOException {
        // A strict decoder refuses both; a lenient one would turn them into '/' or a lone surrogate.
        assertRefused(file(new byte[] {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '1', '}'}, new byte[0]),
                "not valid UTF-8");
        assertRefused(file(new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'},
                new byte[0]), "not valid UTF-8");
        // Truncated multi-byte sequence at the very end of the header.
        assertRefused(concat(u64(3), new byte[] {'{', '}', (byte) 0xE2}), "not valid UTF-8");
    }

    @Test
    void invalidJson() throws IOException {
        assertRefused(file("{\"a\": {\"dtype\": \"F32\",", 0), "the JSON header is not valid JSON");
        assertRefused(file("{'a': 1}", 0), "not valid JSON");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,4]}}", 4), "not valid JSON");
        // NUL padding instead of spaces.
        assertRefused(concat(u64(8), new byte[] {'{', '}', 0, 0, 0, 0, 0, 0}), "not valid JSON");
    }

    @Test
    void byteOrderMarkIsNotJson() throws IOException {
        assertRefused(file(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}, new byte[0]),
                "not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertRefused(file("[1, 2]", 0), "the JSON header is not a JSON object");
        assertRefused(file("\"text\"", 0), "not a JSON object");
        assertRefused(file("null", 0), "not a JSON object");
        assertRefused(file("        ", 0), "the JSON header is blank");
    }

    @Test
    void contentAfterTheObject() throws IOException {
        assertRefused(file("{} {}", 0), "content after the closing brace");
        assertRefused(file("{}x", 0), "not valid JSON");
    }

    @Test
    void deepNestingIsRefusedCheaply() throws IOException {
        assertRefused(file("{\"__metadata__\":" + "[".repeat(100_000) + "}", 0), "__metadata__ is not a JSON object");
        assertRefused(file("[".repeat(100_000), 0), "not a JSON object");
        assertRefused(file("{\"a\":{\"x\":" + "[".repeat(100_000) + "}}", 0), "unexpected field 'x'");
    }

    @Test
    void duplicateKeys() throws IOException {
        String a = entry("a", "F32", "[1]", 0, 4);
        assertRefused(file("{" + a + "," + a + "}", 4), "duplicate key 'a' in the JSON header");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "duplicate key 'dtype' in the entry of tensor 'a'");
        assertRefused(file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0), "duplicate key 'k' in __metadata__");
        assertRefused(file("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "duplicate key '__metadata__'");
    }

    // --- tensor entries

    @Test
    void entryNotAnObject() throws IOException {
        assertRefused(file("{\"a\":[0,4]}", 4), "tensor 'a': its entry is not a JSON object");
        assertRefused(file("{\"a\":\"F32\"}", 0), "tensor 'a': its entry is not a JSON object");
    }

    @Test
    void missingFields() throws IOException {
        assertRefused(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a': missing field 'dtype'");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "tensor 'a': missing field 'shape'");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'a': missing field 'data_offsets'");
        assertRefused(file("{\"a\":{}}", 0), "missing field");
    }

    @Test
    void extraField() throws IOException {
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"offset\":0}}", 4),
                "tensor 'a': unexpected field 'offset'");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRefused(file(tensor("a", "F8_E4M3", "[1]", 0, 1), 1), "tensor 'a': unknown dtype 'F8_E4M3'");
        assertRefused(file(tensor("a", "f32", "[1]", 0, 4), 4), "unknown dtype 'f32'");
        assertRefused(file("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a': dtype is not a string");
    }

    @Test
    void shapeNotAnArrayOfNaturals() throws IOException {
        String rule = "tensor 'a': shape must be an array of non-negative integers";
        assertRefused(file(tensor("a", "F32", "4", 0, 16), 16), rule + ", but is the number 4");
        assertRefused(file(tensor("a", "F32", "[-1]", 0, 4), 4), rule + ", but contains -1");
        assertRefused(file(tensor("a", "F32", "[1.0]", 0, 4), 4), rule + ", but contains the non-integer 1.0");
        assertRefused(file(tensor("a", "F32", "[1e2]", 0, 400), 400), "the non-integer 1e2");
        assertRefused(file(tensor("a", "F32", "[\"2\"]", 0, 8), 8), "the string '2'");
        assertRefused(file(tensor("a", "F32", "[[2]]", 0, 8), 8), "a nested array");
        assertRefused(file(tensor("a", "F32", "[null]", 0, 8), 8), rule + ", but contains null");
        assertRefused(file(tensor("a", "F32", "[9223372036854775808]", 0, 8), 8),
                "contains 9223372036854775808, which does not fit in a 64-bit integer");
    }

    @Test
    void elementCountOverflow() throws IOException {
        // Each dimension fits in a long; their product, or the product times 4 bytes, does not.
        assertRefused(file(tensor("a", "F32", "[4294967296,4294967296]", 0, 0), 0),
                "tensor 'a': shape [4294967296, 4294967296] of F32 is too large: its byte size overflows");
        assertRefused(file(tensor("a", "F32", "[4611686018427387904]", 0, 0), 0), "overflows a 64-bit integer");
        assertRefused(file(tensor("a", "I64", "[3, 3037000500, 3037000500]", 0, 0), 0), "overflows");
    }

    @Test
    void aHugeDimensionTimesZeroIsAValidEmptyTensor() throws IOException {
        // As in the official library: the running product never overflows, so this is 0 elements, not an error.
        Path p = write(file(tensor("a", "I64", "[9223372036854775807, 0]", 0, 0), 0));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(0, f.find("a").orElseThrow().numel());
            assertEquals(0, f.readLongs("a").length);
        }
    }

    @Test
    void dataOffsetsNotTwoNaturals() throws IOException {
        String rule = "tensor 'a': data_offsets must be two non-negative integers [begin, end]";
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8), rule + ", but has 3 elements");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4), rule + ", but has 1 element");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4), rule + ", but contains -4");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4), "the non-integer 4.0");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0-4\"}}", 4), rule + ", but is the string '0-4'");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"begin\":0}}}", 4), rule + ", but is an object");
    }

    @Test
    void beginAfterEnd() throws IOException {
        assertRefused(file(tensor("a", "F32", "[1]", 8, 4), 8), "tensor 'a': data_offsets [8, 4] end before they begin");
    }

    @Test
    void endBeyondTheDataSection() throws IOException {
        assertRefused(file(tensor("a", "F32", "[1000]", 0, 4000), 3000),
                "tensor 'a': data_offsets [0, 4000] reach past the end of the data section, which has 3000 bytes");
        // Offsets near 2^63 must not wrap around.
        assertRefused(file(tensor("a", "U8", "[4]", 9223372036854775803L, 9223372036854775807L), 4),
                "reach past the end of the data section");
    }

    @Test
    void sizeDoesNotMatchTheShape() throws IOException {
        assertRefused(file(tensor("fc.weight", "F32", "[10, 64]", 0, 12), 12),
                "tensor 'fc.weight': data_offsets [0, 12] hold 12 bytes but shape [10, 64] of F32 needs 2560");
        // A scalar is one element, not zero.
        assertRefused(file(tensor("loss", "F32", "[]", 0, 0), 0), "hold 0 bytes but shape [] of F32 needs 4");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRefused(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12),
                "tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a' (data_offsets [0, 8])");
        // Two tensors sharing the same bytes.
        assertRefused(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 0, 8) + "}", 8),
                "overlaps tensor");
        // An empty tensor inside another one.
        assertRefused(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("z", "F32", "[0]", 4, 4) + "}", 8),
                "tensor 'z' (data_offsets [4, 4]) overlaps tensor 'a'");
    }

    @Test
    void gapBetweenTensors() throws IOException {
        assertRefused(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 12, 20) + "}", 20),
                "bytes 8 to 12 of the data section belong to no tensor (a gap before tensor 'b')");
        assertRefused(file(tensor("a", "F32", "[1]", 4, 8), 8), "bytes 0 to 4 of the data section belong to no tensor");
    }

    @Test
    void bytesAfterTheLastTensor() throws IOException {
        assertRefused(file(tensor("a", "F32", "[1]", 0, 4), 12),
                "the last 8 bytes of the data section (from offset 4 to 12) belong to no tensor");
        assertRefused(file("{}", 1), "the last 1 bytes of the data section");
    }

    @Test
    void metadataNotStringToString() throws IOException {
        assertRefused(file("{\"__metadata__\":[\"a\"]}", 0), "__metadata__ is not a JSON object");
        assertRefused(file("{\"__metadata__\":null}", 0), "__metadata__ is not a JSON object");
        assertRefused(file("{\"__metadata__\":{\"epoch\":3}}", 0), "__metadata__ value of 'epoch' is not a string");
        assertRefused(file("{\"__metadata__\":{\"a\":null}}", 0), "value of 'a' is not a string");
        assertRefused(file("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", 0), "value of 'a' is not a string");
    }

    @Test
    void hugeNumbersAndLongTextStayBounded() throws IOException {
        assertRefused(file(tensor("a", "F32", "[" + "9".repeat(5000) + "]", 0, 4), 4), "not valid JSON");
        WeightsFormatException e = assertRefused(file(tensor("x".repeat(10_000), "F33", "[1]", 0, 4), 4),
                "unknown dtype 'F33'");
        assertTrue(e.getMessage().length() < 400, "long names are shortened in messages");
    }

    @Test
    void controlCharactersInNamesDoNotBreakTheMessageLine() throws IOException {
        WeightsFormatException e = assertRefused(file(tensor("a\\nb\\u2028c", "F99", "[1]", 0, 4), 4), "unknown dtype");
        assertTrue(e.getMessage().contains("a\\u000ab\\u2028c"), e.getMessage());
    }

    // --- reading after a successful open

    @Test
    void missingTensorAndWrongKind() throws IOException {
        Path p = write(file("{" + entry("x", "F32", "[1]", 0, 4) + "," + entry("n", "I64", "[1]", 4, 12) + "}", 12));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> f.read("fc.weight"));
            assertEquals(p + ": there is no tensor 'fc.weight'", e.getMessage());
            assertTrue(assertThrows(WeightsFormatException.class, () -> f.readFloats("n")).getMessage()
                    .endsWith("tensor 'n' is I64, not a floating-point tensor"));
            assertTrue(assertThrows(WeightsFormatException.class, () -> f.readLongs("x")).getMessage()
                    .endsWith("tensor 'x' is F32, not an integer tensor"));
        }
    }

    @Test
    void fileTruncatedAfterOpening() throws IOException {
        Path p = write(file(tensor("x", "F32", "[4]", 0, 16), 16));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                raf.setLength(Files.size(p) - 6);
            }
            WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> f.read("x"));
            assertTrue(e.getMessage().contains("the file ended while reading tensor 'x'"), e.getMessage());
        }
    }

    @Test
    void readingAfterCloseIsAProjectError() throws IOException {
        Path p = write(file(tensor("x", "F32", "[1]", 0, 4), 4));
        SafeTensorsFile f = SafeTensorsFile.open(p);
        f.close();
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> f.read("x"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void missingFileAndDirectoryAreProjectErrorsNamingThePath() {
        Path missing = dir.resolve("nope.safetensors");
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> SafeTensorsFile.open(missing));
        assertFalse(e instanceof WeightsFormatException);
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        e = assertThrows(ResNet4jException.class, () -> SafeTensorsFile.open(dir));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("directory"), e.getMessage());
    }
}
