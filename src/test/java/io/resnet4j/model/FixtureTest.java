package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Layers;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every reference case of shared/fixtures, in both data formats: eval outputs, one training forward, the loss,
 * every gradient and every running statistic, against the independent PyTorch float64 reference with the
 * tolerances its README recommends.
 */
class FixtureTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String c : Fixtures.CASES) {
            for (DataFormat f : DataFormat.values()) {
                out.add(Arguments.of(c, f));
            }
        }
        return out.stream();
    }

    private static ResNet loaded(Fixtures fx, DataFormat format) {
        ResNet model = ResNet.build(fx.architecture().withDataFormat(format));
        Weights.load(model, Fixtures.weightsPath(fx.name));
        assertEquals(Long.parseLong(fx.meta.get("trainable_params")), model.parameterCount(), "trainable params");
        return model;
    }

    private static Tensor input(Fixtures fx) {
        return Tensors.fromFloats(fx.io.get("input"), fx.ioShapes.get("input"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void evalMatchesReference(String name, DataFormat format) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = loaded(fx, format);
        model.train(false);
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            ResNet.Outputs o = model.forwardAll(input(fx));
            assertClose(fx, "logits_eval", o.logits(), 2e-5);
            assertClose(fx, "pooled_eval", o.pooled(), 5e-5);
            assertClose(fx, "stem_eval", o.stem(), 5e-5);
        }
        // The eval pass must leave the running statistics exactly as stored.
        try (io.resnet4j.io.SafeTensorsFile w = io.resnet4j.io.SafeTensorsFile.open(Fixtures.weightsPath(name))) {
            for (Map.Entry<String, Tensor> b : model.namedBuffers().entrySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(w.readFloats(b.getKey()),
                        Tensors.toFloats(b.getValue()), b.getKey());
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void trainingStepMatchesReference(String name, DataFormat format) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = loaded(fx, format);
        model.train(true);
        try (Scope s = Scope.open()) {
            ResNet.Outputs o = model.forwardAll(input(fx));
            assertClose(fx, "logits_train", o.logits(), 5e-5);
            Tensor loss = Layers.crossEntropy(o.logits(), Tensors.fromLongs(fx.labels, fx.labels.length), 0.0);
            assertEquals(fx.io.get("loss_train")[0], loss.item_float(), 1e-5, "loss_train");
            loss.backward();
            for (Map.Entry<String, Tensor> p : model.namedParameters().entrySet()) {
                String ref = "grad." + p.getKey();
                assertNotNull(fx.io.get(ref), "reference has " + ref);
                float[] got = Tensors.toFloats(p.getValue().grad());
                float[] want = fx.io.get(ref);
                assertEquals(want.length, got.length, ref);
                double maxRef = 0;
                double maxDiff = 0;
                for (int i = 0; i < want.length; i++) {
                    maxRef = Math.max(maxRef, Math.abs(want[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
                }
                assertTrue(maxDiff <= 2e-4, ref + ": max abs diff " + maxDiff);
                assertTrue(maxDiff <= 2e-4 * maxRef + 1e-7, ref + ": max diff " + maxDiff + " vs max |ref| " + maxRef);
            }
        }
        int checked = 0;
        for (Map.Entry<String, Tensor> b : model.namedBuffers().entrySet()) {
            double tol = b.getKey().endsWith("running_mean") ? 5e-6 : 2e-5;
            assertClose(fx, "after_train." + b.getKey(), b.getValue(), tol);
            checked++;
        }
        assertEquals(fx.io.keySet().stream().filter(k -> k.startsWith("after_train.")).count(), checked);
    }

    /**
     * bf16 autocast keeps 8 bits of mantissa: each product's operands are rounded to a relative error of 2^-9
     * (0.2%), and through ~10-20 layers with BN renormalising those errors add up to about 1-2% of an activation's
     * scale. So we require logits within 5% of the largest reference logit (0.05 * max|ref|, the reference
     * logits are O(1)) and the same arg-max class wherever the fp32 reference has a clear margin.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void bf16ForwardIsClose(String name, DataFormat format) {
        Fixtures fx = Fixtures.load(name);
        ResNet model = loaded(fx, format);
        model.train(false);
        float[] want = fx.io.get("logits_eval");
        float[] got;
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin(); Autocast ac = Autocast.begin(Precision.BF16)) {
            got = Tensors.toFloats(model.forward(input(fx)));
        }
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < want.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(want[i]));
            maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
        }
        assertTrue(maxDiff <= 0.05 * maxRef, "bf16 logits differ by " + maxDiff + " (max |ref| " + maxRef + ")");
        assertTrue(maxDiff > 0, "bf16 autocast did not change anything: it did not run in bf16");
    }

    private static void assertClose(Fixtures fx, String ref, Tensor got, double atol) {
        float[] want = fx.io.get(ref);
        assertNotNull(want, "reference tensor " + ref);
        float[] g = Tensors.toFloats(got);
        assertEquals(want.length, g.length, ref + " size");
        long[] shape = Tensors.shape(got);
        assertEquals(java.util.Arrays.toString(fx.ioShapes.get(ref)), java.util.Arrays.toString(shape), ref + " shape");
        double maxDiff = 0;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(want[i] - g[i]));
        }
        assertTrue(maxDiff <= atol, ref + ": max abs diff " + maxDiff + " > " + atol);
    }
}
