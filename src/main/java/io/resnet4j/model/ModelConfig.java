package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.DataFormat;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code config.json} in a model directory says: the architecture, the classes, and how to preprocess an
 * image for it (resize the shorter side to {@code minAspectDim}, centre-crop {@code resizeDim}, scale to
 * [0, 1], normalise with {@code normalization}'s mean and std per channel).
 */
public record ModelConfig(
        Architecture architecture,
        List<String> labels,
        int minAspectDim,
        int resizeDim,
        Normalization normalization) {

    public ModelConfig {
        labels = List.copyOf(labels);
        if (labels.size() != architecture.numClasses()) {
            throw new ResNet4jException("config: " + labels.size() + " labels for " + architecture.numClasses()
                    + " classes");
        }
        if (normalization == null || normalization.channels() != architecture.inChannels()) {
            throw new ResNet4jException("config: mean and std need " + architecture.inChannels() + " values each");
        }
        if (resizeDim < 1 || minAspectDim < resizeDim) {
            throw new ResNet4jException("config: need 1 <= resize_dim <= min_aspect_dim, got " + resizeDim + " and "
                    + minAspectDim);
        }
    }

    /** The same with the normalization given as per-channel {@code mean} and {@code std} arrays. */
    public ModelConfig(Architecture architecture, List<String> labels, int minAspectDim, int resizeDim, float[] mean,
            float[] std) {
        this(architecture, labels, minAspectDim, resizeDim, new Normalization(mean, std));
    }

    /** Defaults for an architecture: numbered labels; ImageNet preprocessing, or identity-size for CIFAR stems. */
    public static ModelConfig defaults(Architecture arch) {
        List<String> labels = new java.util.ArrayList<>();
        for (int i = 0; i < arch.numClasses(); i++) {
            labels.add(Integer.toString(i));
        }
        boolean imagenet = arch.stem() == Architecture.Stem.IMAGENET;
        float[] half = new float[arch.inChannels()];
        Arrays.fill(half, 0.5f);
        Normalization norm = arch.inChannels() == 3 ? Normalization.IMAGENET : new Normalization(half, half);
        return new ModelConfig(arch.withDataFormat(DataFormat.CHANNELS_LAST), labels, imagenet ? 256 : 32,
                imagenet ? 224 : 32, norm);
    }

    /** The per-channel mean (a copy); shorthand for {@code normalization().mean()}. */
    public float[] mean() {
        return normalization.mean();
    }

    /** The per-channel std (a copy); shorthand for {@code normalization().std()}. */
    public float[] std() {
        return normalization.std();
    }
}
