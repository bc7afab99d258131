package io.resnet4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed corpus, assembled by generate_corpus.py with numpy (independently of the Java writer): every valid
 * file reads back the values expected.json lists, and every bad file is refused with the expected phrase.
 */
class SafeTensorsCorpusTest {

    static final Path CORPUS = TestFiles.resource("safetensors-corpus");

    @TestFactory
    List<DynamicTest> validFilesReadTheGeneratedValues() throws IOException {
        JsonNode valid = new ObjectMapper().readTree(CORPUS.resolve("expected.json").toFile()).get("valid");
        List<DynamicTest> tests = new ArrayList<>();
        valid.fields().forEachRemaining(f -> tests.add(DynamicTest.dynamicTest(f.getKey(),
                () -> checkValid(CORPUS.resolve(f.getKey()), f.getValue()))));
        assertTrue(tests.size() >= 5);
        return tests;
    }

    @TestFactory
    List<DynamicTest> badFilesAreRefusedWithTheExpectedPhrase() throws IOException {
        JsonNode invalid = new ObjectMapper().readTree(CORPUS.resolve("expected.json").toFile()).get("invalid");
        List<DynamicTest> tests = new ArrayList<>();
        invalid.fields().forEachRemaining(f -> tests.add(DynamicTest.dynamicTest(f.getKey(), () -> {
            Path p = CORPUS.resolve(f.getKey());
            WeightsFormatException e = assertThrows(WeightsFormatException.class, () -> SafeTensorsFile.open(p).close());
            assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(f.getValue().asText()), e.getMessage());
        })));
        assertTrue(tests.size() >= 8);
        return tests;
    }

    private static void checkValid(Path p, JsonNode expected) {
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            Map<String, String> meta = new LinkedHashMap<>();
            expected.get("metadata").fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
            assertEquals(meta, f.metadata());

            JsonNode tensors = expected.get("tensors");
            assertEquals(tensors.size(), f.entries().size());
            Iterator<TensorEntry> it = f.entries().iterator();
            for (JsonNode t : tensors) {
                TensorEntry e = it.next(); // header order
                String name = t.get("name").asText();
                assertEquals(name, e.name());
                assertEquals(DType.fromCode(t.get("dtype").asText()), e.dtype());
                long[] shape = new long[t.get("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.get("shape").get(i).asLong();
                }
                assertArrayEquals(shape, e.shape(), name);
                assertEquals(t.get("data_offsets").get(0).asLong(), e.begin(), name);
                assertEquals(t.get("data_offsets").get(1).asLong(), e.end(), name);
                JsonNode values = t.get("values");
                if (e.dtype().isFloatingPoint()) {
                    float[] got = f.readFloats(name);
                    assertEquals(values.size(), got.length, name);
                    for (int i = 0; i < got.length; i++) {
                        JsonNode v = values.get(i);
                        float want = v.isTextual() ? Float.parseFloat(v.asText().replace("inf", "Infinity")
                                .replace("nan", "NaN")) : (float) v.asDouble();
                        // Bit comparison so that -0.0 and NaN are checked too.
                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]),
                                name + "[" + i + "]: " + want + " vs " + got[i]);
                    }
                    assertThrows(WeightsFormatException.class, () -> f.readLongs(name));
                } else {
                    long[] got = f.readLongs(name);
                    assertEquals(values.size(), got.length, name);
                    for (int i = 0; i < got.length; i++) {
                        assertEquals(values.get(i).asLong(), got[i], name + "[" + i + "]");
                    }
                    assertThrows(WeightsFormatException.class, () -> f.readFloats(name));
                }
            }
            assertFalse(it.hasNext());
        }
    }

    @org.junit.jupiter.api.Test
    void generatorScriptIsKeptBesideTheCorpus() {
        // The corpus must stay reproducible; expected.json is only trustworthy with its generator.
        assertTrue(Files.isRegularFile(CORPUS.resolve("generate_corpus.py")));
    }
}
