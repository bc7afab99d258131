package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Fixtures;
import io.resnet4j.model.ResNet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The oneDNN fused-convolution model gives the reference logits (fp32) and close ones (bf16). */
class FusedModelTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.resnet4j.model.Fixtures#names")
    void matchesTheReference(String name) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = fx.model();
        float[] want = fx.logitsEval();
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            FusedModel fused = FusedModel.compile(model, p, (int) fx.inputShape()[0], (int) fx.inputShape()[2], (int) fx.inputShape()[3]);
            float[] got;
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                got = Tensors.toFloats(fused.forward(Tensors.inFormat(Tensors.fromFloats(fx.input(), fx.inputShape()),
                        DataFormat.CHANNELS_LAST)));
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
