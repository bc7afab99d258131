package io.resnet4j.io;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reference fixtures (written by PyTorch tooling, not by us): counts, shapes and metadata from their README,
 * and numeric identities between tensors that only hold if every value is decoded correctly.
 */
class SafeTensorsFixturesTest {

    @ParameterizedTest
    @CsvSource({
            "dev_v1_basic, 62, 69, 78962, 324512, 375276",
            "dev_v1_bottleneck, 102, 109, 134735, 558604, 608352",
            "dev_v2_basic, 51, 58, 78802, 321976, 374412",
            "dev_v2_bottleneck, 86, 93, 131443, 539724, 606308",
            "dev_v1_cifar20, 107, 114, 272186, 1104664, 1214860",
            "dev_v2_cifar20, 100, 107, 272250, 1103512, 1213644",
    })
    void fixturesOpenWithTheDocumentedCounts(String name, int weights, int io, long trainable, long weightsBytes,
                                             long ioBytes) throws Exception {
        try (SafeTensorsFile w = SafeTensorsFile.open(TestFiles.fixture(name + ".safetensors"));
             SafeTensorsFile x = SafeTensorsFile.open(TestFiles.fixture(name + ".io.safetensors"))) {
            assertEquals(weights, w.entries().size());
            assertEquals(io, x.entries().size());
            assertEquals(weightsBytes, Files.size(w.path()));
            assertEquals(ioBytes, Files.size(x.path()));
            assertEquals(Long.toString(trainable), w.metadata().get("trainable_params"));
            assertEquals(name, w.metadata().get("case"));

            long sum = 0;
            int params = 0;
            for (TensorEntry e : w.entries()) {
                assertEquals(DType.F32, e.dtype(), e.name());
                if (!e.name().endsWith(".running_mean") && !e.name().endsWith(".running_var")) {
                    sum += e.numel();
                    params++;
                    // The io file holds a gradient of exactly the parameter's shape for each trainable tensor.
                    TensorEntry g = x.find("grad." + e.name()).orElseThrow();
                    assertArrayEquals(e.shape(), g.shape(), g.name());
                } else {
                    assertArrayEquals(e.shape(), x.find("after_train." + e.name()).orElseThrow().shape());
                }
            }
            assertEquals(trainable, sum, "numel of the trainable tensors");
            assertEquals(params, x.entries().stream().filter(e -> e.name().startsWith("grad.")).count());

            // The README: tensors are packed contiguously in header order. entries() must keep that order.
            for (SafeTensorsFile f : List.of(w, x)) {
                long cursor = 0;
                for (TensorEntry e : f.entries()) {
                    assertEquals(cursor, e.begin(), e.name());
                    cursor = e.end();
                }
                assertEquals(f.dataLength(), cursor);
                assertEquals(Files.size(f.path()), f.dataStart() + f.dataLength());
            }
        }
    }

    @Test
    void knownShapesAndDtypes() {
        Map<String, Map<String, long[]>> shapes = Map.of(
                "dev_v1_basic.safetensors", Map.of("conv1.weight", new long[] {8, 3, 7, 7},
                        "fc.weight", new long[] {10, 64}, "fc.bias", new long[] {10},
                        "layer2.0.downsample.0.weight", new long[] {16, 8, 1, 1}),
                "dev_v1_bottleneck.safetensors", Map.of("fc.weight", new long[] {7, 256},
                        "layer4.0.downsample.0.weight", new long[] {256, 128, 1, 1}),
                "dev_v2_basic.safetensors", Map.of("stem.conv.weight", new long[] {8, 3, 7, 7},
                        "layer1.0.shortcut.weight", new long[] {8, 8, 1, 1}, "final_bn.running_var", new long[] {64}),
                "dev_v2_bottleneck.safetensors", Map.of("fc.weight", new long[] {11, 256}),
                "dev_v1_cifar20.safetensors", Map.of("conv1.weight", new long[] {16, 1, 3, 3}),
                "dev_v2_cifar20.safetensors", Map.of("stem.conv.weight", new long[] {16, 1, 3, 3}),
                "dev_v1_basic.io.safetensors", Map.of("input", new long[] {2, 3, 37, 45},
                        "logits_eval", new long[] {2, 10}, "pooled_eval", new long[] {2, 64},
                        "stem_eval", new long[] {2, 8, 10, 12}, "loss_train", new long[] {}),
                "dev_v2_bottleneck.io.safetensors", Map.of("input", new long[] {3, 3, 43, 33},
                        "labels", new long[] {3}),
                "dev_v2_cifar20.io.safetensors", Map.of("input", new long[] {2, 1, 28, 28}));
        shapes.forEach((file, expected) -> {
            try (SafeTensorsFile f = SafeTensorsFile.open(TestFiles.fixture(file))) {
                expected.forEach((tensor, shape) -> assertArrayEquals(shape,
                        f.find(tensor).orElseThrow(() -> new AssertionError(file + " lacks " + tensor)).shape(),
                        file + " " + tensor));
            }
        });
        try (SafeTensorsFile f = SafeTensorsFile.open(TestFiles.fixture("dev_v1_basic.io.safetensors"))) {
            TensorEntry labels = f.find("labels").orElseThrow();
            assertEquals(DType.I64, labels.dtype());
            assertArrayEquals(new long[] {2}, labels.shape());
            assertEquals(16, labels.byteSize());
            TensorEntry loss = f.find("loss_train").orElseThrow();
            assertEquals(0, loss.rank());
            assertEquals(1, loss.numel());
            assertEquals(4, loss.byteSize());
            assertEquals(1, f.readFloats("loss_train").length);
        }
    }

