package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.model.Fixtures;
import io.resnet4j.model.OnnxExport;
import io.resnet4j.model.ResNet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * resnet4j's ONNX export, run by ONNX Runtime (an independent implementation of every op, TF SAME pooling as
 * {@code auto_pad = SAME_UPPER} included), gives the reference logits of every fixture.
 */
class OnnxExportTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.resnet4j.model.Fixtures#names")
    void onnxRuntimeReproducesTheReference(String name) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = fx.model();
        float[] want = fx.logitsEval();
        float[] got;
        try (OnnxRuntimeModel ort = OnnxRuntimeModel.create(model)) {
            got = ort.run(fx.input(), fx.inputShape());
        }
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 2e-5, name + " logit " + i);
        }
        byte[] bytes = OnnxExport.toBytes(model);
        assertTrue(bytes.length > 4 * model.parameterCount(), "every weight is in the file");
    }
}
