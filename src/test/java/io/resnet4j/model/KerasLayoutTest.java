package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.Layers;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Layout.ConvSpec;
import io.resnet4j.model.Layout.Pool;
import io.resnet4j.model.Layout.ShortcutKind;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The Keras variants in the one layout description: where strides, shortcuts, biases, epsilons and pools go. */
class KerasLayoutTest {

    @Test
    void kerasV2StridesTheLastUnitWithASubsamplingShortcut() {
        Layout l = Layout.of(Architecture.preset("resnet50-v2-keras"));
        assertEquals(Pool.MAX_3X3_ZERO_PADDED, l.stem().pool());
        assertTrue(l.stem().conv().bias());
        List<Layout.Stage> stages = l.stages();
        for (int i = 0; i < 4; i++) {
            List<Layout.Unit> units = stages.get(i).units();
            Layout.Unit first = units.get(0);
            Layout.Unit last = units.get(units.size() - 1);
            assertEquals(ShortcutKind.PROJECTION_PREACTIVATED, first.shortcut().kind());
            assertEquals(1, first.stride());
            assertTrue(first.shortcut().projection().bias());
            assertEquals(i < 3 ? 2 : 1, last.stride(), "stage " + i);
            assertEquals(i < 3 ? ShortcutKind.SUBSAMPLE : ShortcutKind.IDENTITY, last.shortcut().kind());
            assertEquals(i < 3 ? 2 : 1, last.convs().get(1).stride(), "on the 3x3");
            for (Layout.Unit u : units) {
                assertFalse(u.convs().get(0).bias());
                assertFalse(u.convs().get(1).bias());
                assertTrue(u.convs().get(2).bias(), "the last 1x1 has a bias: no BN follows it");
                assertEquals(LayoutRule.KERAS_BN_EPSILON, u.preactivation().eps());
            }
        }
        assertEquals(LayoutRule.KERAS_BN_EPSILON, l.head().finalNorm().eps());
        assertEquals(1000, l.head().classes());
    }

    @Test
    void kerasV1StridesTheFirst1x1AndEveryConvolutionHasABias() {
        Layout l = Layout.of(Architecture.preset("resnet50-keras"));
        assertEquals(Pool.MAX_3X3_SYMMETRIC, l.stem().pool(), "after a ReLU zero padding is the same as -inf");
        assertTrue(l.stem().conv().bias());
        Layout.Unit u = l.stages().get(1).units().get(0);
        assertEquals(2, u.stride());
        assertEquals(List.of(2, 1, 1), u.convs().stream().map(ConvSpec::stride).toList());
        assertTrue(u.convs().stream().allMatch(ConvSpec::bias));
        assertEquals(ShortcutKind.PROJECTION, u.shortcut().kind());
        assertTrue(u.shortcut().projection().bias());
        assertEquals(LayoutRule.KERAS_BN_EPSILON, u.convs().get(0).norm().eps());
        assertEquals(ShortcutKind.PROJECTION, l.stages().get(0).units().get(0).shortcut().kind());
        // torchvision's v1 is untouched
        Layout tv = Layout.of(Architecture.preset("resnet50"));
        assertFalse(tv.stem().conv().bias());
        assertEquals(LayoutRule.BN_EPSILON, tv.stem().conv().norm().eps());
        assertEquals(List.of(1, 2, 1), tv.stages().get(1).units().get(0).convs().stream().map(ConvSpec::stride)
                .toList());
    }

    @Test
    void presetsRoundTripThroughNameAndConfig() {
        for (String n : List.of("resnet50-keras", "resnet101-keras", "resnet152-keras", "resnet50-v2-keras",
                "resnet101-v2-keras", "resnet152-v2-keras")) {
            Architecture a = Architecture.preset(n);
            assertEquals(n, a.name());
            assertTrue(Architecture.presetNames().contains(n));
            ModelConfig c = ModelConfig.defaults(a);
            assertEquals(c, ModelDirectory.fromJson(ModelDirectory.toJson(c)));
        }
        assertFalse(ModelDirectory.toJson(ModelConfig.defaults(Architecture.preset("resnet50"))).contains("variant"));
    }

    /** Keras' v2 stem pool pads with zeros: an all-negative border window gives 0, not its own maximum. */
    @Test
    void zeroPaddedPoolLetsZerosWin() {
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            Tensor x = Tensors.fromFloats(new float[] {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14,
                -15, -16}, 1, 1, 4, 4);
            float[] zero = Tensors.toFloats(Layers.maxPool3x3ZeroPadded(x));
            float[] symmetric = Tensors.toFloats(Layers.maxPool3x3Symmetric(x));
            // windows over padded rows/cols 0..2 and 2..4: three touch the border, the last is all inside
            assertEquals(List.of(0f, 0f, 0f, -6f), List.of(zero[0], zero[1], zero[2], zero[3]));
            assertEquals(List.of(-1f, -2f, -5f, -6f), List.of(symmetric[0], symmetric[1], symmetric[2],
                    symmetric[3]));
        }
    }

    @Test
    void summaryCountsTheBiases() {
        ModelSummary k = ModelSummary.of(Architecture.preset("resnet50-keras"), 224, 224);
        ModelSummary tv = ModelSummary.of(Architecture.preset("resnet50"), 224, 224);
        assertEquals(25_583_592L, k.params());
        assertEquals(25_557_032L, tv.params());
        // original v1 strides the first 1x1, so the 3x3 runs at the lower resolution: 3.86 vs 4.09 GMACs
        assertEquals(3_857_973_248L, k.macs());
        assertNull(Layout.of(Architecture.preset("resnet50-keras")).head().finalNorm());
    }
}
