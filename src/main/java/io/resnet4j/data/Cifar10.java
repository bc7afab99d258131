package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * CIFAR-10, binary version: files of 3073-byte records, each one label byte (0..9) followed by
 * 3072 pixel bytes: the 1024 red values of the 32×32 image (row-major), then the 1024 green, then
 * the 1024 blue. That is already CHW, so {@link #image(int)} is a 3×32×32 {@link Image} with values
 * {@code byte / 255f}. The files are held in memory (about 150 MB for all six).
 */
public final class Cifar10 implements Dataset {

    /** The ten CIFAR-10 classes, by label. */
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    /** Training files, in order. */
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");

    /** The test file. */
    public static final String TEST_FILE = "test_batch.bin";

    /** Side length of a CIFAR-10 image. */
    public static final int SIZE = 32;

    /** Bytes per record: 1 label + 3 × 32 × 32 pixels. */
    public static final int RECORD_BYTES = 1 + 3 * SIZE * SIZE;

    private final String name;
    private final byte[][] files;
    private final int[] starts; // starts[f] = index of the first example of file f; starts[n] = size
    private final int size;

    private Cifar10(String name, byte[][] files, int[] starts) {
        this.name = name;
        this.files = files;
        this.starts = starts;
        this.size = starts[files.length];
    }

    /**
     * Opens {@code data_batch_1.bin}..{@code data_batch_5.bin} (train) and {@code test_batch.bin}
     * (test) in {@code dir}, or in {@code dir/cifar-10-batches-bin} as the archive unpacks.
     *
     * @throws ResNet4jException naming the first missing or bad file
     */
    public static DataSplits open(Path dir) {
        Path base = dir;
        if (!Files.isRegularFile(dir.resolve(TEST_FILE))
                && Files.isRegularFile(dir.resolve("cifar-10-batches-bin").resolve(TEST_FILE))) {
            base = dir.resolve("cifar-10-batches-bin");
        }
        List<Path> train = new ArrayList<>();
        for (String f : TRAIN_FILES) {
            train.add(require(base, f));
        }
        Path test = require(base, TEST_FILE);
        return new DataSplits(read(train, "CIFAR-10 train"), read(List.of(test), "CIFAR-10 test"));
    }

    private static Path require(Path dir, String name) {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new ResNet4jException("CIFAR-10 file " + p + " is missing (the directory must hold "
                    + String.join(", ", TRAIN_FILES) + " and " + TEST_FILE + " from the binary version).");
        }
        return p;
    }

    /**
     * Reads one split from the given files, in order.
     *
     * @throws ResNet4jException when a file is missing, empty, not a whole number of records, or has
     *                           a label outside 0..9
     */
    public static Cifar10 read(List<Path> paths, String name) {
        if (paths.isEmpty()) {
            throw new ResNet4jException("no CIFAR-10 files were given.");
        }
        byte[][] files = new byte[paths.size()][];
        int[] starts = new int[paths.size() + 1];
        long total = 0;
        for (int f = 0; f < paths.size(); f++) {
            Path p = paths.get(f);
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(p);
            } catch (NoSuchFileException e) {
                throw new ResNet4jException("CIFAR-10 file " + p + " does not exist.", e);
            } catch (IOException | OutOfMemoryError e) {
                throw new ResNet4jException("cannot read CIFAR-10 file " + p + ": " + e.getMessage() + ".", e);
            }
            if (bytes.length == 0) {
                throw new ResNet4jException("CIFAR-10 file " + p + " is empty.");
            }
            if (bytes.length % RECORD_BYTES != 0) {
                throw new ResNet4jException("CIFAR-10 file " + p + " is truncated or not a CIFAR-10 binary batch: "
                        + bytes.length + " bytes is not a whole number of " + RECORD_BYTES + "-byte records.");
            }
            int records = bytes.length / RECORD_BYTES;
            for (int r = 0; r < records; r++) {
                int label = bytes[r * RECORD_BYTES] & 0xFF;
                if (label >= CLASSES.size()) {
                    throw new ResNet4jException("CIFAR-10 file " + p + " has label " + label + " in record " + r
                            + ", outside 0..9 (is it a CIFAR-100 file?).");
                }
            }
            files[f] = bytes;
            total += records;
            starts[f + 1] = (int) total;
        }
        return new Cifar10(name, files, starts);
    }

    private int fileOf(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("example " + i + " of " + size);
        }
        int f = Arrays.binarySearch(starts, i);
        if (f >= 0) {
            while (f + 1 < starts.length && starts[f + 1] == i) {
                f++; // skip empty files (cannot happen, files are checked non-empty)
            }
            return f;
        }
        return -f - 2;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int label(int i) {
        int f = fileOf(i);
        return files[f][(i - starts[f]) * RECORD_BYTES] & 0xFF;
    }

    @Override
    public List<String> classes() {
        return CLASSES;
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public Image image(int i) {
        int f = fileOf(i);
        byte[] b = files[f];
        int off = (i - starts[f]) * RECORD_BYTES + 1;
        float[] out = new float[3 * SIZE * SIZE];
        for (int k = 0; k < out.length; k++) {
            out[k] = (b[off + k] & 0xFF) / 255f;
        }
        return new Image(3, SIZE, SIZE, out);
    }

    @Override
    public OptionalInt nativeSize() {
        return OptionalInt.of(SIZE);
    }

    @Override
    public String toString() {
        return name + " (" + size + " images of 32x32)";
    }
}
