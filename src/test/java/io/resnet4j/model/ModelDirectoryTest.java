package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Tensors;
import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {
    @TempDir Path tmp;

    @Test
    void savesAndLoadsBackBitExactly() throws Exception {
        Engine.seed(3);
        Architecture a = Architecture.preset("cifar-resnet20-v2").withInChannels(1).withClasses(4);
        ResNet model = ResNet.build(a);
        ModelConfig config = new ModelConfig(a, List.of("cat", "dog", "bird", "fish"), 28, 28,
                new float[] {0.286f}, new float[] {0.353f});
        ModelDirectory.save(tmp.resolve("m"), model, config);
        assertTrue(Files.isRegularFile(tmp.resolve("m/config.json")));
        ModelDirectory.Loaded back = ModelDirectory.load(tmp.resolve("m"));
        assertEquals(config.architecture(), back.config().architecture());
        assertEquals(config.labels(), back.config().labels());
        assertArrayEquals(config.mean(), back.config().mean());
        Map<String, Tensor> want = model.namedTensors();
        Map<String, Tensor> got = back.model().namedTensors();
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            float[] w = Tensors.toFloats(want.get(k));
            float[] g = Tensors.toFloats(got.get(k));
            assertEquals(w.length, g.length, k);
            for (int i = 0; i < w.length; i++) {
                assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(g[i]), k + "[" + i + "]");
            }
        }
    }

    @Test
    void mismatchedWeightsListEveryProblemAtOnce() {
        Architecture a = Architecture.preset("cifar-resnet20").withInChannels(1);
        Map<String, TensorData> state = new LinkedHashMap<>(Weights.stateDict(ResNet.build(a)));
        state.remove("layer1.0.conv1.weight");
        state.remove("fc.bias");
        state.put("fc.weight", TensorData.ofFloats(new long[] {7, 64}, new float[7 * 64]));
        state.put("head.extra", TensorData.ofFloats(new long[] {1}, new float[1]));
        state.put("bn1.num_batches_tracked", TensorData.ofLongs(new long[] {}, new long[] {5}));
        Path file = tmp.resolve("bad.safetensors");
        SafeTensorsWriter.write(file, state, Map.of());
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> Weights.load(ResNet.build(a), file));
        String m = e.getMessage();
        assertTrue(m.contains("bad.safetensors"), m);
        assertTrue(m.contains("2 missing") && m.contains("layer1.0.conv1.weight") && m.contains("fc.bias"), m);
        assertTrue(m.contains("1 unexpected: head.extra"), m);
        assertTrue(m.contains("fc.weight is [7, 64], model needs [10, 64]"), m);
        assertTrue(!m.contains("num_batches_tracked"), "num_batches_tracked is accepted: " + m);
        assertTrue(!m.contains("\n"), "one line");
    }

    @Test
    void configDisagreeingWithWeightsIsRefused() throws Exception {
        Architecture a = Architecture.preset("cifar-resnet20").withInChannels(1);
        ModelDirectory.save(tmp.resolve("m"), ResNet.build(a), ModelConfig.defaults(a));
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(
                tmp.resolve("m/config.json").toFile());
        var arch = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("architecture");
        arch.putArray("blocks").add(3).add(4).add(3); // one block more than the weights hold
        arch.put("base_width", 16);
        Files.writeString(tmp.resolve("m/config.json"), mapper.writeValueAsString(root));
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> ModelDirectory.load(tmp.resolve("m")));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("layer2.3.conv1.weight"),
                e.getMessage());
    }

    @Test
    void brokenConfigsGiveClearErrors() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("d"));
        assertTrue(assertThrows(ResNet4jException.class, () -> ModelDirectory.load(d)).getMessage()
                .contains("config.json is missing"));
        Files.writeString(d.resolve("config.json"), "{not json");
        assertTrue(assertThrows(ResNet4jException.class, () -> ModelDirectory.load(d)).getMessage()
                .contains("not valid JSON"));
        Files.writeString(d.resolve("config.json"), "{\"format\":\"resnet4j-model\",\"format_version\":1}");
        assertTrue(assertThrows(ResNet4jException.class, () -> ModelDirectory.load(d)).getMessage()
                .contains("missing field 'architecture'"));
        assertThrows(ResNet4jException.class, () -> ModelDirectory.load(tmp.resolve("nowhere")));
    }

    /** config.json keeps its format byte for byte, and a config comes back equal, normalization included. */
    @Test
    void configJsonFormatIsStable() {
        Architecture a = Architecture.preset("cifar-resnet20-v2").withInChannels(3).withClasses(2);
        ModelConfig config = new ModelConfig(a, List.of("cat", "dog"), 40, 32, new Normalization(
                new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f}));
        String json = ModelDirectory.toJson(config);
        assertEquals("{\n"
                + "  \"format\" : \"resnet4j-model\",\n"
                + "  \"format_version\" : 1,\n"
                + "  \"architecture\" : {\n"
                + "    \"name\" : \"cifar-resnet20-v2\",\n"
                + "    \"version\" : \"v2\",\n"
                + "    \"block\" : \"basic\",\n"
                + "    \"blocks\" : [ 3, 3, 3 ],\n"
                + "    \"base_width\" : 16,\n"
                + "    \"strides\" : [ 1, 2, 2 ],\n"
                + "    \"stem\" : \"cifar\",\n"
                + "    \"num_classes\" : 2,\n"
                + "    \"in_channels\" : 3,\n"
                + "    \"data_format\" : \"channels_last\"\n"
                + "  },\n"
                + "  \"labels\" : [ \"cat\", \"dog\" ],\n"
                + "  \"input\" : {\n"
                + "    \"min_aspect_dim\" : 40,\n"
                + "    \"resize_dim\" : 32\n"
                + "  },\n"
                + "  \"normalization\" : {\n"
                + "    \"mean\" : [ 0.4914, 0.4822, 0.4465 ],\n"
                + "    \"std\" : [ 0.247, 0.2435, 0.2616 ]\n"
                + "  }\n"
                + "}\n", json);
        ModelConfig back = ModelDirectory.fromJson(json);
        assertEquals(config, back);
        assertEquals(config.normalization(), back.normalization());
        assertEquals(new ModelConfig(a, List.of("cat", "dog"), 40, 32, config.mean(), config.std()), config);
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> new ModelConfig(a, List.of("cat", "dog"),
                40, 32, Normalization.FASHION_MNIST));
        assertTrue(e.getMessage().contains("mean and std need 3 values"), e.getMessage());
        assertEquals(Normalization.IMAGENET, ModelConfig.defaults(Architecture.preset("resnet18")).normalization());
    }
}
