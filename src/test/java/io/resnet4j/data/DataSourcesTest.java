package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data source specs and the image folder layout. */
class DataSourcesTest {

    @TempDir
    Path dir;

    private static String message(Runnable r) {
        ResNet4jException e = assertThrows(ResNet4jException.class, r::run);
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void badSpecs() {
        assertTrue(message(() -> DataSources.open("mnist")).contains("unknown data source 'mnist'"));
        assertTrue(message(() -> DataSources.open("imagenet:/x"))
                .contains("fashion-mnist:DIR, cifar10:DIR or folder:DIR"));
        assertTrue(message(() -> DataSources.open("")).contains("no data source"));
        assertTrue(message(() -> DataSources.open("cifar10")).contains("needs a directory"));
        assertTrue(message(() -> DataSources.open("folder:")).contains("empty directory"));
        String missing = dir.resolve("nowhere").toString();
        String m = message(() -> DataSources.open("cifar10:" + missing));
        assertTrue(m.contains(missing) && m.contains("does not exist"), m);
        m = message(() -> DataSources.open("fashion-mnist:" + missing));
        assertTrue(m.contains(missing) && m.contains("does not exist"), m);
    }

    @Test
    void notADirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        String m = message(() -> DataSources.open("folder:" + file));
        assertTrue(m.contains("not a directory"), m);
    }

    @Test
    void missingFashionMnistPackageSaysHowToInstall() {
        String m = message(() -> DataSources.open("fashion-mnist", dir.resolve("no-such-package")));
        assertTrue(m.contains("apt-get install -y dataset-fashion-mnist"), m);
        assertTrue(m.contains("fashion-mnist:DIR"), m);
    }

    @Test
    void emptyCifarDirectoryNamesTheMissingFile() throws IOException {
        Path d = Files.createDirectories(dir.resolve("empty"));
        String m = message(() -> DataSources.open("cifar10:" + d));
        assertTrue(m.contains("data_batch_1.bin") && m.contains("missing"), m);
        m = message(() -> DataSources.open("FASHION-MNIST:" + d));
        assertTrue(m.contains("train-images-idx3-ubyte.gz") && m.contains("missing"), m);
    }

    // ------------------------------------------------------------------ image folders

