package io.resnet4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.infer.FusedModel;
import io.resnet4j.infer.OnnxRuntimeModel;
import io.resnet4j.infer.TorchScriptModel;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.io.TensorData;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ModelSummary;
import io.resnet4j.model.ResNet;
import io.resnet4j.reliability.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keras import against Keras itself: the fixtures in {@code fixtures/keras} are tiny ResNets built by
 * {@code keras.applications.resnet.ResNet} with Keras' own stacks and random weights, BN statistics and biases, with
 * the outputs Keras computed ({@code scripts/make-keras-fixtures.py}). Every file format, both versions, both data
 * formats, and the backends that read the layout (eager, fused, TorchScript, ONNX Runtime) must give Keras' stem
 * output, pooled features and logits within 1e-4.
 */
class KerasImportTest {
    private static final double TOLERANCE = 1e-4;

    @TempDir Path tmp;

    static Path fixture(String file) {
        try {
            return Path.of(KerasImportTest.class.getResource("/fixtures/keras/" + file).toURI());
        } catch (Exception e) {
            throw new IllegalStateException(file, e);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of("v1", "v2").flatMap(v -> Stream.of(".keras", ".weights.h5", ".h5")
                .flatMap(ext -> Stream.of(DataFormat.CHANNELS_FIRST, DataFormat.CHANNELS_LAST)
                        .map(f -> Arguments.of(v, ext, f))));
    }

    /** Keras' tensors of a case: input (NCHW, Keras' channel order), stem, pooled, logits. */
    static Map<String, TensorData> expected(Path file) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            for (var e : f.entries()) {
                out.put(e.name(), f.read(e.name()));
            }
        }
        return out;
    }

    /** The input as our model takes it: v1's Keras input is BGR, our imported v1 takes RGB. */
    static Tensor input(Map<String, TensorData> want, boolean v1) {
        Tensor x = Tensors.fromFloats(want.get("input").toFloatArray(), want.get("input").shape());
        return v1 ? x.flip(new long[] {1}).contiguous() : x;
    }

    /**
     * Within {@link #TOLERANCE} of Keras' tensor, relative to the tensor's scale {@code max(1, max |want|)} (float32
     * sums of large activations err in proportion to their size, not to each result's).
     */
    static double assertClose(TensorData want, Tensor got, String what) {
        assertArrayEquals(want.shape(), Tensors.shape(got), what + " shape");
        float[] w = want.toFloatArray();
        float[] g = Tensors.toFloats(got.contiguous());
        double scale = 1;
        for (float v : w) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < w.length; i++) {
            worst = Math.max(worst, Math.abs(w[i] - g[i]) / scale);
        }
        assertTrue(worst <= TOLERANCE, what + ": worst error " + worst + " of scale " + scale);
        return worst;
    }

    @ParameterizedTest(name = "{0}{1} {2}")
    @MethodSource("cases")
    void importedModelGivesKerasOutputs(String version, String ext, DataFormat format) {
        Path out = tmp.resolve("m");
        KerasImport.Result r = KerasImport.importFile(fixture(version + ext), null, null, out);
        Architecture a = r.architecture();
        assertEquals(Architecture.Variant.KERAS, a.variant());
        assertEquals(version.equals("v1") ? List.of(2, 2, 1) : List.of(2, 3, 2), a.blocks());
        assertEquals(version.equals("v1") ? List.of(1, 2, 2) : List.of(2, 2, 1), a.strides());
        Map<String, TensorData> want = expected(fixture(version + ".expected.safetensors"));
        ModelDirectory.Loaded loaded = ModelDirectory.load(out);
        ResNet model = loaded.model();
        model.setDataFormat(format);
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            ResNet.Outputs o = model.forwardAll(Tensors.inFormat(input(want, version.equals("v1")), format));
            System.out.printf("%s%s %s: worst errors stem %.2e, pooled %.2e, logits %.2e%n", version, ext, format,
                    assertClose(want.get("stem"), o.stem(), "stem"),
                    assertClose(want.get("pooled"), o.pooled(), "pooled"),
                    assertClose(want.get("logits"), o.logits(), "logits"));
        }
    }

    /**
     * A model fine-tuned in Keras: the v2 base ({@code include_top=False, pooling="avg"}) nested inside a model with
     * a new {@code Dense} named {@code dense}: the nested layers are found, the dense layer becomes the classifier.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {".keras", ".weights.h5"})
    void kerasFineTunedModelImports(String ext) {
        Path out = tmp.resolve("m");
        KerasImport.Result r = KerasImport.importFile(fixture("v2-finetuned" + ext), null, null, out);
        assertEquals(3, r.architecture().numClasses());
        Map<String, TensorData> want = expected(fixture("v2-finetuned.expected.safetensors"));
        ResNet model = ModelDirectory.load(out).model();
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            ResNet.Outputs o = model.forwardAll(input(want, false));
            assertClose(want.get("stem"), o.stem(), "stem");
            assertClose(want.get("pooled"), o.pooled(), "pooled");
            assertClose(want.get("logits"), o.logits(), "logits");
        }
    }

    /** The fused and TorchScript runtimes and ONNX Runtime (the export) read the same layout: biases, eps, pool. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"v1", "v2"})
    void everyBackendGivesKerasLogits(String version) {
        Path out = tmp.resolve("m");
        KerasImport.importFile(fixture(version + ".keras"), null, null, out);
        ResNet model = ModelDirectory.load(out).model();
        Map<String, TensorData> want = expected(fixture(version + ".expected.safetensors"));
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            Tensor x = input(want, version.equals("v1"));
            long[] shape = Tensors.shape(x);
            FusedModel fused = FusedModel.compile(model, Precision.FP32, (int) shape[0], (int) shape[2],
                    (int) shape[3]);
            assertClose(want.get("logits"), fused.forward(x), "fused");
            assertClose(want.get("logits"), TorchScriptModel.compile(model, true).forward(x), "torchscript");
            try {
                ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
                var opts = new ai.onnxruntime.OrtSession.SessionOptions();
                opts.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.NO_OPT);
                try (var sess = env.createSession(io.resnet4j.model.OnnxExport.toBytes(model), opts);
                        var xt = ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(
                                Tensors.toFloats(x)), shape); var res = sess.run(Map.of("input", xt))) {
                    float[][] y = (float[][]) res.get(0).getValue();
                    float[] flat = new float[y.length * y[0].length];
                    for (int i = 0; i < y.length; i++) {
                        System.arraycopy(y[i], 0, flat, i * y[0].length, y[0].length);
                    }
                    assertClose(want.get("logits"), Tensors.fromFloats(flat, want.get("logits").shape()), "noopt");
                }
            } catch (ai.onnxruntime.OrtException e) {
                throw new IllegalStateException(e);
            }
            try (OnnxRuntimeModel ort = OnnxRuntimeModel.create(model)) {
                float[] got = ort.run(Tensors.toFloats(x), shape);
                assertClose(want.get("logits"), Tensors.fromFloats(got, want.get("logits").shape()), "onnx");
            }
        }
    }

    /** The presets have keras.applications' exact counts (params.json, computed by Keras). */
    @Test
    void presetsHaveKerasParameterCounts() throws Exception {
        JsonNode counts = new ObjectMapper().readTree(fixture("params.json").toFile());
        assertEquals(6, counts.size());
        for (var it = counts.fields(); it.hasNext(); ) {
            var e = it.next();
            ModelSummary s = ModelSummary.of(Architecture.preset(e.getKey()), 224, 224);
            assertEquals(e.getValue().get("trainable").asLong(), s.params(), e.getKey());
            assertEquals(e.getValue().get("total").asLong(), s.params() + s.buffers(), e.getKey());
        }
        assertEquals(25_583_592L, counts.at("/resnet50-keras/trainable").asLong());
        assertEquals(25_568_360L, counts.at("/resnet50-v2-keras/trainable").asLong());
        ResNet built = ResNet.build(Architecture.preset("resnet50-v2-keras"));
        assertEquals(25_568_360L, built.parameterCount());
        assertEquals(25_613_800L - 25_568_360L, built.bufferCount());
    }

    @Test
    void preprocessingIsKerasOwn() throws Exception {
        Path out = tmp.resolve("m");
        KerasImport.importFile(fixture("v1.weights.h5"), null, null, out);
        JsonNode c = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("keras", c.at("/architecture/variant").asText());
        // caffe: 255 x - (123.68, 116.779, 103.939) in RGB (the stem kernel takes RGB after the import)
        assertEquals(123.68 / 255, c.at("/normalization/mean/0").asDouble(), 1e-6);
        assertEquals(1 / 255.0, c.at("/normalization/std/2").asDouble(), 1e-6);
        KerasImport.importFile(fixture("v2.h5"), null, null, out);
        c = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals(0.5, c.at("/normalization/mean/1").asDouble(), 0);
        assertEquals(0.5, c.at("/normalization/std/1").asDouble(), 0);
    }

    /** A mismatch is one error listing every missing, unexpected and mis-shaped tensor; nothing is written. */
    @Test
    void mismatchListsEveryMisfit() {
        Path out = tmp.resolve("m");
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> KerasImport.importFile(
                fixture("v2.weights.h5"), Architecture.preset("resnet50-v2-keras"), null, out));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains("missing: conv2_block3_preact_bn/gamma [256]"), m);
        assertTrue(m.contains("mis-shaped: conv1_conv/kernel is [7, 7, 3, 8], model needs [7, 7, 3, 64]"), m);
        assertFalse(Files.exists(out.resolve("config.json")));
        e = assertThrows(ResNet4jException.class, () -> KerasImport.importFile(fixture("v1.h5"),
                Architecture.custom(Architecture.Version.V2, Architecture.Block.BOTTLENECK, List.of(2, 2, 1), 8,
                        Architecture.Stem.IMAGENET), null, out));
        assertTrue(e.getMessage().contains("unexpected: conv1_bn/gamma [8]"), e.getMessage());
    }

    /** Damaged and hostile files: one error line naming the file, no other exception, no huge allocation. */
    @Test
    void hostileFilesAreRefused() throws Exception {
        byte[] good = Files.readAllBytes(fixture("v1.h5"));
        Path truncated = tmp.resolve("truncated.h5");
        Files.write(truncated, Arrays.copyOf(good, good.length / 3));
        Path garbage = tmp.resolve("garbage.weights.h5");
        byte[] junk = new byte[4096];
        new java.util.Random(15).nextBytes(junk);
        System.arraycopy(good, 0, junk, 0, 8); // the HDF5 signature, then noise
        Files.write(garbage, junk);
        Path notZip = tmp.resolve("x.keras");
        Files.write(notZip, junk);
        Path corrupt = tmp.resolve("corrupt.h5");
        byte[] flipped = good.clone();
        for (int i = 2048; i < flipped.length; i += 97) {
            flipped[i] ^= (byte) 0x5a;
        }
        Files.write(corrupt, flipped);
        for (Path p : List.of(truncated, garbage, notZip, corrupt, fixture("hostile-huge.h5"),
                tmp.resolve("absent.h5"))) {
            ResNet4jException e = assertThrows(ResNet4jException.class,
                    () -> KerasImport.importFile(p, null, null, tmp.resolve("out")), p.toString());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        Cli.Run r = Cli.run("import", "--from", "keras", fixture("hostile-huge.h5").toString(), "--out",
                tmp.resolve("out").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().strip().lines().count() == 1, r.err());
        assertTrue(r.err().contains("more than the file can hold"), r.err());
    }

    @Test
    void cliImportsAndThePredictCommandRunsIt() throws Exception {
        Path out = tmp.resolve("imported");
        Cli.Run r = Cli.run("import", "--from", "keras", fixture("v2.keras").toString(), "--out", out.toString(),
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("v2", j.get("version").asText());
        assertEquals(5, j.get("classes").asInt());
        Path image = Path.of(KerasImportTest.class.getResource("/data/cmyk.jpg").toURI());
        Cli.Run predict = Cli.run("predict", "--model", out.toString(), "--top", "3", "--json", image.toString());
        assertEquals(0, predict.code(), predict.err());
        assertEquals(3, new ObjectMapper().readTree(predict.out()).at("/predictions/0/top").size(), predict.out());
        Cli.Run usage = Cli.run("import", "--from", "tflite", fixture("v2.keras").toString(), "--out",
                out.toString());
        assertEquals(2, usage.code(), usage.err());
    }

    /**
     * Full-size ResNet50 and ResNet50V2 at 64x64, outside CI: {@code make-keras-fixtures.py full --out DIR}, then
     * {@code -Dkeras.full=DIR}.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resnet50", "resnet50v2"})
    void fullSizeModelsMatchKeras(String name) {
        String dir = System.getProperty("keras.full");
        Assumptions.assumeTrue(dir != null && !dir.isBlank(), "set -Dkeras.full=DIR to run");
        Path out = tmp.resolve(name);
        KerasImport.Result r = KerasImport.importFile(Path.of(dir, name + ".keras"), null, null, out);
        assertEquals(name.endsWith("v2") ? "resnet50-v2-keras" : "resnet50-keras", r.architecture().name());
        Map<String, TensorData> want = expected(Path.of(dir, name + ".expected.safetensors"));
        ResNet model = ModelDirectory.load(out).model();
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            ResNet.Outputs o = model.forwardAll(input(want, !name.endsWith("v2")));
            System.out.printf("%s: worst errors relative to the tensor's scale: stem %.2e, pooled %.2e, logits %.2e%n",
                    name, assertClose(want.get("stem"), o.stem(), "stem"),
                    assertClose(want.get("pooled"), o.pooled(), "pooled"),
                    assertClose(want.get("logits"), o.logits(), "logits"));
        }
    }
}
