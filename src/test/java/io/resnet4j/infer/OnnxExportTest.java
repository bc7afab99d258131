package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.OnnxExport;
import io.resnet4j.model.ResNet;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * resnet4j's ONNX export, run by ONNX Runtime (an independent implementation of every op, TF SAME pooling as
 * {@code auto_pad = SAME_UPPER} included), gives the reference logits of every fixture.
 */
class OnnxExportTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "dev_v1_basic, V1, BASIC, '1,1,1,1', 8, IMAGENET, 10",
        "dev_v1_bottleneck, V1, BOTTLENECK, '1,2,1,1', 8, IMAGENET, 7",
        "dev_v2_basic, V2, BASIC, '1,1,1,1', 8, IMAGENET, 10",
        "dev_v2_bottleneck, V2, BOTTLENECK, '2,1,1,1', 8, IMAGENET, 11",
        "dev_v1_cifar20, V1, BASIC, '3,3,3', 16, CIFAR, 10",
        "dev_v2_cifar20, V2, BASIC, '3,3,3', 16, CIFAR, 10",
    })
    void onnxRuntimeReproducesTheReference(String name, Architecture.Version v, Architecture.Block b, String blocks,
            int width, Architecture.Stem stem, int classes) throws Exception {
        Path dir = Path.of(getClass().getResource("/fixtures/").toURI());
        try (SafeTensorsFile io = SafeTensorsFile.open(dir.resolve(name + ".io.safetensors"))) {
            long[] shape = io.find("input").orElseThrow().shape();
            Architecture arch = Architecture.custom(v, b,
                    java.util.Arrays.stream(blocks.split(",")).map(Integer::valueOf).toList(), width, stem)
                    .withClasses(classes).withInChannels((int) shape[1]);
            ResNet model = ResNet.load(arch, dir.resolve(name + ".safetensors"));
            float[] want = io.readFloats("logits_eval");
            float[] got;
            try (OnnxRuntimeModel ort = OnnxRuntimeModel.create(model)) {
                got = ort.run(io.readFloats("input"), shape);
            }
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 2e-5, name + " logit " + i);
            }
            byte[] bytes = OnnxExport.toBytes(model);
            assertTrue(bytes.length > 4 * model.parameterCount(), "every weight is in the file");
        }
    }
}
