package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.model.Layout.ConvSpec;
import io.resnet4j.model.Layout.Norm;
import io.resnet4j.model.Layout.Pool;
import io.resnet4j.model.Layout.ShortcutKind;
import io.resnet4j.model.Layout.Unit;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The presets' layouts, spelled out: where the strides sit, which shortcuts, which names. */
class LayoutTest {
    @Test
    void torchvisionResNet50() {
        Layout l = Layout.of(Architecture.preset("resnet50"));
        assertEquals(new ConvSpec("conv1", 3, 64, 7, 2, 3, new Norm("bn1", 64), true), l.stem().conv());
        assertEquals(Pool.MAX_3X3_SYMMETRIC, l.stem().pool());
        assertEquals(List.of(3, 4, 6, 3), l.stages().stream().map(s -> s.units().size()).toList());
        assertEquals(16, l.units().size());

        // layer1.0 projects 64 -> 256 channels at stride 1; layer1.1 is an identity.
        Unit first = l.units().get(0);
        assertEquals(ShortcutKind.PROJECTION, first.shortcut().kind());
        assertEquals(new ConvSpec("layer1.0.downsample.0", 64, 256, 1, 1, 0, new Norm("layer1.0.downsample.1", 256),
                false), first.shortcut().projection());
        assertEquals(ShortcutKind.IDENTITY, l.units().get(1).shortcut().kind());

        // layer2.0: stride 2 on the 3x3 (v1.5), and on the projection; BN after every conv, ReLU but after the last.
        Unit u = l.stages().get(1).units().get(0);
        assertEquals("layer2.0", u.name());
        assertEquals(List.of(
                new ConvSpec("layer2.0.conv1", 256, 128, 1, 1, 0, new Norm("layer2.0.bn1", 128), true),
                new ConvSpec("layer2.0.conv2", 128, 128, 3, 2, 1, new Norm("layer2.0.bn2", 128), true),
                new ConvSpec("layer2.0.conv3", 128, 512, 1, 1, 0, new Norm("layer2.0.bn3", 512), false)), u.convs());
        assertEquals(2, u.shortcut().projection().stride());
        assertNull(u.preactivation());
        assertTrue(u.reluAfterAdd());

        assertNull(l.head().finalNorm());
        assertEquals(new Layout.Head(null, "fc", 2048, 1000), l.head());
    }

    @Test
    void tfOfficialResNet18V2() {
        Layout l = Layout.of(Architecture.preset("resnet18-v2"));
        assertEquals(new ConvSpec("stem.conv", 3, 64, 7, 2, 3, null, false), l.stem().conv());
        assertEquals(Pool.MAX_3X3_TF_SAME, l.stem().pool());
        // The first unit of every stage projects the pre-activated input, layer1 (64 -> 64, stride 1) included.
        for (Layout.Stage s : l.stages()) {
            Unit u = s.units().get(0);
            assertEquals(ShortcutKind.PROJECTION_PREACTIVATED, u.shortcut().kind(), u.name());
            assertEquals(u.name() + ".shortcut", u.shortcut().projection().name());
            assertNull(u.shortcut().projection().norm());
            assertEquals(ShortcutKind.IDENTITY, s.units().get(1).shortcut().kind());
        }
        Unit u = l.units().get(2); // layer2.0
        assertEquals(new Norm("layer2.0.bn1", 64), u.preactivation());
        assertEquals(List.of(
                new ConvSpec("layer2.0.conv1", 64, 128, 3, 2, 1, new Norm("layer2.0.bn2", 128), true),
                new ConvSpec("layer2.0.conv2", 128, 128, 3, 1, 1, null, false)), u.convs());
        assertTrue(!u.reluAfterAdd());
        assertEquals(new Layout.Head(new Norm("final_bn", 512), "fc", 512, 1001), l.head());
    }

    @Test
    void cifarStemHasNoPool() {
        Layout l = Layout.of(Architecture.preset("cifar-resnet20").withInChannels(1));
        assertEquals(new ConvSpec("conv1", 1, 16, 3, 1, 1, new Norm("bn1", 16), true), l.stem().conv());
        assertEquals(Pool.NONE, l.stem().pool());
        assertEquals(List.of(1, 1, 1, 2, 1, 1, 2, 1, 1), l.units().stream().map(Unit::stride).toList());
    }

    @Test
    void aRuleThatDoesNotFitIsRefusedByTheLayout() {
        Architecture v1 = Architecture.preset("resnet18");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Layout.of(v1, (a, stage, unit, in, out, stride) -> ShortcutKind.IDENTITY));
        assertTrue(e.getMessage().contains("layer2.0: an identity shortcut"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Layout.of(v1, (a, stage, unit, in, out, stride) -> ShortcutKind.PROJECTION_PREACTIVATED));
        assertTrue(e.getMessage().contains("pre-activat"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Layout.of(v1, (a, stage, unit, in, out, stride) -> in == out ? ShortcutKind.SUBSAMPLE
                        : ShortcutKind.PROJECTION));
        assertTrue(e.getMessage().contains("layer1.0: a subsampling shortcut"), e.getMessage());
        // A plain network (no shortcuts) is a rule away.
        Layout plain = Layout.of(v1, (a, stage, unit, in, out, stride) -> ShortcutKind.NONE);
        assertTrue(plain.units().stream().allMatch(u -> u.shortcut().projection() == null));
    }
}
