package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CIFAR-10 binary reader on files with known bytes. */
class Cifar10Test {

    @TempDir
    Path dir;

    /** Record r: label (r * 3) % 10; pixel bytes f(r, plane, offset) = (r * 7 + plane * 50 + offset) % 256. */
    private static byte[] records(int first, int count) {
        byte[] b = new byte[count * 3073];
        for (int k = 0; k < count; k++) {
            int r = first + k;
            b[k * 3073] = (byte) ((r * 3) % 10);
            for (int plane = 0; plane < 3; plane++) {
                for (int off = 0; off < 1024; off++) {
                    b[k * 3073 + 1 + plane * 1024 + off] = (byte) ((r * 7 + plane * 50 + off) % 256);
                }
            }
        }
        return b;
    }

    private Path writeSet(Path d, int perFile) throws IOException {
        Files.createDirectories(d);
        for (int f = 0; f < 5; f++) {
            Files.write(d.resolve("data_batch_" + (f + 1) + ".bin"), records(f * perFile, perFile));
        }
        Files.write(d.resolve("test_batch.bin"), records(1000, 4));
        return d;
    }

    @Test
    void knownBytes() throws IOException {
        Path d = writeSet(dir.resolve("c"), 3);
        DataSplits s = DataSources.open("cifar10:" + d);
        assertEquals(15, s.train().size());
        assertEquals(4, s.test().size());
        assertEquals(List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
                s.classes());
        assertEquals(3, s.train().channels());
        // Example 7 is record 1 of data_batch_3.bin: label 21 % 10 = 1 ("automobile").
        assertEquals(1, s.train().label(7));
        Image im = s.train().image(7);
        assertEquals(3, im.channels());
        assertEquals(32, im.height());
        assertEquals(32, im.width());
        // Pixel (row 5, column 9) is byte 5 * 32 + 9 = 169 of each 1024-byte plane.
        assertEquals(((7 * 7 + 0 + 169) % 256) / 255f, im.get(0, 5, 9), "red plane");
        assertEquals(((7 * 7 + 50 + 169) % 256) / 255f, im.get(1, 5, 9), "green plane");
        assertEquals(((7 * 7 + 100 + 169) % 256) / 255f, im.get(2, 5, 9), "blue plane");
        // The last test record: 1003 → label 9 ("truck").
        assertEquals(9, s.test().label(3));
        assertEquals(((1003 * 7 + 1023) % 256) / 255f, s.test().image(3).get(0, 31, 31));
        assertEquals(((15 - 1) * 3) % 10, s.train().label(14));
    }

    @Test
    void archiveSubdirectoryIsFound() throws IOException {
        writeSet(dir.resolve("top").resolve("cifar-10-batches-bin"), 1);
        assertEquals(5, DataSources.open("cifar10:" + dir.resolve("top")).train().size());
    }

    @Test
    void truncatedFile() throws IOException {
        Path d = writeSet(dir.resolve("t"), 2);
        Path f = d.resolve("data_batch_4.bin");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 100));
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> DataSources.open("cifar10:" + d));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void badLabelAndMissingFile() throws IOException {
        Path d = writeSet(dir.resolve("b"), 2);
        Path f = d.resolve("test_batch.bin");
        byte[] all = Files.readAllBytes(f);
        all[3073] = 57;
        Files.write(f, all);
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> DataSources.open("cifar10:" + d));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("label 57"), e.getMessage());
        Files.delete(d.resolve("data_batch_2.bin"));
        e = assertThrows(ResNet4jException.class, () -> DataSources.open("cifar10:" + d));
        assertTrue(e.getMessage().contains("data_batch_2.bin") && e.getMessage().contains("missing"), e.getMessage());
    }
}
