package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.util.Arrays;

/**
 * Per-channel normalization {@code (x - mean[c]) / std[c]} of images whose values are in
 * {@code [0, 1]}. Arrays have one entry per channel (1 or 3); they are copied on construction and
 * by the accessors, so a {@code Normalization} is immutable. {@link #equals(Object)} compares
 * contents.
 */
public record Normalization(float[] mean, float[] std) {

    /** ImageNet, as torchvision and timm use it: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
    public static final Normalization IMAGENET =
            new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    /** Fashion-MNIST training set statistics: mean 0.2860, std 0.3530. */
    public static final Normalization FASHION_MNIST =
            new Normalization(new float[] {0.2860f}, new float[] {0.3530f});

    public Normalization {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new ResNet4jException("normalization needs one mean and one std per channel, got "
                    + (mean == null ? 0 : mean.length) + " means and " + (std == null ? 0 : std.length) + " stds.");
        }
        mean = mean.clone();
        std = std.clone();
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new ResNet4jException("normalization for channel " + c + " has mean " + mean[c]
                        + " and std " + std[c] + "; the std must be a positive finite number.");
            }
        }
    }

    /** Mean 0 and std 1 for every channel: leaves values as they are. */
    public static Normalization identity(int channels) {
        float[] zeros = new float[channels], ones = new float[channels];
        Arrays.fill(ones, 1f);
        return new Normalization(zeros, ones);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** Number of channels. */
    public int channels() {
        return mean.length;
    }

    /**
     * The same statistics for {@code target} channels: unchanged when the count matches, replicated
     * for 1 → 3, and ITU-R 601 luma-weighted for 3 → 1 (exact for the mean, an approximation for
     * the std).
     */
    public Normalization withChannels(int target) {
        if (target == mean.length) {
            return this;
        }
        if (mean.length == 1 && target == 3) {
            return new Normalization(new float[] {mean[0], mean[0], mean[0]}, new float[] {std[0], std[0], std[0]});
        }
        if (mean.length == 3 && target == 1) {
            return new Normalization(new float[] {Image.luma(mean[0], mean[1], mean[2])},
                    new float[] {Image.luma(std[0], std[1], std[2])});
        }
        throw new ResNet4jException("cannot adapt a " + mean.length + "-channel normalization to " + target
                + " channels.");
    }

    /** {@code image} normalized, as a new image. */
    public Image apply(Image image) {
        int c = image.channels();
        if (c != mean.length) {
            throw new ResNet4jException("cannot normalize a " + c + "-channel image with a " + mean.length
                    + "-channel mean and std.");
        }
        int n = image.pixels();
        float[] in = image.data(), out = new float[in.length];
        for (int ch = 0; ch < c; ch++) {
            float m = mean[ch], inv = 1f / std[ch];
            for (int i = ch * n, end = i + n; i < end; i++) {
                out[i] = (in[i] - m) * inv;
            }
        }
        return new Image(c, image.height(), image.width(), out);
    }

    /**
     * Measures the per-channel mean and (population) standard deviation of {@code dataset}'s images
     * in {@code [0, 1]} scale, over all pixels of up to {@code maxExamples} images spread evenly over
     * the data set (all of them when {@code maxExamples <= 0} or {@code >= size()}). Images are used
     * at their natural size and channel count; unreadable images are left out.
     *
     * @throws ResNet4jException when no image could be read
     */
    public static Normalization compute(Dataset dataset, int maxExamples) {
        int size = dataset.size();
        int count = maxExamples <= 0 || maxExamples >= size ? size : maxExamples;
        int channels = dataset.channels();
        double[] sum = new double[channels], sumSq = new double[channels];
        long pixels = 0;
        for (int k = 0; k < count; k++) {
            int index = (int) ((long) k * size / count);
            Image image;
            try {
                image = dataset.image(index).withChannels(channels);
            } catch (UnreadableImageException e) {
                continue;
            }
            int n = image.pixels();
            float[] d = image.data();
            for (int c = 0; c < channels; c++) {
                double s = 0, s2 = 0;
                for (int i = c * n, end = i + n; i < end; i++) {
                    double v = d[i];
                    s += v;
                    s2 += v * v;
                }
                sum[c] += s;
                sumSq[c] += s2;
            }
            pixels += n;
        }
        if (pixels == 0) {
            throw new ResNet4jException("cannot compute normalization statistics: no image of " + dataset
                    + " could be read.");
        }
        float[] mean = new float[channels], std = new float[channels];
        for (int c = 0; c < channels; c++) {
            double m = sum[c] / pixels;
            double var = Math.max(0, sumSq[c] / pixels - m * m);
            mean[c] = (float) m;
            std[c] = (float) Math.max(Math.sqrt(var), 1e-6);
        }
        return new Normalization(mean, std);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization other && Arrays.equals(mean, other.mean) && Arrays.equals(std, other.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
