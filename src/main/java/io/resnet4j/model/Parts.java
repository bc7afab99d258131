package io.resnet4j.model;

import io.resnet4j.engine.Layers.BatchNorm2d;
import io.resnet4j.engine.Layers.Conv2d;
import io.resnet4j.engine.Layers.Linear;
import io.resnet4j.model.Layout.ConvSpec;
import io.resnet4j.model.Layout.Norm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Module;

/**
 * Makes a model's layers from their {@link Layout} specs and registers each under its layout name, creating the
 * containers of a dotted name ({@code layer2.0.downsample.0}) on the way: the module tree is just the names, so the
 * state dict has exactly the layout's names, in the order the layers are made. Remembers the convolutions and batch
 * norms, for initialisation and BN momentum.
 */
final class Parts {
    final List<Conv2d> convs = new ArrayList<>();
    final List<BatchNorm2d> norms = new ArrayList<>();
    private final Module root;
    private final double momentum;
    // Every module we create must stay reachable from Java: libtorch calls back into the Java object of a
    // Java-created module (train(), for one), so a container collected by the GC would break the model.
    private final Map<String, Module> containers = new HashMap<>();

    Parts(Module root, double momentum) {
        this.root = root;
        this.momentum = momentum;
    }

    /** The convolution of {@code spec} (padding and bias as the spec says). */
    Conv2d conv(ConvSpec spec) {
        Conv2d c = register(spec.name(), new Conv2d(spec.in(), spec.out(), spec.kernel(), spec.stride(),
                spec.padding(), spec.bias()));
        convs.add(c);
        return c;
    }

    BatchNorm2d bn(Norm norm) {
        BatchNorm2d b = register(norm.name(), new BatchNorm2d(norm.channels(), momentum, norm.eps()));
        norms.add(b);
        return b;
    }

    /** {@code spec}'s batch norm, or null when it has none. */
    BatchNorm2d bnOrNull(Norm norm) {
        return norm == null ? null : bn(norm);
    }

    Linear linear(String name, int in, int out) {
        return register(name, new Linear(in, out));
    }

    private <M extends Module> M register(String path, M module) {
        int dot = path.lastIndexOf('.');
        Module parent = dot < 0 ? root : container(path.substring(0, dot));
        return parent.register_module(path.substring(dot + 1), module);
    }

    private Module container(String path) {
        Module c = containers.get(path);
        if (c == null) {
            c = register(path, new Module("Sequential"));
            containers.put(path, c);
        }
        return c;
    }
}
