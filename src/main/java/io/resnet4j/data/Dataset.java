package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.IntUnaryOperator;

/**
 * A labelled image classification data set with random access by index {@code 0 <= i < size()}.
 *
 * <p>Implementations must be safe to call from several threads at once ({@link BatchLoader}
 * decodes on background threads). {@link #label(int)} is cheap; {@link #image(int)} may decode a
 * file and so may be slow, and may throw {@link UnreadableImageException} for an example whose
 * file is corrupt (the loader counts and skips those) or {@link ResNet4jException} for other
 * failures.
 */
public interface Dataset {

    /** Number of examples. */
    int size();

    /** The class index of example {@code i}, in {@code [0, classes().size())}. */
    int label(int i);

    /** Class names; position = class index. Never empty. */
    List<String> classes();

    /**
     * The natural channel count of {@link #image(int)}: 1 for gray data sets (Fashion-MNIST), 3 for
     * RGB ones (CIFAR-10, image folders).
     */
    int channels();

    /**
     * Example {@code i} decoded: {@link #channels()} channels, CHW floats in {@code [0, 1]}, at the
     * image's own size (28×28 for Fashion-MNIST, 32×32 for CIFAR-10, anything for a folder).
     *
     * @throws UnreadableImageException when the example's file cannot be decoded
     */
    Image image(int i);

    /**
     * The side length when every image is square and of this one size (28 for Fashion-MNIST, 32 for
     * CIFAR-10); empty when sizes vary (image folders). Small fixed-size data sets are trained and
     * evaluated at this size, so {@code min_aspect_dim == resize_dim == nativeSize}.
     */
    default OptionalInt nativeSize() {
        return OptionalInt.empty();
    }

    /** Number of examples of each class, indexed by class. */
    default int[] labelCounts() {
        int[] counts = new int[classes().size()];
        for (int i = 0, n = size(); i < n; i++) {
            counts[label(i)]++;
        }
        return counts;
    }

    /**
     * A view of the first {@code n} examples ({@code --limit N}); this data set itself when
     * {@code n >= size()}.
     *
     * @throws ResNet4jException when {@code n < 1}
     */
    default Dataset limit(int n) {
        if (n < 1) {
            throw new ResNet4jException("the example limit must be at least 1, got " + n);
        }
        if (n >= size()) {
            return this;
        }
        return select(n, i -> i, "first " + n);
    }

    /**
     * A view of {@code size} of these examples: the view's example {@code i} is this set's {@code at(i)} (a
     * shard, a prefix).
     *
     * @param description how the view is made, for {@code toString}
     */
    default Dataset select(int size, IntUnaryOperator at, String description) {
        Dataset parent = this;
        return new Dataset() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public int label(int i) {
                return parent.label(at.applyAsInt(check(i)));
            }

            @Override
            public List<String> classes() {
                return parent.classes();
            }

            @Override
            public int channels() {
                return parent.channels();
            }

            @Override
            public Image image(int i) {
                return parent.image(at.applyAsInt(check(i)));
            }

            @Override
            public OptionalInt nativeSize() {
                return parent.nativeSize();
            }

            private int check(int i) {
                if (i < 0 || i >= size) {
                    throw new IndexOutOfBoundsException("example " + i + " of " + size);
                }
                return i;
            }

            @Override
            public String toString() {
                return parent + " (" + description + ")";
            }
        };
    }
}