    private static void png(Path file, Color colour, int w, int h) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = im.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, w, h);
        g.dispose();
        ImageIO.write(im, "png", file.toFile());
    }

    /** train/{cat,dog,emu}, val/{cat,dog,emu}; cats red, dogs green, emus blue. */
    private Path folder() throws IOException {
        Path root = dir.resolve("pets");
        for (String split : List.of("train", "val")) {
            png(root.resolve(split).resolve("dog").resolve("b.png"), Color.GREEN, 40, 30);
            png(root.resolve(split).resolve("dog").resolve("a.PNG"), Color.GREEN, 20, 50);
            png(root.resolve(split).resolve("cat").resolve("x.png"), Color.RED, 64, 64);
            png(root.resolve(split).resolve("emu").resolve("nested").resolve("deep.png"), Color.BLUE, 10, 10);
        }
        png(root.resolve("train").resolve("cat").resolve("y.png"), Color.RED, 33, 17);
        Files.writeString(root.resolve("train").resolve("cat").resolve("README.txt"), "not an image, ignored");
        Files.writeString(root.resolve("train").resolve("cat").resolve(".hidden.png"), "ignored");
        Files.createDirectories(root.resolve("train").resolve(".git"));
        return root;
    }

    @Test
    void imageFolderLayout() throws IOException {
        Path root = folder();
        DataSplits s = DataSources.open("folder:" + root);
        assertEquals(List.of("cat", "dog", "emu"), s.classes());
        assertEquals(s.classes(), s.test().classes());
        assertEquals(5, s.train().size());
        assertEquals(4, s.test().size());
        ImageFolder train = (ImageFolder) s.train();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            names.add(root.resolve("train").relativize(train.file(i)).toString());
        }
        assertEquals(List.of("cat/x.png", "cat/y.png", "dog/a.PNG", "dog/b.png", "emu/nested/deep.png"), names);
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, new int[] {train.label(0), train.label(1), train.label(2),
            train.label(3), train.label(4)});
        Image dog = train.image(3);
        assertEquals(3, dog.channels());
        assertEquals(30, dog.height());
        assertEquals(40, dog.width());
        assertEquals(1f, dog.get(1, 5, 5));
        assertEquals(0f, dog.get(0, 5, 5));
        assertEquals(3, train.channels());
        assertTrue(train.nativeSize().isEmpty());
    }

    @Test
    void imageFolderThroughTheLoader() throws IOException {
        Path root = folder();
        Path broken = root.resolve("train").resolve("dog").resolve("c.png");
        Files.writeString(broken, "this file claims to be a PNG");
        DataSplits s = DataSources.open("folder:" + root);
        assertEquals(6, s.train().size());
        BatchLoader.Config config = BatchLoader.Config.training(2, 3, 24, 16, Normalization.IMAGENET, 11)
                .withDropLast(false);
        try (BatchLoader loader = new BatchLoader(s.train(), config)) {
            int examples = 0;
            for (BatchLoader.BatchIterator it = loader.iterator(0); it.hasNext(); ) {
                Batch b = it.next();
                assertEquals(16, b.height());
                assertEquals(16, b.width());
                examples += b.size();
            }
            assertEquals(5, examples, "the broken file is skipped");
            assertEquals(1, loader.skippedCount());
            assertTrue(loader.skipMessages().get(0).contains(broken.toString()), loader.skipMessages().toString());
        }
        // Evaluation: resize shorter side to 24 and crop 16; a red cat stays red after normalization.
        try (BatchLoader loader = new BatchLoader(s.test(),
                BatchLoader.Config.evaluation(8, 3, 24, 16, Normalization.IMAGENET))) {
            Batch b = loader.batch(0, 0);
            assertEquals(4, b.size());
            assertEquals((1f - 0.485f) / 0.229f, b.image(0).get(0, 8, 8), 1e-5f);
            assertEquals((0f - 0.456f) / 0.224f, b.image(0).get(1, 8, 8), 1e-5f);
        }
    }

    @Test
    void classListsMustMatch() throws IOException {
        Path root = folder();
        png(root.resolve("train").resolve("fox").resolve("f.png"), Color.ORANGE, 8, 8);
        png(root.resolve("val").resolve("gnu").resolve("g.png"), Color.ORANGE, 8, 8);
        String m = message(() -> DataSources.open("folder:" + root));
        assertTrue(m.contains("only in train: fox") && m.contains("only in val: gnu"), m);
    }

    @Test
    void emptyClassDirectoryIsNamed() throws IOException {
        Path root = folder();
        Path empty = Files.createDirectories(root.resolve("val").resolve("emu").resolve("nested"));
        Files.delete(empty.resolve("deep.png"));
        Files.writeString(empty.resolve("notes.txt"), "no images here");
        String m = message(() -> DataSources.open("folder:" + root));
        assertTrue(m.contains(root.resolve("val").resolve("emu").toString()) && m.contains("empty"), m);
    }

    @Test
    void missingValDirectory() throws IOException {
        Path root = dir.resolve("only-train");
        png(root.resolve("train").resolve("a").resolve("1.png"), Color.BLACK, 4, 4);
        String m = message(() -> DataSources.open("folder:" + root));
        assertTrue(m.contains("val/"), m);
        Path noClasses = Files.createDirectories(dir.resolve("flat").resolve("train"));
        Files.createDirectories(dir.resolve("flat").resolve("val"));
        png(noClasses.resolve("loose.png"), Color.BLACK, 4, 4);
        m = message(() -> DataSources.open("folder:" + dir.resolve("flat")));
        assertTrue(m.contains("no class subdirectories"), m);
    }

    @Test
    void limitViewsTheFirstExamples() throws IOException {
        Dataset train = DataSources.open("folder:" + folder()).train();
        Dataset first = train.limit(3);
        assertEquals(3, first.size());
        assertEquals(train.label(2), first.label(2));
        assertEquals(train.image(1), first.image(1));
        assertTrue(train.limit(100) == train);
        assertThrows(IndexOutOfBoundsException.class, () -> first.label(3));
        assertThrows(ResNet4jException.class, () -> train.limit(0));
    }
}
