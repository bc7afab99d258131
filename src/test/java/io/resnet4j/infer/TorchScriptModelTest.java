package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The frozen, optimised TorchScript graph gives the reference logits (fp32) and close ones (bf16). */
class TorchScriptModelTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "dev_v1_basic, V1, BASIC, '1,1,1,1', 8, IMAGENET, 10",
        "dev_v1_bottleneck, V1, BOTTLENECK, '1,2,1,1', 8, IMAGENET, 7",
        "dev_v2_basic, V2, BASIC, '1,1,1,1', 8, IMAGENET, 10",
        "dev_v2_bottleneck, V2, BOTTLENECK, '2,1,1,1', 8, IMAGENET, 11",
        "dev_v1_cifar20, V1, BASIC, '3,3,3', 16, CIFAR, 10",
        "dev_v2_cifar20, V2, BASIC, '3,3,3', 16, CIFAR, 10",
    })
    void matchesTheReference(String name, Architecture.Version v, Architecture.Block b, String blocks, int width,
            Architecture.Stem stem, int classes) throws Exception {
        Path dir = Path.of(getClass().getResource("/fixtures/").toURI());
        try (SafeTensorsFile io = SafeTensorsFile.open(dir.resolve(name + ".io.safetensors"))) {
            long[] shape = io.find("input").orElseThrow().shape();
            Architecture arch = Architecture.custom(v, b,
                    java.util.Arrays.stream(blocks.split(",")).map(Integer::valueOf).toList(), width, stem)
                    .withClasses(classes).withInChannels((int) shape[1]);
            ResNet model = ResNet.load(arch, dir.resolve(name + ".safetensors"));
            float[] want = io.readFloats("logits_eval");
            for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
                TorchScriptModel ts = TorchScriptModel.compile(model, true, p);
                float[] got;
                try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                    got = Tensors.toFloats(ts.forward(Tensors.inFormat(Tensors.fromFloats(io.readFloats("input"),
                            shape), DataFormat.CHANNELS_LAST)));
                }
                assertEquals(want.length, got.length);
                double maxRef = 0;
                double maxDiff = 0;
                for (int i = 0; i < want.length; i++) {
                    maxRef = Math.max(maxRef, Math.abs(want[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
                }
                // fp32: the fixtures' recommended atol; bf16: as FixtureTest.bf16ForwardIsClose argues.
                double tol = p == Precision.FP32 ? 2e-5 : 0.05 * maxRef;
                assertTrue(maxDiff <= tol, name + " " + p + ": max diff " + maxDiff);
            }
        }
    }
}
