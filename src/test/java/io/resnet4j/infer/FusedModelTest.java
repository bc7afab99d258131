package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Fixtures;
import io.resnet4j.model.ResNet;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The oneDNN fused-convolution model gives the reference logits (fp32) and close ones (bf16). */
class FusedModelTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.resnet4j.model.Fixtures#names")
    void matchesTheReference(String name) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = fx.model();
        for (Precision p : List.of(Precision.FP32, Precision.BF16)) {
            long[] shape = fx.inputShape();
            FusedModel fused = FusedModel.compile(model, p, (int) shape[0], (int) shape[2], (int) shape[3]);
            float[] got;
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                // bf16 gets a channels_first input: the model converts whatever layout it is given.
                DataFormat layout = p == Precision.FP32 ? DataFormat.CHANNELS_LAST : DataFormat.CHANNELS_FIRST;
                got = Tensors.toFloats(fused.forward(Tensors.inFormat(Tensors.fromFloats(fx.input(), shape), layout)));
            }
            fx.assertLogitsMatch(name, p, got);
        }
    }

    /** Weights packed for one batch size still give the reference logits for others (oneDNN reorders as needed). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.resnet4j.model.Fixtures#names")
    void otherBatchSizesThanTheOnePackedFor(String name) {
        Fixtures fx = Fixtures.load(name);
        long[] shape = fx.inputShape();
        FusedModel fused = FusedModel.compile(fx.model(), Precision.FP32, 7, (int) shape[2] + 5, (int) shape[3] + 3);
        float[] want = fx.logitsEval();
        int per = (int) (shape[1] * shape[2] * shape[3]);
        int classes = want.length / (int) shape[0];
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            // The first example alone, a batch of one.
            float[] one = java.util.Arrays.copyOf(fx.input(), per);
            float[] got = Tensors.toFloats(fused.forward(Tensors.fromFloats(one, 1, shape[1], shape[2], shape[3])));
            for (int k = 0; k < classes; k++) {
                assertEquals(want[k], got[k], 2e-5, name + " class " + k);
            }
        }
    }

    /**
     * forward frees its own activations as it goes (FusedModel's handles), never the caller's: an input already in
     * the model's layout and dtype (no conversion copy) is still readable and unchanged afterwards, and a second
     * pass over it gives the same logits bit for bit.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.resnet4j.model.Fixtures#names")
    void leavesTheCallersInputIntact(String name) {
        Fixtures fx = Fixtures.load(name);
        long[] shape = fx.inputShape();
        FusedModel fused = FusedModel.compile(fx.model(), Precision.FP32, (int) shape[0], (int) shape[2],
                (int) shape[3]);
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            Tensor x = Tensors.inFormat(Tensors.fromFloats(fx.input(), shape),
                    DataFormat.CHANNELS_LAST);
            float[] first = Tensors.toFloats(fused.forward(x));
            assertArrayEquals(fx.input(), Tensors.toFloats(x.contiguous()));
            assertArrayEquals(first, Tensors.toFloats(fused.forward(x)));
            fx.assertLogitsMatch(name, Precision.FP32, first);
        }
    }
}
