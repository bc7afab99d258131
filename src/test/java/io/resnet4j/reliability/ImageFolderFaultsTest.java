package io.resnet4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.DataSources;
import io.resnet4j.data.DataSplits;
import io.resnet4j.data.ImageFolder;
import io.resnet4j.data.Normalization;
import io.resnet4j.data.UnreadableImageException;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image folders with files that cannot be read: dangling links, directories named like images, files without read
 * permission, corrupt files. Each unreadable file is listed, skipped with its name, and counted once by
 * {@code train}, however many epochs it is skipped in. (Empty class directories, class lists that differ between
 * train/ and val/, and a missing val/ are in {@code DataSourcesTest} and {@link HostileCliTest}.)
 */
class ImageFolderFaultsTest {
    @TempDir Path tmp;

    private static List<String> names(ImageFolder f) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < f.size(); i++) {
            n.add(f.directory().relativize(f.file(i)).toString());
        }
        return n;
    }

    @Test
    void aDanglingLinkIsAnExampleThatCannotBeRead() throws IOException {
        Path root = Scenery.imageFolder(tmp.resolve("f"), 2, 8);
        Path link = Files.createSymbolicLink(root.resolve("train/dark/gone.png"), root.resolve("deleted.png"));
        DataSplits s = DataSources.open("folder:" + root);
        ImageFolder train = (ImageFolder) s.train();
        assertTrue(names(train).contains("dark/gone.png"), "listed, so that it is reported: " + names(train));
        int i = names(train).indexOf("dark/gone.png");
        UnreadableImageException e = org.junit.jupiter.api.Assertions.assertThrows(UnreadableImageException.class,
                () -> train.image(i));
        assertTrue(e.getMessage().contains(link.toString()), e.getMessage());
    }

    @Test
    void aDirectoryNamedLikeAnImageIsSearchedNotDecoded() throws IOException {
        Path root = Scenery.imageFolder(tmp.resolve("f"), 2, 8);
        Scenery.png(root.resolve("train/dark/album.png/inside.png"), 8, 0, 99);
        ImageFolder train = (ImageFolder) DataSources.open("folder:" + root).train();
        assertTrue(names(train).contains("dark/album.png/inside.png"), names(train).toString());
        assertFalse(names(train).contains("dark/album.png"), names(train).toString());
        for (int i = 0; i < train.size(); i++) {
            train.image(i); // every listed example decodes
        }
    }

    @Test
    void aFileWithoutReadPermissionIsSkippedWithItsName() throws IOException {
        Path root = Scenery.imageFolder(tmp.resolve("f"), 2, 8);
        Path locked = root.resolve("train/light/000.png");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(locked), "running as root: permissions do not stop reads");
        DataSplits s = DataSources.open("folder:" + root);
        try (BatchLoader loader = new BatchLoader(s.train(), BatchLoader.Config.training(2, 3, 8, 8,
                Normalization.IMAGENET, 1).withDropLast(false))) {
            for (var it = loader.iterator(0); it.hasNext(); ) {
                it.next();
            }
            assertEquals(1, loader.skippedExamples().length);
            assertTrue(loader.skipMessages().get(0).contains(locked.toString()), loader.skipMessages().toString());
        }
    }

    /**
     * {@code train} on a folder with three unreadable training files (text, truncated PNG, dangling link) and one
     * unreadable validation file, for two epochs in batches of one, so that whole batches are unreadable: the run
     * finishes, and reports 3 and 1, not 6 and 2. {@code eval} in batches of one reports its one too.
     */
    @Test
    void trainReportsEachUnreadableImageOnce() throws IOException {
        Path root = Scenery.imageFolder(tmp.resolve("f"), 4, 8);
        Files.writeString(root.resolve("train/dark/notes.png"), "not an image");
        Files.write(root.resolve("train/light/cut.png"), Scenery.truncated(root.resolve("train/light/000.png"), 0.4));
        Files.createSymbolicLink(root.resolve("train/light/gone.jpg"), root.resolve("deleted.jpg"));
        Files.write(root.resolve("val/dark/empty.png"), new byte[0]);
        Path out = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("train", "--data", "folder:" + root, "--out", out.toString(),
                "--epochs", "2", "--batch-size", "1", "--resize-dim", "8", "--min-aspect-dim", "8"));
        args.addAll(Scenery.TINY_FLAGS);
        Cli.Run r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        Cli.assertContains(r.err(), "skipped 3 unreadable training images (first: ");
        Cli.assertContains(r.err(), "skipped 1 unreadable validation image (first: ");
        Cli.assertContains(r.err(), "empty.png");
        assertEquals(2, MetricsLog.read(out.resolve("metrics.csv")).size());
        assertEquals(2, ModelDirectory.load(out).config().labels().size());

        Cli.Run eval = Cli.run("eval", "--model", out.toString(), "--data", "folder:" + root, "--batch-size", "1",
                "--json");
        assertEquals(0, eval.code(), eval.err());
        Cli.assertContains(eval.err(), "skipped 1 unreadable test image (first: ");
        Cli.assertContains(eval.out(), "\"examples\":4");
        Cli.assertContains(eval.out(), "\"skipped\":1");
    }
}
