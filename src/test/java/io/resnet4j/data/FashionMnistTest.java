package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader against the published facts of Fashion-MNIST, and against small broken files. */
class FashionMnistTest {

    static final Path PACKAGE = Path.of(DataSources.FASHION_MNIST_PACKAGE_DIR);

    private static DataSplits real;

    /** The packaged data set, read once; the test is skipped when the package is not installed. */
    static synchronized DataSplits real() {
        Assumptions.assumeTrue(Files.isDirectory(PACKAGE),
                "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist)");
        if (real == null) {
            real = DataSources.open("fashion-mnist");
        }
        return real;
    }

    @TempDir
    Path dir;

    @Test
    void sizesLabelsAndClasses() {
        DataSplits s = real();
        assertEquals(60000, s.train().size());
        assertEquals(10000, s.test().size());
        assertEquals(9, s.train().label(0), "the first training image is an ankle boot");
        assertEquals("Ankle boot", s.classes().get(s.train().label(0)));
        assertEquals(java.util.List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot"), s.classes());
        int[] test = s.test().labelCounts();
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, test, "the test set is balanced, 1000 per class");
        int[] sixThousand = new int[10];
        Arrays.fill(sixThousand, 6000);
        assertArrayEquals(sixThousand, s.train().labelCounts(), "the training set is balanced, 6000 per class");
        assertEquals(1, s.train().channels());
        assertEquals(OptionalInt.of(28), s.train().nativeSize());
    }

