package io.resnet4j.data;

import java.util.List;
import java.util.Objects;

/**
 * The two halves of a data source: {@code train} for training and {@code test} for evaluation
 * (Fashion-MNIST's {@code t10k} files, CIFAR-10's {@code test_batch.bin}, a folder's {@code val/}).
 * Both have the same class list.
 */
public record DataSplits(Dataset train, Dataset test) {

    public DataSplits {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }

    /** The class names shared by both splits. */
    public List<String> classes() {
        return train.classes();
    }
}
