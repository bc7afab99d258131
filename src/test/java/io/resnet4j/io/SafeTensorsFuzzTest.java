package io.resnet4j.io;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded mutation fuzzing from the corpus in src/test/resources/safetensors-corpus. For every mutant, open() plus
 * reading every tensor must either succeed or throw exactly {@link WeightsFormatException}; and the verdict must
 * agree with {@link #oracle}, a separate, deliberately simple implementation of the format's rules (Jackson tree
 * model, BigInteger arithmetic, a byte-coverage bitmap), whose accepted files must read back exactly the bytes the
 * oracle locates.
 */
class SafeTensorsFuzzTest {

    /** Fixed so failures reproduce; -Dresnet4j.fuzz.seed=N and -Dresnet4j.fuzz.iterations=N explore further. */
    private static final long SEED = Long.getLong("resnet4j.fuzz.seed", 0x5AFE_7E25L);
    private static final int ITERATIONS = Integer.getInteger("resnet4j.fuzz.iterations", 4000);

    @TempDir
    Path dir;

    @Test
    void mutantsAreEitherReadConsistentlyOrRefusedWithWeightsFormatException() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        List<byte[]> validSeeds = new ArrayList<>();
        try (Stream<Path> s = Files.list(SafeTensorsCorpusTest.CORPUS)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                seeds.add(Files.readAllBytes(p));
                if (p.getFileName().toString().startsWith("valid-")) {
                    validSeeds.add(seeds.get(seeds.size() - 1));
                }
            }
        }
        assertTrue(seeds.size() >= 10 && validSeeds.size() >= 4, "corpus present");
        Random rnd = new Random(SEED);
        Path target = dir.resolve("mutant.safetensors");
        int[] verdicts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < ITERATIONS; i++) {
                // Mostly valid seeds: mutants near the valid/invalid boundary are the interesting ones.
                List<byte[]> from = rnd.nextInt(3) > 0 ? validSeeds : seeds;
                byte[] b = from.get(rnd.nextInt(from.size()));
                StringBuilder log = new StringBuilder();
                int roll = rnd.nextInt(10);
                int rounds = roll < 6 ? 1 : roll < 9 ? 2 : 3;
                for (int r = 0; r < rounds; r++) {
                    b = mutate(b, rnd, seeds, log);
                }
                Files.write(target, b);
                verdicts[check(target, b, i, log.toString()) ? 1 : 0]++;
            }
        });
        System.out.println("safetensors fuzz: " + ITERATIONS + " mutants, " + verdicts[1] + " accepted, " + verdicts[0]
                + " refused");
        // A fuzzer that only ever produces garbage (or never breaks anything) tests little.
        assertTrue(verdicts[1] > ITERATIONS / 20, "accepted mutants: " + verdicts[1]);
        assertTrue(verdicts[0] > ITERATIONS / 2, "refused mutants: " + verdicts[0]);
    }

    /** @return true if the mutant was accepted */
    private static boolean check(Path p, byte[] bytes, int iteration, String how) {
        Oracle expected = oracle(bytes);
        String context = "iteration " + iteration + " (" + how + "), oracle: "
                + (expected.valid ? "valid" : "invalid: " + expected.why) + ", file: " + hex(bytes);
        SafeTensorsFile f;
        try {
            f = SafeTensorsFile.open(p);
        } catch (WeightsFormatException e) {
            if (expected.valid) {
                fail("refused a valid file: " + e.getMessage() + "; " + context);
            }
            if (!e.getMessage().startsWith(p + ": ") || e.getMessage().contains("\n")) {
                fail("bad message: " + e.getMessage() + "; " + context);
            }
            return false;
        } catch (Throwable t) {
            throw new AssertionError("open threw " + t + "; " + context, t);
        }
        try (f) {
            if (!expected.valid) {
                fail("accepted an invalid file; " + context);
            }
            assertEquals(expected.names, f.entries().stream().map(TensorEntry::name).toList(), context);
            assertEquals(expected.metadata, f.metadata(), context);
            for (TensorEntry e : f.entries()) {
                long[] where = expected.offsets.get(e.name());
                assertEquals(where[0], e.begin(), context);
                assertEquals(where[1], e.end(), context);
                assertEquals(e.byteSize(), e.numel() * e.dtype().byteSize(), context);
                TensorData t = f.read(e.name());
                int at = (int) (expected.dataStart + e.begin());
                assertArrayEquals(Arrays.copyOfRange(bytes, at, (int) (at + e.byteSize())), t.toByteArray(), context);
                int n = e.dtype().isFloatingPoint() ? f.readFloats(e.name()).length : f.readLongs(e.name()).length;
                assertEquals(e.numel(), n, context);
            }
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("reading threw " + t + "; " + context, t);
        }
        return true;
    }

    // ---------------------------------------------------------------- mutations

    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
    private static final Pattern DTYPE = Pattern.compile("\"dtype\"\\s*:\\s*\"[^\"]*\"");
    private static final Pattern SHAPE = Pattern.compile("\"shape\"\\s*:\\s*\\[[^\\]]*\\]");
    private static final Pattern OFFSETS = Pattern.compile("\"data_offsets\"\\s*:\\s*\\[[^\\]]*\\]");
    private static final Pattern ENTRY = Pattern.compile("\"[^\"]*\"\\s*:\\s*\\{[^{}]*\\}");
    private static final String[] NUMBERS = {"-1", "0", "1", "2", "4", "8", "-0", "1.0", "1e3", "4294967296",
            "9223372036854775807", "9223372036854775808", "99999999999999999999", "3037000500", "4611686018427387904"};
    private static final String[] CODES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL",
            "F8_E4M3", "U16", "f32", "", "F32 "};
    private static final String[] SHAPES = {"[]", "[0]", "[1]", "[2,2]", "[-1]", "[1,1,1,1,1,1,1,1,1]",
            "[4611686018427387904,4]", "[3037000500,3037000500]", "[1.5]", "[\"1\"]", "{}", "3", "[[1]]"};
    private static final String[] SNIPPETS = {",", "\"x\":1,", "{", "}", "[", "]", "\"", ":", "\"__metadata__\":{},",
            "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},", "\u0000", "\\u0000", " ", "\n",
            "\"extra\":1,", "\"__metadata__\":{\"k\":1},", "\u00e9", "\\ud800", "null", "\uFEFF"};

    private static byte[] mutate(byte[] b, Random rnd, List<byte[]> seeds, StringBuilder log) {
        int kind = rnd.nextInt(17);
        if (kind >= 15) {
            kind -= 3; // 12 and 13, the validity-preserving edits, twice as often: accepted files get checked too
        }
        log.append(kind).append(';');
        switch (kind) {
            case 0 -> { // bit flips, mostly in the header
                b = b.clone();
                for (int k = 1 + rnd.nextInt(4); k > 0 && b.length > 0; k--) {
                    b[pos(b, rnd)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 1 -> { // interesting byte values
                if (b.length == 0) {
                    return b;
                }
                b = b.clone();
                byte[] vals = {0, -1, '"', '{', '}', '[', ']', ',', ':', '-', '0', '9', (byte) 0x80, (byte) 0xC0, ' '};
                b[pos(b, rnd)] = vals[rnd.nextInt(vals.length)];
                return b;
            }
            case 2 -> { // truncation
                return Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
            }
            case 3 -> { // extension
                byte[] extra = new byte[1 + rnd.nextInt(16)];
                if (rnd.nextBoolean()) {
                    rnd.nextBytes(extra);
                } else {
                    Arrays.fill(extra, (byte) ' ');
                }
                return TestFiles.concat(b, extra);
            }
            case 4 -> { // rewrite the header length
                if (b.length < 8) {
                    return TestFiles.concat(TestFiles.u64(rnd.nextInt(16)), b);
                }
                long n = TestFiles.readU64(b, 0);
                long[] choices = {0, 1, 7, n - 1, n + 1, n - 8, n + 8, b.length, b.length - 8, b.length - 7, 1L << 31,
                        1L << 32, Long.MIN_VALUE, -1, 100L * 1024 * 1024, 100L * 1024 * 1024 + 1, rnd.nextLong()};
                byte[] c = b.clone();
                System.arraycopy(TestFiles.u64(choices[rnd.nextInt(choices.length)]), 0, c, 0, 8);
                return c;
            }
            case 5 -> { // splice two files
                byte[] other = seeds.get(rnd.nextInt(seeds.size()));
                int cut1 = b.length == 0 ? 0 : rnd.nextInt(b.length + 1);
                int cut2 = other.length == 0 ? 0 : rnd.nextInt(other.length + 1);
                return TestFiles.concat(Arrays.copyOf(b, cut1), Arrays.copyOfRange(other, cut2, other.length));
            }
            case 12 -> { // flip bits in the data section only: the file stays valid, the bytes read must follow
                long n = b.length >= 8 ? TestFiles.readU64(b, 0) : -1;
                if (n < 0 || n > b.length - 8 || 8 + n == b.length) {
                    return b;
                }
                b = b.clone();
                int at = (int) (8 + n) + rnd.nextInt((int) (b.length - 8 - n));
                b[at] ^= (byte) (1 << rnd.nextInt(8));
                return b;
            }
            default -> {
                return editJson(b, kind, rnd);
            }
        }
    }

    /** Text edits of the header (bytes kept 1:1 via ISO-8859-1), then usually a corrected length field. */
    private static byte[] editJson(byte[] b, int kind, Random rnd) {
        if (b.length < 8) {
            return b;
        }
        long n = TestFiles.readU64(b, 0);
        if (n <= 0 || n > b.length - 8) {
            return b;
        }
        String h = new String(b, 8, (int) n, StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(b, 8 + (int) n, b.length);
        String edited = switch (kind) {
            case 6 -> replaceOne(h, NUMBER, rnd, m -> {
                long v = m.contains(".") || m.contains("e") || m.length() > 18 ? 0 : Long.parseLong(m);
                String[] local = {Long.toString(v + 1), Long.toString(v - 1), Long.toString(v * 2), Long.toString(v + 4)};
                return rnd.nextBoolean() ? NUMBERS[rnd.nextInt(NUMBERS.length)] : local[rnd.nextInt(local.length)];
            });
            case 7 -> replaceOne(h, DTYPE, rnd, m -> "\"dtype\":\"" + CODES[rnd.nextInt(CODES.length)] + "\"");
            case 8 -> replaceOne(h, SHAPE, rnd, m -> "\"shape\":" + SHAPES[rnd.nextInt(SHAPES.length)]);
            case 9 -> { // duplicate an entry, or swap the data_offsets of two entries
                if (rnd.nextBoolean()) {
                    yield replaceOne(h, ENTRY, rnd, m -> m + "," + m);
                }
                List<String> offs = new ArrayList<>();
                Matcher m = OFFSETS.matcher(h);
                while (m.find()) {
                    offs.add(m.group());
                }
                if (offs.size() < 2) {
                    yield h;
                }
                String x = offs.get(rnd.nextInt(offs.size()));
                String y = offs.get(rnd.nextInt(offs.size()));
                yield h.replace(x, "\u0001").replace(y, x).replace("\u0001", y);
            }
            case 13 -> { // meaning-preserving edits: whitespace between tokens, entries reordered, metadata added
                int what = rnd.nextInt(3);
                if (what == 0) {
                    yield replaceOne(h, Pattern.compile("[,:{}\\[\\]]"), rnd, m -> " \n\t" + m + "\r ");
                }
                if (what == 1) {
                    List<String> entries = new ArrayList<>();
                    Matcher m = ENTRY.matcher(h);
                    while (m.find()) {
                        entries.add(m.group());
                    }
                    if (entries.size() < 2) {
                        yield h;
                    }
                    String x = entries.get(rnd.nextInt(entries.size()));
                    String y = entries.get(rnd.nextInt(entries.size()));
                    yield h.replace(x, "\u0001").replace(y, x).replace("\u0001", y);
                }
                int brace = h.indexOf('{');
                yield brace < 0 ? h : h.substring(0, brace + 1) + "\"__metadata__\":{\"k\":\"v\\u00e9\"}," + h.substring(brace + 1);
            }
            case 10 -> { // delete a range
                int at = rnd.nextInt(h.length() + 1);
                int len = Math.min(h.length() - at, 1 + rnd.nextInt(20));
                yield h.substring(0, at) + h.substring(at + len);
            }
            default -> { // insert a snippet
                int at = rnd.nextInt(h.length() + 1);
                String snippet = SNIPPETS[rnd.nextInt(SNIPPETS.length)];
                // Non-Latin-1 snippets go in as UTF-8 bytes, like a real file would have them.
                String enc = new String(snippet.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
                yield h.substring(0, at) + enc + h.substring(at);
            }
        };
        byte[] header = edited.getBytes(StandardCharsets.ISO_8859_1);
        long len = rnd.nextInt(8) == 0 ? n : header.length; // sometimes leave the old length: a stale length field
        return TestFiles.concat(TestFiles.u64(len), header, data);
    }

    private static String replaceOne(String h, Pattern p, Random rnd, java.util.function.Function<String, String> f) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = p.matcher(h);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        if (spans.isEmpty()) {
            return h;
        }
        int[] s = spans.get(rnd.nextInt(spans.size()));
        return h.substring(0, s[0]) + f.apply(h.substring(s[0], s[1])) + h.substring(s[1]);
    }

    private static int pos(byte[] b, Random rnd) {
        if (b.length > 8 && rnd.nextInt(10) < 7) {
            long n = TestFiles.readU64(b, 0);
            int headerEnd = (int) Math.min(b.length, Math.max(9, Math.min(n, Integer.MAX_VALUE - 16) + 8));
            return rnd.nextInt(headerEnd);
        }
        return rnd.nextInt(b.length);
    }

    private static String hex(byte[] b) {
        return b.length > 2048 ? b.length + " bytes" : HexFormat.of().formatHex(b);
    }

    // ---------------------------------------------------------------- oracle

    /** What a correct reader must decide about a file. */
    private record Oracle(boolean valid, String why, long dataStart, List<String> names, Map<String, long[]> offsets,
                          Map<String, String> metadata) {
        static Oracle invalid(String why) {
            return new Oracle(false, why, 0, null, null, null);
        }
    }

    private static final JsonMapper TREE = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();
    private static final Map<String, Integer> SIZES = Map.of("F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8,
            "I32", 4, "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);

    /** The format's rules, written independently of SafeTensorsFile and as plainly as possible. */
    static Oracle oracle(byte[] f) {
        if (f.length < 8) {
            return Oracle.invalid("short");
        }
        BigInteger n = new BigInteger(1, reverse(Arrays.copyOf(f, 8)));
        if (n.signum() == 0 || n.compareTo(BigInteger.valueOf(100L << 20)) > 0
                || n.compareTo(BigInteger.valueOf(f.length - 8)) > 0) {
            return Oracle.invalid("header length " + n);
        }
        int start = 8 + n.intValue();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(f, 8, n.intValue())).toString();
        } catch (CharacterCodingException e) {
            return Oracle.invalid("utf-8");
        }
        JsonNode root;
        try {
            root = TREE.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Oracle.invalid("json: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            return Oracle.invalid("not an object");
        }
        int dataLen = f.length - start;
        boolean[] covered = new boolean[dataLen];
        List<long[]> empties = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Map<String, long[]> offsets = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (e.getKey().equals("__metadata__")) {
                if (!v.isObject()) {
                    return Oracle.invalid("metadata");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        return Oracle.invalid("metadata value");
                    }
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            if (!v.isObject() || v.size() != 3 || !v.has("dtype") || !v.has("shape") || !v.has("data_offsets")) {
                return Oracle.invalid("entry fields");
            }
            Integer size = v.get("dtype").isTextual() ? SIZES.get(v.get("dtype").textValue()) : null;
            if (size == null) {
                return Oracle.invalid("dtype");
            }
            BigInteger[] shape = naturals(v.get("shape"));
            BigInteger[] off = naturals(v.get("data_offsets"));
            if (shape == null || off == null || off.length != 2) {
                return Oracle.invalid("shape or offsets");
            }
            BigInteger bytes = BigInteger.valueOf(size);
            BigInteger partial = BigInteger.ONE;
            for (BigInteger d : shape) {
                partial = partial.multiply(d);
                // The official library multiplies in u64 left to right; an intermediate overflow is an error.
                if (partial.bitLength() > 63) {
                    return Oracle.invalid("overflow");
                }
            }
            bytes = bytes.multiply(partial);
            if (bytes.bitLength() > 63) {
                return Oracle.invalid("overflow");
            }
            if (off[0].compareTo(off[1]) > 0 || !off[1].subtract(off[0]).equals(bytes)
                    || off[1].compareTo(BigInteger.valueOf(dataLen)) > 0) {
                return Oracle.invalid("offsets");
            }
            int b = off[0].intValue();
            int end = off[1].intValue();
            if (b == end) {
                empties.add(new long[] {b});
            }
            for (int i = b; i < end; i++) {
                if (covered[i]) {
                    return Oracle.invalid("overlap");
                }
                covered[i] = true;
            }
            names.add(e.getKey());
            offsets.put(e.getKey(), new long[] {b, end});
        }
        for (boolean c : covered) {
            if (!c) {
                return Oracle.invalid("hole");
            }
        }
        // An empty tensor may sit at any boundary, but not strictly inside another tensor's bytes.
        for (long[] z : empties) {
            for (long[] o : offsets.values()) {
                if (o[0] < z[0] && z[0] < o[1]) {
                    return Oracle.invalid("empty tensor inside another");
                }
            }
        }
        return new Oracle(true, null, start, names, offsets, metadata);
    }

    private static BigInteger[] naturals(JsonNode a) {
        if (!a.isArray()) {
            return null;
        }
        BigInteger[] out = new BigInteger[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = a.get(i);
            if (!x.isIntegralNumber() || x.bigIntegerValue().signum() < 0 || x.bigIntegerValue().bitLength() > 63) {
                return null;
            }
            out[i] = x.bigIntegerValue();
        }
        return out;
    }

    private static byte[] reverse(byte[] b) {
        for (int i = 0, j = b.length - 1; i < j; i++, j--) {
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return b;
    }

    /** The oracle itself must agree with the corpus's documented verdicts, or the differential test means nothing. */
    @Test
    void oracleAgreesWithTheCorpus() throws IOException {
        Set<String> invalid = new java.util.HashSet<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(SafeTensorsCorpusTest.CORPUS.resolve("expected.json")
                .toFile()).get("invalid").fieldNames().forEachRemaining(invalid::add);
        try (Stream<Path> s = Files.list(SafeTensorsCorpusTest.CORPUS)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                String name = p.getFileName().toString();
                assertEquals(!invalid.contains(name), oracle(Files.readAllBytes(p)).valid, name);
            }
        }
    }
}
