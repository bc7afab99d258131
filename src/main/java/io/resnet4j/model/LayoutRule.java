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

    /** The rule of {@code arch}'s variant; {@link #PLAIN} for a network without shortcuts. */
    static LayoutRule of(Architecture arch) {
        if (arch.shortcuts() == Architecture.Shortcuts.NONE) {
            return PLAIN;
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
}
