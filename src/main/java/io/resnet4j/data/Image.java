package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.util.Arrays;

/**
 * One decoded image as 32-bit floats, <b>channel-major (CHW)</b>, each plane row-major.
 *
 * <p>The value of channel {@code c}, row {@code y}, column {@code x} is
 * {@code data[(c * height + y) * width + x]}; {@code data.length == channels * height * width}.
 * Channels are {@code [gray]} for one channel and {@code [R, G, B]} for three (sRGB, not linearised).
 * Images straight from a reader or {@link ImageDecoder} hold values in {@code [0, 1]} (8-bit
 * sample {@code v} becomes {@code v / 255f}, 16-bit {@code v / 65535f}); after
 * {@link Normalization#apply(Image)} they are normalized and can be any real number.
 *
 * <p>The array is not copied: an {@code Image} is meant to be treated as immutable by everyone
 * who receives it, and every method here returns a new image instead of writing into this one.
 * {@link #equals(Object)} compares contents.
 *
 * @param channels number of channels C (1 = gray, 3 = RGB), at least 1
 * @param height   height H in pixels, at least 1
 * @param width    width W in pixels, at least 1
 * @param data     the C×H×W values, CHW layout
 */
public record Image(int channels, int height, int width, float[] data) {

    /** ITU-R BT.601 luma weights used for every RGB to gray conversion in this package. */
    public static final double LUMA_R = 0.299, LUMA_G = 0.587, LUMA_B = 0.114;

    public Image {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "image dimensions must be positive, got " + channels + "x" + height + "x" + width);
        }
        if (data == null || (long) channels * height * width != data.length) {
            throw new IllegalArgumentException("image data has " + (data == null ? "no" : data.length)
                    + " values, expected " + channels + "x" + height + "x" + width);
        }
    }

    /** A new image of zeros. */
    public static Image zeros(int channels, int height, int width) {
        long n = (long) channels * height * width;
        if (n > Integer.MAX_VALUE - 8) {
            throw new ResNet4jException("an image of " + channels + "x" + height + "x" + width
                    + " values is too large to hold in memory");
        }
        return new Image(channels, height, width, new float[(int) n]);
    }

    /** The value at channel {@code c}, row {@code y}, column {@code x}. */
    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }

    /** Number of pixels H×W per channel. */
    public int pixels() {
        return height * width;
    }

    /**
     * This image with {@code target} channels: the same image when the count already matches,
     * gray replicated into R, G and B for 1 → 3, and ITU-R 601 luma
     * {@code 0.299 R + 0.587 G + 0.114 B} for 3 → 1.
     *
     * @throws ResNet4jException for any other pair of channel counts
     */
    public Image withChannels(int target) {
        if (target == channels) {
            return this;
        }
        int n = height * width;
        if (channels == 1 && target == 3) {
            float[] out = new float[3 * n];
            System.arraycopy(data, 0, out, 0, n);
            System.arraycopy(data, 0, out, n, n);
            System.arraycopy(data, 0, out, 2 * n, n);
            return new Image(3, height, width, out);
        }
        if (channels == 3 && target == 1) {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = luma(data[i], data[n + i], data[2 * n + i]);
            }
            return new Image(1, height, width, out);
        }
        throw new ResNet4jException("cannot convert an image with " + channels + " channels to "
                + target + " channels (only 1 and 3 channels are supported)");
    }

    /** ITU-R 601 luma of one RGB triple; exact ({@code r}) when {@code r == g == b}. */
    static float luma(float r, float g, float b) {
        if (r == g && g == b) {
            return r;
        }
        return (float) (LUMA_R * r + LUMA_G * g + LUMA_B * b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Image other && channels == other.channels && height == other.height
                && width == other.width && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * channels + height) + width) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Image[" + channels + "x" + height + "x" + width + "]";
    }
}
