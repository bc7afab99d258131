package io.resnet4j.model;

import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Layers.BatchNorm2d;
import io.resnet4j.engine.Layers.Conv2d;
import io.resnet4j.model.Layout.ConvSpec;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

import static io.resnet4j.engine.Layers.add;
import static io.resnet4j.engine.Layers.reluInPlace;

/**
 * The eager forward pass of a {@link Layout}'s parts, over libtorch modules that {@link Parts} made and registered
 * under the layout's names. One class serves every variant: the layout says what each unit does.
 */
final class Blocks {
    private Blocks() {}

    /** A convolution, then its batch norm if it has one, then ReLU if its spec says so. */
    record Conv(Conv2d conv, BatchNorm2d bn, boolean relu) {
        /** Made (and so registered) in the state dict's order: the convolution, then its batch norm. */
        static Conv of(Parts parts, ConvSpec spec) {
            Conv2d c = parts.conv(spec);
            return new Conv(c, parts.bnOrNull(spec.norm()), spec.relu());
        }

        Tensor forward(Tensor x) {
            Tensor h = conv.forward(x);
            if (bn != null) {
                h = bn.forward(h);
            }
            // In place is safe: neither BN's nor the convolution's backward needs this output.
            return relu ? reluInPlace(h) : h;
        }
    }

    /**
     * A residual unit {@code [N, in, H, W] -> [N, out, H', W']}: {@code a = relu(bn1(x))} if pre-activated (v2),
     * else {@code a = x}; the main path of {@code a}; plus the shortcut (of {@code x}, or of {@code a} for
     * {@link Layout.ShortcutKind#PROJECTION_PREACTIVATED}); then ReLU for post-activation (v1) units.
     */
    static final class Residual {
        private final Layout.Unit spec;
        private final BatchNorm2d preactivation;
        private final List<Conv> convs = new ArrayList<>();
        private final Conv projection;

        /**
         * Registers in the state dict's order: v1 {@code conv1, bn1, conv2, bn2, …, downsample.0, downsample.1};
         * v2 {@code bn1, conv1, bn2, conv2, …, shortcut}.
         */
        Residual(Parts parts, Layout.Unit spec) {
            this.spec = spec;
            this.preactivation = parts.bnOrNull(spec.preactivation());
            for (ConvSpec c : spec.convs()) {
                convs.add(Conv.of(parts, c));
            }
            ConvSpec p = spec.shortcut().projection();
            this.projection = p == null ? null : Conv.of(parts, p);
        }

        Tensor forward(Tensor x) {
            Tensor a = preactivation == null ? x : reluInPlace(preactivation.forward(x));
            Tensor h = a;
            for (Conv c : convs) {
                h = c.forward(h);
            }
            Tensor s = switch (spec.shortcut().kind()) {
                case IDENTITY -> x;
                case PROJECTION -> projection.forward(x);
                case PROJECTION_PREACTIVATED -> projection.forward(a);
                case SUBSAMPLE -> Layers.subsample(x, spec.stride());
                case NONE -> null;
            };
            Tensor out = s == null ? h : add(h, s);
            return spec.reluAfterAdd() ? reluInPlace(out) : out;
        }
    }
}
