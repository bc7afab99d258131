package io.resnet4j.infer;

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

/** The frozen, optimised TorchScript graph gives the reference logits (fp32) and close ones (bf16). */
class TorchScriptModelTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.resnet4j.model.Fixtures#names")
    void matchesTheReference(String name) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = fx.model();
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            TorchScriptModel ts = TorchScriptModel.compile(model, true, p);
            float[] got;
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                got = Tensors.toFloats(ts.forward(Tensors.inFormat(Tensors.fromFloats(fx.input(), fx.inputShape()),
                        DataFormat.CHANNELS_LAST)));
            }
            fx.assertLogitsMatch(name, p, got);
        }
    }
}
