package io.resnet4j.model;

import io.resnet4j.model.Layout.ShortcutKind;

/**
 * The choices that tell ResNet variants apart, unit by unit: which unit of a stage carries the stage's stride,
 * which of its convolutions, and what shortcut it has. Everything else — channels, kernels, padding, tensor names —
 * is common to every variant and lives in {@link Layout}.
 *
 * <p>A new variant is a new rule, chosen in {@link #of}; the defaults are what both presets do.
 */
@FunctionalInterface
public interface LayoutRule {

    /** torchvision v1 ("v1.5"): a projection (1x1 + BN of the input) only where the shape changes ("option B"). */
    LayoutRule TORCHVISION = (a, stage, unit, in, out, stride) ->
            stride == 1 && in == out ? ShortcutKind.IDENTITY : ShortcutKind.PROJECTION;

    /** TF official v2: projects the pre-activated input in the first unit of every stage, the first stage too. */
    LayoutRule TF_OFFICIAL = (a, stage, unit, in, out, stride) ->
            unit == 0 ? ShortcutKind.PROJECTION_PREACTIVATED : ShortcutKind.IDENTITY;

    /** No shortcut in any unit: a plain network (He et al. 2015's "plain" nets), for any version. */
    LayoutRule PLAIN = (a, stage, unit, in, out, stride) -> ShortcutKind.NONE;

    /**
     * {@code keras.applications.ResNet50/101/152}: original v1 (He et al. 2015). Every stage's first unit projects
     * (1x1 + BN, with the stage's stride), even where the shape does not change; the stride sits on the first 1x1;
     * every convolution has a bias (each is followed by BN, so the biases only shift the BN's input); the stem pool
     * pads with zeros after a ReLU, which is the same as never letting padding win; BN epsilon 1.001e-5.
     */
    LayoutRule KERAS_V1 = new LayoutRule() {
        @Override
        public ShortcutKind shortcut(Architecture a, int stage, int unit, int in, int out, int stride) {
            return unit == 0 ? ShortcutKind.PROJECTION : ShortcutKind.IDENTITY;
        }

        @Override
        public int stridedConv(Architecture a) {
            return 0;
        }

        @Override
        public boolean convBias(Architecture a, boolean followedByNorm) {
            return true;
        }

        @Override
        public double bnEpsilon(Architecture a) {
            return KERAS_BN_EPSILON;
        }
    };

    /**
     * {@code keras.applications.ResNet50V2/101V2/152V2}: the stage's stride on its <em>last</em> unit, on the 3x3,
     * with a subsampling shortcut (a 1x1 max pool with the stride); the first unit projects the pre-activated input
     * (stride 1); convolutions not followed by BN (the stem, the projections, each unit's last 1x1) have biases;
     * the stem pool pads with zeros (the stem output is not ReLU'd, so zeros can win); BN epsilon 1.001e-5.
     */
    LayoutRule KERAS_V2 = new LayoutRule() {
        @Override
        public ShortcutKind shortcut(Architecture a, int stage, int unit, int in, int out, int stride) {
            if (unit == 0) {
                return ShortcutKind.PROJECTION_PREACTIVATED;
            }
            return stride > 1 ? ShortcutKind.SUBSAMPLE : ShortcutKind.IDENTITY;
        }

        @Override
        public int stride(Architecture a, int stage, int unit) {
            return unit == a.blocks().get(stage) - 1 ? a.strides().get(stage) : 1;
        }

        @Override
        public Layout.Pool stemPool(Architecture a) {
            return Layout.Pool.MAX_3X3_ZERO_PADDED;
        }

        @Override
        public boolean convBias(Architecture a, boolean followedByNorm) {
            return !followedByNorm;
        }

        @Override
        public double bnEpsilon(Architecture a) {
            return KERAS_BN_EPSILON;
        }
    };

    /** Batch-norm epsilon of PyTorch and TF official. */
    double BN_EPSILON = 1e-5;

    /** Batch-norm epsilon of {@code keras.applications}' ResNets. */
    double KERAS_BN_EPSILON = 1.001e-5;

    /** The rule of {@code arch}'s variant; {@link #PLAIN} for a network without shortcuts. */
    static LayoutRule of(Architecture arch) {
        if (arch.shortcuts() == Architecture.Shortcuts.NONE) {
            return PLAIN;
        }
        if (arch.keras()) {
            return arch.version() == Architecture.Version.V1 ? KERAS_V1 : KERAS_V2;
        }
        return switch (arch.version()) {
            case V1 -> TORCHVISION;
            case V2 -> TF_OFFICIAL;
        };
    }

    /** The shortcut of unit {@code unit} of stage {@code stage}, which maps {@code in} to {@code out} channels. */
    ShortcutKind shortcut(Architecture arch, int stage, int unit, int in, int out, int stride);

    /** The stride of unit {@code unit} of stage {@code stage}: the stage's stride on its first unit. */
    default int stride(Architecture arch, int stage, int unit) {
        return unit == 0 ? arch.strides().get(stage) : 1;
    }

    /**
     * Which main-path convolution (0-based) carries a unit's stride: the 3x3, in both blocks. In the bottleneck
     * this is ResNet "v1.5": a strided first 1x1 would simply skip three quarters of its input, while the 3x3 sees
     * every pixel (+0.5% top-1).
     */
    default int stridedConv(Architecture arch) {
        return arch.block() == Architecture.Block.BOTTLENECK ? 1 : 0;
    }

    /**
     * The ImageNet stem's 3x3/2 max pool: torchvision's symmetric padding after v1's ReLU, TensorFlow's SAME in v2
     * (whose stem output is not ReLU'd).
     */
    default Layout.Pool stemPool(Architecture arch) {
        return arch.version() == Architecture.Version.V1 ? Layout.Pool.MAX_3X3_SYMMETRIC : Layout.Pool.MAX_3X3_TF_SAME;
    }

    /** Whether a convolution has a bias; {@code followedByNorm}: a batch norm reads its output. None by default. */
    default boolean convBias(Architecture arch, boolean followedByNorm) {
        return false;
    }

    /** The epsilon of every batch norm. */
    default double bnEpsilon(Architecture arch) {
        return BN_EPSILON;
    }
}
