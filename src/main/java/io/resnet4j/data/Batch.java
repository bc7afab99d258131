package io.resnet4j.data;

import java.util.Arrays;

/**
 * A batch of preprocessed examples, <b>NCHW</b>: example {@code n}, channel {@code c}, row
 * {@code y}, column {@code x} is {@code data[((n * channels + c) * height + y) * width + x]}.
 * {@code data.length == size * channels * height * width} and {@code labels.length == size}.
 *
 * <p>{@code size} is the number of examples actually present: the batch size, or fewer for the
 * last batch of an epoch without drop-last, or when unreadable examples were skipped (in the
 * extreme, 0: callers should pass over a batch of size 0). {@link #equals(Object)} compares
 * contents.
 *
 * @param data     the values, NCHW, normalized
 * @param labels   the class index of each example
 * @param size     the number of examples N
 * @param channels C
 * @param height   H
 * @param width    W
 */
public record Batch(float[] data, int[] labels, int size, int channels, int height, int width) {

    public Batch {
        if (size < 0 || channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("bad batch shape " + size + "x" + channels + "x" + height + "x" + width);
        }
        if (labels.length != size || (long) size * channels * height * width != data.length) {
            throw new IllegalArgumentException("batch arrays do not match the shape " + size + "x" + channels + "x"
                    + height + "x" + width + ": " + data.length + " values, " + labels.length + " labels");
        }
    }

    /**
     * Stacks images of equal shape into a batch (for example for prediction).
     *
     * @param labels one per image, or {@code null} for all zeros
     */
    public static Batch of(java.util.List<Image> images, int[] labels) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("cannot stack an empty list of images");
        }
        Image first = images.get(0);
        int per = first.data().length;
        float[] data = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            Image im = images.get(i);
            if (im.channels() != first.channels() || im.height() != first.height() || im.width() != first.width()) {
                throw new IllegalArgumentException("cannot stack images of different shapes: " + first + " and " + im);
            }
            System.arraycopy(im.data(), 0, data, i * per, per);
        }
        int[] l = labels == null ? new int[images.size()] : labels.clone();
        return new Batch(data, l, images.size(), first.channels(), first.height(), first.width());
    }

    /** Example {@code n} as an image (a copy). */
    public Image image(int n) {
        int per = channels * height * width;
        return new Image(channels, height, width, Arrays.copyOfRange(data, n * per, (n + 1) * per));
    }

    /** The NCHW shape {@code {size, channels, height, width}}. */
    public long[] shape() {
        return new long[] {size, channels, height, width};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Batch b && size == b.size && channels == b.channels && height == b.height
                && width == b.width && Arrays.equals(labels, b.labels) && Arrays.equals(data, b.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(labels) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Batch[" + size + "x" + channels + "x" + height + "x" + width + "]";
    }
}
