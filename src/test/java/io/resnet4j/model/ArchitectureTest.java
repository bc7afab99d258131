package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Presets and their sizes against the published parameter counts; shapes against the fixtures README. */
class ArchitectureTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "resnet18, 11689512", "resnet34, 21797672", "resnet50, 25557032", "resnet101, 44549160",
        "resnet152, 60192808", "resnet200, 64673832",
        "resnet18-v2, 11692329", "resnet34-v2, 21800489", "resnet50-v2, 25551401", "resnet101-v2, 44543529",
        "resnet152-v2, 60187177", "resnet200-v2, 64668201",
    })
    void presetParameterCountsMatchSpec(String name, long params) {
        assertEquals(params, ModelSummary.of(Architecture.preset(name), 224, 224).params());
    }

    /** The analytic summary and the built model agree: every tensor counted once. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"resnet18", "resnet50", "resnet50-v2", "resnet101-v2", "cifar-resnet20", "cifar-resnet56-v2"})
    void builtModelHasTheSummarisedParameters(String name) {
        Architecture a = Architecture.preset(name);
        ResNet m = ResNet.build(a);
        ModelSummary s = ModelSummary.of(a, 64, 64);
        assertEquals(s.params(), m.parameterCount());
        assertEquals(s.buffers(), m.bufferCount());
    }

    @Test
    void macsMatchTorchvisionCounts() {
        assertEquals(4_089_184_256L, ModelSummary.of(Architecture.preset("resnet50"), 224, 224).macs());
        assertEquals(1_814_073_344L, ModelSummary.of(Architecture.preset("resnet18"), 224, 224).macs());
    }

    @Test
    void cifarPresetsMatchFixtureCounts() {
        // shared/fixtures README: ResNet-20 with 1 input channel and 10 classes.
        assertEquals(272186, ModelSummary.of(Architecture.preset("cifar-resnet20").withInChannels(1), 28, 28).params());
        assertEquals(272250, ModelSummary.of(Architecture.preset("cifar-resnet20-v2").withInChannels(1), 28, 28).params());
        assertEquals(20, Architecture.preset("cifar-resnet20").depth());
        assertEquals(List.of(18, 18, 18), Architecture.preset("cifar-resnet110-v2").blocks());
    }

    @Test
    void summaryShapesMatchFixtureReadme() {
        // dev_v2_basic: 2x3x37x47 -> stem out 8x10x12 (TF SAME pool), layer4 64x2x2.
        Architecture a = Architecture.custom(Architecture.Version.V2, Architecture.Block.BASIC,
                List.of(1, 1, 1, 1), 8, Architecture.Stem.IMAGENET);
        ModelSummary s = ModelSummary.of(a, 37, 47);
        assertEquals("[8, 19, 24]", java.util.Arrays.toString(s.rows().get(0).outputShape()));
        assertEquals("[8, 10, 12]", java.util.Arrays.toString(s.rows().get(1).outputShape()));
        assertEquals("[64, 2, 2]", java.util.Arrays.toString(s.rows().get(5).outputShape()));
        // dev_v1_bottleneck: 40x40 -> stem out 8x10x10, layer3 128x3x3.
        Architecture b = Architecture.custom(Architecture.Version.V1, Architecture.Block.BOTTLENECK,
                List.of(1, 2, 1, 1), 8, Architecture.Stem.IMAGENET);
        ModelSummary t = ModelSummary.of(b, 40, 40);
        assertEquals("[8, 10, 10]", java.util.Arrays.toString(t.rows().get(1).outputShape()));
        assertEquals("[128, 3, 3]", java.util.Arrays.toString(t.rows().get(5).outputShape()));
    }

    @Test
    void namesRoundTrip() {
        for (String n : Architecture.presetNames()) {
            assertEquals(n, Architecture.preset(n).name());
        }
        assertEquals("custom", Architecture.custom(Architecture.Version.V1, Architecture.Block.BASIC,
                List.of(1, 1), 8, Architecture.Stem.IMAGENET).name());
    }

    @Test
    void badShapesAreRefusedWithAMessage() {
        assertThrows(ResNet4jException.class, () -> Architecture.preset("resnet42"));
        assertThrows(ResNet4jException.class, () -> Architecture.preset("cifar-resnet21"));
        assertThrows(ResNet4jException.class, () -> Architecture.preset("vgg16"));
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> Architecture.custom(
                Architecture.Version.V1, Architecture.Block.BASIC, List.of(2, 0), 8, Architecture.Stem.IMAGENET));
        assertTrue(e.getMessage().contains("at least one block"), e.getMessage());
        assertThrows(ResNet4jException.class, () -> Architecture.preset("resnet18").withClasses(0));
        assertThrows(ResNet4jException.class, () -> ModelSummary.of(Architecture.preset("resnet50"), 0, 224));
    }
}
