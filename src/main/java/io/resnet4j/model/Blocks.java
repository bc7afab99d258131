package io.resnet4j.model;

import io.resnet4j.engine.Layers.BatchNorm2d;
import io.resnet4j.engine.Layers.Conv2d;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import static io.resnet4j.engine.Layers.add;
import static io.resnet4j.engine.Layers.reluInPlace;

/**
 * The four residual blocks. Each registers its tensors under the names of SPEC §1, in that order, so the
 * state dict reads like torchvision's (v1) or the fixtures' TF-official naming (v2).
 */
final class Blocks {
    private Blocks() {}

    /** A residual block: one NCHW tensor in, one out. */
    interface Block {
        Tensor forward(Tensor x);
    }

    /** torchvision BasicBlock: conv3x3(stride)-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU. */
    static final class BasicV1 extends Module implements Block {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final Conv2d conv2;
        private final BatchNorm2d bn2;
        private final Downsample downsample;

        BasicV1(Parts parts, int in, int width, int stride) {
            super("BasicBlock");
            conv1 = register_module("conv1", parts.conv(in, width, 3, stride));
            bn1 = register_module("bn1", parts.bn(width));
            conv2 = register_module("conv2", parts.conv(width, width, 3, 1));
            bn2 = register_module("bn2", parts.bn(width));
            downsample = Downsample.ifNeeded(this, parts, in, width, stride);
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor out = reluInPlace(bn1.forward(conv1.forward(x)));
            out = bn2.forward(conv2.forward(out));
            Tensor shortcut = downsample == null ? x : downsample.forward(x);
            return reluInPlace(add(out, shortcut));
        }
    }

    /**
     * torchvision Bottleneck ("v1.5"): 1x1 reduce, 3x3, 1x1 expand to 4x, each followed by BN (ReLU but after the
     * last), plus the shortcut, then ReLU. The stride sits on the 3x3 rather than the first 1x1: a strided 1x1
     * would simply skip three quarters of its input, while the 3x3 sees every pixel (ResNet v1.5; +0.5% top-1).
     */
    static final class BottleneckV1 extends Module implements Block {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final Conv2d conv2;
        private final BatchNorm2d bn2;
        private final Conv2d conv3;
        private final BatchNorm2d bn3;
        private final Downsample downsample;

        BottleneckV1(Parts parts, int in, int width, int stride) {
            super("Bottleneck");
            int out = 4 * width;
            conv1 = register_module("conv1", parts.conv(in, width, 1, 1));
            bn1 = register_module("bn1", parts.bn(width));
            conv2 = register_module("conv2", parts.conv(width, width, 3, stride));
            bn2 = register_module("bn2", parts.bn(width));
            conv3 = register_module("conv3", parts.conv(width, out, 1, 1));
            bn3 = register_module("bn3", parts.bn(out));
            downsample = Downsample.ifNeeded(this, parts, in, out, stride);
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor out = reluInPlace(bn1.forward(conv1.forward(x)));
            out = reluInPlace(bn2.forward(conv2.forward(out)));
            out = bn3.forward(conv3.forward(out));
            Tensor shortcut = downsample == null ? x : downsample.forward(x);
            return reluInPlace(add(out, shortcut));
        }
    }

    /** v1 projection shortcut {@code downsample.0} (conv1x1 with the block's stride) and {@code downsample.1} (BN). */
    static final class Downsample extends Module {
        private final Conv2d conv;
        private final BatchNorm2d bn;

        private Downsample(Parts parts, int in, int out, int stride) {
            super("Sequential");
            conv = register_module("0", parts.conv(in, out, 1, stride));
            bn = register_module("1", parts.bn(out));
        }

        /** Only where the shape changes (torchvision's "option B"); an identity shortcut otherwise. */
        static Downsample ifNeeded(Module owner, Parts parts, int in, int out, int stride) {
            if (stride == 1 && in == out) {
                return null;
            }
            return owner.register_module("downsample", new Downsample(parts, in, out, stride));
        }

        Tensor forward(Tensor x) {
            return bn.forward(conv.forward(x));
        }
    }

    /**
     * TF official pre-activation basic block: {@code a = relu(bn1(x))}; the first block of a layer projects
     * {@code a} (not x) with a 1x1 conv and has the layer's stride; {@code y = conv2(relu(bn2(conv1(a)))) + s}.
     * No ReLU after the addition: the next block (or the final BN-ReLU) pre-activates.
     */
    static final class BasicV2 extends Module implements Block {
        private final BatchNorm2d bn1;
        private final Conv2d conv1;
        private final BatchNorm2d bn2;
        private final Conv2d conv2;
        private final Conv2d shortcut;

        BasicV2(Parts parts, int in, int width, int stride, boolean project) {
            super("PreActBasicBlock");
            bn1 = register_module("bn1", parts.bn(in));
            conv1 = register_module("conv1", parts.conv(in, width, 3, stride));
            bn2 = register_module("bn2", parts.bn(width));
            conv2 = register_module("conv2", parts.conv(width, width, 3, 1));
            shortcut = project ? register_module("shortcut", parts.conv(in, width, 1, stride)) : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor a = reluInPlace(bn1.forward(x));
            Tensor s = shortcut == null ? x : shortcut.forward(a);
            Tensor out = reluInPlace(bn2.forward(conv1.forward(a)));
            return add(conv2.forward(out), s);
        }
    }

    /** TF official pre-activation bottleneck: BN-ReLU before each of 1x1, 3x3 (with the stride), 1x1 (4x). */
    static final class BottleneckV2 extends Module implements Block {
        private final BatchNorm2d bn1;
        private final Conv2d conv1;
        private final BatchNorm2d bn2;
        private final Conv2d conv2;
        private final BatchNorm2d bn3;
        private final Conv2d conv3;
        private final Conv2d shortcut;

        BottleneckV2(Parts parts, int in, int width, int stride, boolean project) {
            super("PreActBottleneck");
            int out = 4 * width;
            bn1 = register_module("bn1", parts.bn(in));
            conv1 = register_module("conv1", parts.conv(in, width, 1, 1));
            bn2 = register_module("bn2", parts.bn(width));
            conv2 = register_module("conv2", parts.conv(width, width, 3, stride));
            bn3 = register_module("bn3", parts.bn(width));
            conv3 = register_module("conv3", parts.conv(width, out, 1, 1));
            shortcut = project ? register_module("shortcut", parts.conv(in, out, 1, stride)) : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor a = reluInPlace(bn1.forward(x));
            Tensor s = shortcut == null ? x : shortcut.forward(a);
            Tensor out = reluInPlace(bn2.forward(conv1.forward(a)));
            out = reluInPlace(bn3.forward(conv2.forward(out)));
            return add(conv3.forward(out), s);
        }
    }
}
