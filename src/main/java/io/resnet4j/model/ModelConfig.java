package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import java.util.List;

/**
 * What {@code config.json} in a model directory says: the architecture, the classes, and how to preprocess an
 * image for it (SPEC §3: resize the shorter side to {@code minAspectDim}, centre-crop {@code resizeDim}, scale to
 * [0, 1], normalise with {@code mean}/{@code std} per channel).
 */
public record ModelConfig(
        Architecture architecture,
        List<String> labels,
        int minAspectDim,
        int resizeDim,
        float[] mean,
        float[] std) {

    /** ImageNet presets: 256 then 224, torchvision mean and std. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    public ModelConfig {
        labels = List.copyOf(labels);
        if (labels.size() != architecture.numClasses()) {
            throw new ResNet4jException("config: " + labels.size() + " labels for " + architecture.numClasses()
                    + " classes");
        }
        if (mean.length != architecture.inChannels() || std.length != architecture.inChannels()) {
            throw new ResNet4jException("config: mean and std need " + architecture.inChannels() + " values each");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new ResNet4jException("config: std values must be positive");
            }
        }
        if (resizeDim < 1 || minAspectDim < resizeDim) {
            throw new ResNet4jException("config: need 1 <= resize_dim <= min_aspect_dim, got " + resizeDim + " and "
                    + minAspectDim);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Defaults for an architecture: numbered labels; ImageNet preprocessing, or identity-size for CIFAR stems. */
    public static ModelConfig defaults(Architecture arch) {
        List<String> labels = new java.util.ArrayList<>();
        for (int i = 0; i < arch.numClasses(); i++) {
            labels.add(Integer.toString(i));
        }
        boolean imagenet = arch.stem() == Architecture.Stem.IMAGENET;
        float[] mean = new float[arch.inChannels()];
        float[] std = new float[arch.inChannels()];
        for (int c = 0; c < mean.length; c++) {
            mean[c] = arch.inChannels() == 3 ? IMAGENET_MEAN[c] : 0.5f;
            std[c] = arch.inChannels() == 3 ? IMAGENET_STD[c] : 0.5f;
        }
        return new ModelConfig(arch.withDataFormat(DataFormat.CHANNELS_LAST), labels, imagenet ? 256 : 32,
                imagenet ? 224 : 32, mean, std);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }
}
