package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Layout.ShortcutKind;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plain CIFAR nets ({@code cifar-plain{6n+2}}, the degradation experiment's): the residual nets with every
 * shortcut removed, and nothing else changed. Each check fails if a shortcut sneaks back anywhere.
 */
class PlainNetworkTest {

    @ParameterizedTest
    @ValueSource(strings = {"cifar-plain8", "cifar-plain20", "cifar-plain56", "cifar-plain110", "cifar-plain20-v2",
        "cifar-plain56-v2"})
    void hasNoShortcutAnywhereAndOnlyTheResidualNetsProjectionsFewerParameters(String name) {
        Architecture plain = Architecture.preset(name);
        assertTrue(plain.plain());
        assertEquals(name, plain.name());
        Architecture residual = Architecture.preset(name.replace("plain", "resnet"));
        assertEquals(residual.withShortcuts(Architecture.Shortcuts.NONE), plain);
        int n = (plain.depth() - 2) / 6;
        assertEquals(List.of(n, n, n), plain.blocks());

        Layout p = Layout.of(plain);
        Layout r = Layout.of(residual);
        assertEquals(r.units().size(), p.units().size());
        long projections = 0;
        for (int i = 0; i < p.units().size(); i++) {
            Layout.Unit pu = p.units().get(i);
            Layout.Unit ru = r.units().get(i);
            assertEquals(ShortcutKind.NONE, pu.shortcut().kind(), pu.name());
            assertNull(pu.shortcut().projection(), pu.name());
            // The same stacks, widths, strides and batch norms.
            assertEquals(ru.convs(), pu.convs(), pu.name());
            assertEquals(ru.preactivation(), pu.preactivation(), pu.name());
            assertEquals(ru.stride(), pu.stride(), pu.name());
            Layout.ConvSpec proj = ru.shortcut().projection();
            if (proj != null) {
                projections += proj.weightCount() + (proj.norm() == null ? 0 : 2L * proj.norm().channels());
            }
        }
        assertEquals(r.stem(), p.stem());
        assertEquals(r.head(), p.head());
        assertTrue(projections > 0, "the residual net projects where the shape changes");

        ResNet pm = ResNet.build(plain);
        ResNet rm = ResNet.build(residual);
        for (String t : pm.namedTensors().keySet()) {
            assertFalse(t.contains("downsample") || t.contains("shortcut"), t);
        }
        assertEquals(rm.parameterCount() - projections, pm.parameterCount());
        assertEquals(ModelSummary.of(residual, 32, 32).params() - projections, ModelSummary.of(plain, 32, 32).params());
        assertEquals(pm.parameterCount(), ModelSummary.of(plain, 32, 32).params());
    }

    /** Exact counts (3 input channels, 10 classes): the residual nets' minus their two projections. */
    @ParameterizedTest
    @ValueSource(ints = {20, 56})
    void exactParameterCounts(int depth) {
        long residual = ResNet.build(Architecture.preset("cifar-resnet" + depth)).parameterCount();
        long plain = ResNet.build(Architecture.preset("cifar-plain" + depth)).parameterCount();
        // layer2.0: 16 -> 32, 1x1 conv (512) + BN (64); layer3.0: 32 -> 64, 1x1 conv (2048) + BN (128).
        assertEquals(residual - 2752, plain);
        assertEquals(depth == 20 ? 269_722 : 853_018, plain);
        // v2 projects the pre-activated input in the first unit of every stage, without BN: 256 + 512 + 2048.
        long residualV2 = ResNet.build(Architecture.preset("cifar-resnet" + depth + "-v2")).parameterCount();
        assertEquals(residualV2 - 2816, ResNet.build(Architecture.preset("cifar-plain" + depth + "-v2"))
                .parameterCount());
    }

    /**
     * Functionally: silence one unit (zero the scale and shift of its last batch norm) and, without a shortcut, the
     * logits no longer depend on the input — for every unit. The residual net, whose identity shortcuts carry the
     * input around a silenced unit, is the control.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cifar-plain14", "cifar-plain14-v2"})
    void silencingAnyUnitCutsTheInputOff(String name) {
        for (boolean plain : new boolean[] {true, false}) {
            Architecture arch = Architecture.preset(plain ? name : name.replace("plain", "resnet"));
            ResNet model = ResNet.build(arch);
            model.train(false);
            var params = model.namedParameters();
            for (Layout.Unit u : model.layout().units()) {
                Layout.Norm norm = null;
                for (Layout.ConvSpec c : u.convs()) {
                    norm = c.norm() != null ? c.norm() : norm;
                }
                try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                    Tensor w = params.get(norm.name() + ".weight");
                    Tensor b = params.get(norm.name() + ".bias");
                    Tensor w0 = w.clone();
                    Tensor b0 = b.clone();
                    w.zero_();
                    b.zero_();
                    float[] a = Tensors.toFloats(model.forward(input(1)));
                    float[] c = Tensors.toFloats(model.forward(input(2)));
                    w.copy_(w0);
                    b.copy_(b0);
                    if (plain) {
                        assertEquals(0, maxDifference(a, c), 1e-6, name + ": a path around " + u.name());
                    } else if (u.shortcut().kind() == ShortcutKind.IDENTITY) {
                        assertNotEquals(0, maxDifference(a, c), 1e-3, "control: the identity around " + u.name());
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cifar-plain20", "cifar-resnet20"})
    void configJsonKeepsTheShortcuts(String name) throws Exception {
        Architecture a = Architecture.preset(name);
        ModelConfig c = ModelConfig.defaults(a);
        String json = ModelDirectory.toJson(c);
        assertEquals(a, ModelDirectory.fromJson(json).architecture());
        // A config written before plain nets existed is residual.
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode tree = (ObjectNode) mapper.readTree(json);
        ((ObjectNode) tree.get("architecture")).remove("shortcuts");
        String old = mapper.writeValueAsString(tree);
        assertFalse(old.contains("shortcuts"), old);
        assertEquals(a.withShortcuts(Architecture.Shortcuts.RESIDUAL), ModelDirectory.fromJson(old).architecture());
    }

    private static Tensor input(long seed) {
        Random r = new Random(seed);
        float[] x = new float[2 * 3 * 16 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return Tensors.fromFloats(x, 2, 3, 16, 16);
    }

    private static double maxDifference(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