    @Test
    void pixelValues() {
        Dataset train = real().train();
        Image first = train.image(0);
        assertEquals(1, first.channels());
        assertEquals(28, first.height());
        assertEquals(28, first.width());
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int i = 0; i < 1000; i++) {
            for (float v : train.image(i).data()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                float scaled = v * 255f;
                assertEquals(Math.round(scaled), scaled, 1e-3f, "values are bytes / 255");
            }
        }
        assertEquals(0f, min, "background pixels are 0");
        assertEquals(1f, max, "some pixels are saturated at 255");
        // Fashion-MNIST images are centred objects on a black background: the corners are background.
        assertEquals(0f, first.get(0, 0, 0));
        assertEquals(0f, first.get(0, 27, 27));
        FashionMnist fm = (FashionMnist) train;
        assertEquals(fm.pixel(0, 14, 14) / 255f, first.get(0, 14, 14));
    }

    @Test
    void publishedNormalizationStatistics() {
        // The widely quoted Fashion-MNIST training statistics: mean 0.2860, std 0.3530.
        Normalization n = Normalization.compute(real().train(), 0);
        assertEquals(0.2860, n.mean()[0], 5e-4);
        assertEquals(0.3530, n.std()[0], 5e-4);
        Normalization sample = Normalization.compute(real().train(), 6000);
        assertEquals(0.2860, sample.mean()[0], 5e-3);
    }

    // ------------------------------------------------------------------ broken files

    private static byte[] idxImages(int magic, int count, int rows, int cols, int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(16 + bodyBytes);
        b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < bodyBytes; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    private static byte[] idxLabels(int magic, int count, int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + bodyBytes);
        b.putInt(magic).putInt(count);
        for (int i = 0; i < bodyBytes; i++) {
            b.put((byte) (i % 10));
        }
        return b.array();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    /** Writes a valid 3-image 2×3 data set as the four files and returns the directory. */
    private Path writeValid(Path d) throws IOException {
        Files.createDirectories(d);
        Files.write(d.resolve(FashionMnist.TRAIN_IMAGES), gzip(idxImages(0x803, 3, 2, 3, 18)));
        Files.write(d.resolve(FashionMnist.TRAIN_LABELS), gzip(idxLabels(0x801, 3, 3)));
        Files.write(d.resolve(FashionMnist.TEST_IMAGES), gzip(idxImages(0x803, 2, 2, 3, 12)));
        Files.write(d.resolve(FashionMnist.TEST_LABELS), gzip(idxLabels(0x801, 2, 2)));
        return d;
    }

    @Test
    void smallValidFiles() throws IOException {
        DataSplits s = DataSources.open("fashion-mnist:" + writeValid(dir.resolve("ok")));
        assertEquals(3, s.train().size());
        assertEquals(2, s.test().size());
        Image im = s.train().image(1); // bytes 6..11
        assertEquals(2, im.height());
        assertEquals(3, im.width());
        assertEquals(6 / 255f, im.get(0, 0, 0));
        assertEquals(11 / 255f, im.get(0, 1, 2));
        assertEquals(2, s.train().label(2));
    }

    @Test
    void uncompressedFilesAreAcceptedToo() throws IOException {
        Path d = Files.createDirectories(dir.resolve("raw"));
        Files.write(d.resolve("train-images-idx3-ubyte"), idxImages(0x803, 3, 2, 3, 18));
        Files.write(d.resolve("train-labels-idx1-ubyte"), idxLabels(0x801, 3, 3));
        Files.write(d.resolve("t10k-images-idx3-ubyte"), idxImages(0x803, 2, 2, 3, 12));
        Files.write(d.resolve("t10k-labels-idx1-ubyte"), idxLabels(0x801, 2, 2));
        assertEquals(3, FashionMnist.open(d).train().size());
    }

    private void assertBad(Path d, String file, String... words) {
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> DataSources.open("fashion-mnist:" + d));
        String m = e.getMessage();
        assertTrue(m.contains(d.resolve(file).toString()), "names the file: " + m);
        for (String w : words) {
            assertTrue(m.contains(w), "mentions '" + w + "': " + m);
        }
        assertTrue(!m.contains("\n"), m);
    }

    @Test
    void wrongMagicNumber() throws IOException {
        Path d = writeValid(dir.resolve("magic"));
        Files.write(d.resolve(FashionMnist.TRAIN_IMAGES), gzip(idxImages(0x801, 3, 2, 3, 18)));
        assertBad(d, FashionMnist.TRAIN_IMAGES, "magic number", "0x00000801", "0x00000803");
        d = writeValid(dir.resolve("magic2"));
        Files.write(d.resolve(FashionMnist.TEST_LABELS), gzip(idxImages(0x803, 2, 2, 3, 12)));
        assertBad(d, FashionMnist.TEST_LABELS, "magic number");
    }

    @Test
    void truncatedGzip() throws IOException {
        Path d = writeValid(dir.resolve("cutgz"));
        byte[] big = gzip(idxImages(0x803, 50, 28, 28, 50 * 784));
        Files.write(d.resolve(FashionMnist.TRAIN_IMAGES), Arrays.copyOf(big, big.length / 2));
        assertBad(d, FashionMnist.TRAIN_IMAGES, "truncated");
    }

    @Test
    void truncatedData() throws IOException {
        Path d = writeValid(dir.resolve("short"));
        // Valid gzip, but the IDX header announces 3 images and only 2.5 follow.
        Files.write(d.resolve(FashionMnist.TRAIN_IMAGES), gzip(idxImages(0x803, 3, 2, 3, 15)));
        assertBad(d, FashionMnist.TRAIN_IMAGES, "truncated", "3 images");
    }

    @Test
    void corruptGzip() throws IOException {
        Path d = writeValid(dir.resolve("corrupt"));
        byte[] gz = gzip(idxImages(0x803, 50, 28, 28, 50 * 784));
        for (int i = 12; i < gz.length - 8; i += 5) {
            gz[i] ^= (byte) 0xA5;
        }
        Files.write(d.resolve(FashionMnist.TRAIN_IMAGES), gz);
        assertBad(d, FashionMnist.TRAIN_IMAGES);
    }

    @Test
    void notGzipAndEmpty() throws IOException {
        Path d = writeValid(dir.resolve("text"));
        Files.writeString(d.resolve(FashionMnist.TRAIN_LABELS), "hello, I am not an IDX file");
        assertBad(d, FashionMnist.TRAIN_LABELS, "magic number");
        Files.write(d.resolve(FashionMnist.TRAIN_LABELS), new byte[0]);
        assertBad(d, FashionMnist.TRAIN_LABELS, "empty");
    }

    @Test
    void countsDisagreeAndLabelOutOfRange() throws IOException {
        Path d = writeValid(dir.resolve("counts"));
        Files.write(d.resolve(FashionMnist.TRAIN_LABELS), gzip(idxLabels(0x801, 2, 2)));
        assertBad(d, FashionMnist.TRAIN_LABELS, "2 labels", "3 images");
        d = writeValid(dir.resolve("range"));
        byte[] labels = idxLabels(0x801, 3, 3);
        labels[9] = 10;
        Files.write(d.resolve(FashionMnist.TRAIN_LABELS), gzip(labels));
        assertBad(d, FashionMnist.TRAIN_LABELS, "label 10");
    }

    @Test
    void missingFile() throws IOException {
        Path d = writeValid(dir.resolve("missing"));
        Files.delete(d.resolve(FashionMnist.TEST_IMAGES));
        assertBad(d, FashionMnist.TEST_IMAGES, "missing");
    }

    @Test
    void hugeHeaderCostsNoMemory() throws IOException {
        Path d = writeValid(dir.resolve("huge"));
        // Claims 2^31-1 / 784 images but holds 10 bytes: refused as truncated, not by running out of memory.
        Files.write(d.resolve(FashionMnist.TRAIN_IMAGES), gzip(idxImages(0x803, 2_700_000, 28, 28, 10)));
        assertBad(d, FashionMnist.TRAIN_IMAGES, "truncated");
    }
}
