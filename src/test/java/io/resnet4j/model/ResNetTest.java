package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class ResNetTest {
    /** Regression: modules only referenced from native code were collected and train() then failed. */
    @Test
    void survivesGarbageCollection() {
        ResNet m = ResNet.build(Architecture.preset("cifar-resnet8-v2").withInChannels(1));
        for (int i = 0; i < 5; i++) {
            System.gc();
            m.train(i % 2 == 0);
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                assertEquals(10, m.forward(Tensors.fromFloats(new float[2 * 28 * 28], 2, 1, 28, 28)).size(1));
            }
        }
    }

    @Test
    void initialisationFollowsEachFamily() {
        Engine.seed(11);
        // v1: He normal, fan_out: std = sqrt(2 / (out * k * k)).
        ResNet v1 = ResNet.build(Architecture.preset("resnet50"));
        float[] w = Tensors.toFloats(v1.namedParameters().get("layer3.0.conv2.weight")); // [256, 256, 3, 3]
        assertEquals(Math.sqrt(2.0 / (256 * 9)), std(w), 0.02 * Math.sqrt(2.0 / (256 * 9)));
        // v2: TF variance scaling, fan_in, truncated normal: |w| <= 2 * stddev, std of the truncated draw = 1/sqrt(fan_in).
        ResNet v2 = ResNet.build(Architecture.preset("resnet50-v2"));
        float[] u = Tensors.toFloats(v2.namedParameters().get("layer3.0.conv2.weight"));
        double fanIn = 256 * 9;
        assertEquals(Math.sqrt(1.0 / fanIn), std(u), 0.02 * Math.sqrt(1.0 / fanIn));
        double bound = 2 * Math.sqrt(1.0 / fanIn) / 0.87962566103423978;
        for (float x : u) {
            assertTrue(Math.abs(x) <= bound * 1.0001);
        }
        // BN starts at identity; v2's dense bias at zero.
        assertTrue(allEqual(Tensors.toFloats(v2.namedParameters().get("final_bn.weight")), 1f));
        assertTrue(allEqual(Tensors.toFloats(v2.namedParameters().get("fc.bias")), 0f));
    }

    @Test
    void dataFormatChangesLayoutNotNumbers() {
        Engine.seed(5);
        ResNet m = ResNet.build(Architecture.preset("cifar-resnet8").withInChannels(3).withDataFormat(
                DataFormat.CHANNELS_FIRST));
        m.train(false);
        float[] x = new float[2 * 3 * 16 * 16];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] first;
        float[] last;
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            first = Tensors.toFloats(m.forward(Tensors.fromFloats(x, 2, 3, 16, 16)));
        }
        m.setDataFormat(DataFormat.CHANNELS_LAST);
        Tensor w = m.namedParameters().get("layer1.0.conv1.weight");
        assertTrue(Tensors.isInFormat(w, DataFormat.CHANNELS_LAST));
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            last = Tensors.toFloats(m.forward(Tensors.fromFloats(x, 2, 3, 16, 16)));
        }
        assertArrayEquals(first, last, 1e-5f);
    }

    @Test
    void stateDictNamesFollowSpec() {
        Map<String, Tensor> v1 = ResNet.build(Architecture.preset("resnet18")).namedTensors();
        assertTrue(v1.keySet().containsAll(List.of("conv1.weight", "bn1.running_var", "layer2.0.downsample.0.weight",
                "layer2.0.downsample.1.bias", "fc.weight", "fc.bias")));
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"),
                v1.keySet().stream().limit(5).toList());
        Map<String, Tensor> v2 = ResNet.build(Architecture.preset("resnet50-v2")).namedTensors();
        assertTrue(v2.keySet().containsAll(List.of("stem.conv.weight", "layer1.0.shortcut.weight",
                "layer1.0.bn3.running_mean", "final_bn.weight", "fc.bias")));
        assertTrue(v2.keySet().stream().noneMatch(k -> k.startsWith("layer1.1.shortcut")));
    }

    @Test
    void wrongInputShapeIsAClearError() {
        ResNet m = ResNet.build(Architecture.preset("cifar-resnet8").withInChannels(1));
        try (Scope s = Scope.open()) {
            ResNet4jException e = assertThrows(ResNet4jException.class,
                    () -> m.forward(Tensors.fromFloats(new float[3 * 8 * 8], 1, 3, 8, 8)));
            assertTrue(e.getMessage().contains("[N, 1, H, W]"), e.getMessage());
        }
    }

    private static double std(float[] v) {
        double s = 0;
        double s2 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
        }
        double mean = s / v.length;
        return Math.sqrt(s2 / v.length - mean * mean);
    }

    private static boolean allEqual(float[] v, float x) {
        for (float f : v) {
            if (f != x) {
                return false;
            }
        }
        return true;
    }
}
