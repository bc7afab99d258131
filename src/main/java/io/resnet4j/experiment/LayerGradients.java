package io.resnet4j.experiment;

import io.resnet4j.model.Layout;
import io.resnet4j.model.ResNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Per-layer gradient norms of a ResNet: the L2 norm of the gradient of every weight layer along the main path, in
 * the order the data flows — the stem convolution, each unit's convolutions, the classifier. Projection shortcuts
 * are not main-path layers and are left out, so a residual network and its plain counterpart have the same layers
 * ({@link Layout}'s depth: {@code 6n + 2} for the CIFAR nets).
 */
public final class LayerGradients {
    private LayerGradients() {
    }

    /** The weight tensors of the main-path layers, first convolution to classifier ({@code conv1.weight}, …). */
    public static List<String> layers(Layout layout) {
        List<String> names = new ArrayList<>();
        names.add(layout.stem().conv().name() + ".weight");
        for (Layout.Unit u : layout.units()) {
            for (Layout.ConvSpec c : u.convs()) {
                names.add(c.name() + ".weight");
            }
        }
        names.add(layout.head().classifier() + ".weight");
        return names;
    }

    /**
     * The L2 norm of each layer's weight gradient, in {@link #layers} order, as the last backward pass left it. Call
     * inside a {@link io.resnet4j.engine.Scope}.
     *
     * @throws IllegalStateException when a layer has no gradient (no backward pass yet)
     */
    public static double[] norms(ResNet model) {
        List<String> names = layers(model.layout());
        Map<String, Tensor> params = model.namedParameters();
        double[] out = new double[names.size()];
        for (int i = 0; i < out.length; i++) {
            Tensor w = params.get(names.get(i));
            Tensor g = w == null ? null : w.grad();
            if (g == null || !g.defined()) {
                throw new IllegalStateException("no gradient for " + names.get(i));
            }
            out[i] = g.to(torch.ScalarType.Double).norm().item_double();
        }
        return out;
    }
}
