package io.resnet4j.model;

import io.resnet4j.engine.Layers.BatchNorm2d;
import io.resnet4j.engine.Layers.Conv2d;
import java.util.ArrayList;
import java.util.List;

/** Makes a model's convolutions and batch norms and remembers them, for initialisation and BN momentum. */
final class Parts {
    final List<Conv2d> convs = new ArrayList<>();
    final List<BatchNorm2d> norms = new ArrayList<>();
    private final double momentum;

    Parts(double momentum) {
        this.momentum = momentum;
    }

    /** A bias-free k x k convolution with the symmetric padding (k-1)/2 (see {@link Conv2d}). */
    Conv2d conv(int in, int out, int kernel, int stride) {
        Conv2d c = new Conv2d(in, out, kernel, stride, (kernel - 1) / 2);
        convs.add(c);
        return c;
    }

    BatchNorm2d bn(int channels) {
        BatchNorm2d b = new BatchNorm2d(channels, momentum);
        norms.add(b);
        return b;
    }
}
