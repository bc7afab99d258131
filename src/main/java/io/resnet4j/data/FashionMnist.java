package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Fashion-MNIST (or any MNIST-layout data set) read from IDX files, gzip-compressed or not.
 *
 * <p>File layout (big-endian): images {@code 0x00000803, n, rows, cols} then {@code n·rows·cols}
 * unsigned bytes, row-major, 0 = background; labels {@code 0x00000801, n} then {@code n} bytes. The
 * magic numbers, the counts, the label range and the exact data length are checked, and any
 * problem is reported as a {@link ResNet4jException} naming the file. The whole set is held in
 * memory as bytes (47 MB for the 60000 training images).
 *
 * <p>{@link #image(int)} gives a 1×rows×cols {@link Image} with values {@code byte / 255f}.
 */
public final class FashionMnist implements Dataset {

    /** The ten Fashion-MNIST classes, by label. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** File names in a Fashion-MNIST directory (each may also be present without {@code .gz}). */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz",
            TRAIN_LABELS = "train-labels-idx1-ubyte.gz",
            TEST_IMAGES = "t10k-images-idx3-ubyte.gz",
            TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

    private final String name;
    private final int count, rows, cols;
    private final byte[] pixels;
    private final byte[] labels;
    private final List<String> classes;

    private FashionMnist(String name, int count, int rows, int cols, byte[] pixels, byte[] labels,
            List<String> classes) {
        this.name = name;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.pixels = pixels;
        this.labels = labels;
        this.classes = classes;
    }

    /**
     * Opens the training ({@code train-*}) and test ({@code t10k-*}) splits in {@code dir}.
     *
     * @throws ResNet4jException naming the first missing or bad file
     */
    public static DataSplits open(Path dir) {
        Path trainImages = find(dir, TRAIN_IMAGES), trainLabels = find(dir, TRAIN_LABELS);
        Path testImages = find(dir, TEST_IMAGES), testLabels = find(dir, TEST_LABELS);
        return new DataSplits(read(trainImages, trainLabels, "Fashion-MNIST train"),
                read(testImages, testLabels, "Fashion-MNIST test"));
    }

    private static Path find(Path dir, String name) {
        Path gz = dir.resolve(name);
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path raw = dir.resolve(name.substring(0, name.length() - 3));
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        throw new ResNet4jException("Fashion-MNIST file " + gz + " is missing (the directory must hold "
                + TRAIN_IMAGES + ", " + TRAIN_LABELS + ", " + TEST_IMAGES + " and " + TEST_LABELS + ").");
    }

    /**
     * Reads one split from an images file and a labels file (gzip or plain IDX).
     *
     * @param name a label for messages and {@link #toString()}
     * @throws ResNet4jException when a file is missing, truncated, corrupt, has a wrong magic
     *                           number, or the two files disagree on the number of examples
     */
    public static FashionMnist read(Path imagesFile, Path labelsFile, String name) {
        int[] imageHeader;
        byte[] pixels;
        try (InputStream in = openIdx(imagesFile)) {
            imageHeader = readHeader(in, imagesFile, IMAGES_MAGIC, 3);
            long bytes = (long) imageHeader[0] * imageHeader[1] * imageHeader[2];
            if (imageHeader[1] < 1 || imageHeader[2] < 1 || bytes > Integer.MAX_VALUE - 16) {
                throw new ResNet4jException("IDX file " + imagesFile + " claims " + imageHeader[0]
                        + " images of " + imageHeader[1] + "x" + imageHeader[2]
                        + " pixels, which is not a valid size.");
            }
            pixels = readBody(in, imagesFile, (int) bytes, imageHeader[0] + " images of "
                    + imageHeader[1] + "x" + imageHeader[2] + " pixels");
        } catch (IOException e) {
            throw ioError(imagesFile, e);
        }
        byte[] labels;
        try (InputStream in = openIdx(labelsFile)) {
            int[] labelHeader = readHeader(in, labelsFile, LABELS_MAGIC, 1);
            labels = readBody(in, labelsFile, labelHeader[0], labelHeader[0] + " labels");
        } catch (IOException e) {
            throw ioError(labelsFile, e);
        }
        if (labels.length != imageHeader[0]) {
            throw new ResNet4jException("IDX files disagree: " + labelsFile + " has " + labels.length
                    + " labels but " + imagesFile + " has " + imageHeader[0] + " images.");
        }
        if (labels.length == 0) {
            throw new ResNet4jException("IDX file " + imagesFile + " holds no images.");
        }
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xFF) >= CLASSES.size()) {
                throw new ResNet4jException("IDX file " + labelsFile + " has label " + (labels[i] & 0xFF)
                        + " at example " + i + ", outside 0.." + (CLASSES.size() - 1) + ".");
            }
        }
        return new FashionMnist(name, labels.length, imageHeader[1], imageHeader[2], pixels, labels,
                CLASSES);
    }

    private static InputStream openIdx(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read(), b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new GZIPInputStream(raw, 1 << 16);
        }
        return raw;
    }

    /** Reads the magic number and {@code dims} dimension sizes; returns the sizes. */
    private static int[] readHeader(InputStream in, Path file, int magic, int dims) throws IOException {
        byte[] head = in.readNBytes(4 + 4 * dims);
        if (head.length < 4) {
            throw new ResNet4jException("IDX file " + file + " is empty or truncated (no header).");
        }
        int found = readInt(head, 0);
        if (found != magic) {
            throw new ResNet4jException(String.format(
                    "IDX file %s has magic number 0x%08X, expected 0x%08X (%s); it is not a Fashion-MNIST %s file.",
                    file, found, magic, dims == 3 ? "unsigned-byte images" : "unsigned-byte labels",
                    dims == 3 ? "images" : "labels"));
        }
        if (head.length < 4 + 4 * dims) {
            throw new ResNet4jException("IDX file " + file + " is truncated inside its header.");
        }
        int[] sizes = new int[dims];
        for (int d = 0; d < dims; d++) {
            sizes[d] = readInt(head, 4 + 4 * d);
            if (sizes[d] < 0) {
                throw new ResNet4jException("IDX file " + file + " has a negative dimension size in its header.");
            }
        }
        return sizes;
    }

    private static byte[] readBody(InputStream in, Path file, int expected, String what) throws IOException {
        // readNBytes grows its buffer as data arrives, so a header that lies costs no memory.
        byte[] body = in.readNBytes(expected);
        if (body.length < expected) {
            throw new ResNet4jException("IDX file " + file + " is truncated: its header announces " + what
                    + " (" + expected + " bytes) but only " + body.length + " bytes follow.");
        }
        if (in.read() != -1) {
            throw new ResNet4jException("IDX file " + file + " has extra data after the " + what
                    + " its header announces.");
        }
        return body;
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
                | (b[off + 3] & 0xFF);
    }

    private static ResNet4jException ioError(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new ResNet4jException("IDX file " + file + " does not exist.", e);
        }
        if (e instanceof EOFException || e instanceof ZipException) {
            return new ResNet4jException("IDX file " + file + " is truncated or not valid gzip data ("
                    + e.getMessage() + ").", e);
        }
        return new ResNet4jException("cannot read IDX file " + file + ": " + e.getMessage() + ".", e);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int label(int i) {
        return labels[i] & 0xFF;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int channels() {
        return 1;
    }

    /** Image height in pixels (28 for Fashion-MNIST). */
    public int rows() {
        return rows;
    }

    /** Image width in pixels (28 for Fashion-MNIST). */
    public int cols() {
        return cols;
    }

    /** The raw 0..255 value of pixel (y, x) of example {@code i}. */
    public int pixel(int i, int y, int x) {
        return pixels[(i * rows + y) * cols + x] & 0xFF;
    }

    @Override
    public Image image(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("example " + i + " of " + count);
        }
        int n = rows * cols;
        float[] out = new float[n];
        int base = i * n;
        for (int k = 0; k < n; k++) {
            out[k] = (pixels[base + k] & 0xFF) / 255f;
        }
        return new Image(1, rows, cols, out);
    }

    @Override
    public OptionalInt nativeSize() {
        return rows == cols ? OptionalInt.of(rows) : OptionalInt.empty();
    }

    @Override
    public String toString() {
        return name + " (" + count + " images of " + rows + "x" + cols + ")";
    }
}