    /**
     * loss_train is the mean softmax cross-entropy of logits_train against labels: this holds to round-off only
     * if the F32 logits, the I64 labels and the scalar are all decoded correctly.
     */
    @ParameterizedTest
    @CsvSource({"dev_v1_basic", "dev_v1_bottleneck", "dev_v2_basic", "dev_v2_bottleneck", "dev_v1_cifar20",
            "dev_v2_cifar20"})
    void lossIsTheCrossEntropyOfTheLogits(String name) {
        try (SafeTensorsFile x = SafeTensorsFile.open(TestFiles.fixture(name + ".io.safetensors"));
             SafeTensorsFile w = SafeTensorsFile.open(TestFiles.fixture(name + ".safetensors"))) {
            int classes = Integer.parseInt(w.metadata().get("num_classes"));
            long[] labels = x.readLongs("labels");
            float[] logits = x.readFloats("logits_train");
            assertEquals(labels.length * classes, logits.length);
            double loss = 0;
            for (int i = 0; i < labels.length; i++) {
                assertTrue(labels[i] >= 0 && labels[i] < classes, "label " + labels[i]);
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, logits[i * classes + c]);
                }
                double s = 0;
                for (int c = 0; c < classes; c++) {
                    s += Math.exp(logits[i * classes + c] - max);
                }
                loss += max + Math.log(s) - logits[i * classes + (int) labels[i]];
            }
            loss /= labels.length;
            assertEquals(x.readFloats("loss_train")[0], loss, 1e-5);
        }
    }

    /** logits_eval = pooled_eval @ fc.weight^T + fc.bias, across the two files: checks row-major F32 decoding. */
    @ParameterizedTest
    @CsvSource({"dev_v1_basic", "dev_v1_bottleneck", "dev_v2_basic", "dev_v2_bottleneck", "dev_v1_cifar20",
            "dev_v2_cifar20"})
    void logitsAreTheDenseLayerOfThePooledFeatures(String name) {
        try (SafeTensorsFile x = SafeTensorsFile.open(TestFiles.fixture(name + ".io.safetensors"));
             SafeTensorsFile w = SafeTensorsFile.open(TestFiles.fixture(name + ".safetensors"))) {
            long[] ws = w.find("fc.weight").orElseThrow().shape();
            int classes = (int) ws[0];
            int features = (int) ws[1];
            float[] weight = w.readFloats("fc.weight");
            float[] bias = w.readFloats("fc.bias");
            float[] pooled = x.readFloats("pooled_eval");
            float[] logits = x.readFloats("logits_eval");
            int n = pooled.length / features;
            assertEquals(n * classes, logits.length);
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < classes; c++) {
                    double z = bias[c];
                    for (int k = 0; k < features; k++) {
                        z += (double) pooled[i * features + k] * weight[c * features + k];
                    }
                    assertEquals(logits[i * classes + c], z, 2e-5, "logit " + i + "," + c);
                }
            }
        }
    }
}
