package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An image folder in the torchvision {@code ImageFolder} layout: {@code DIR/train/<class>/…} and
 * {@code DIR/val/<class>/…}. Class names are the subdirectory names of {@code train/}, sorted by
 * {@link String#compareTo}; {@code val/} must have exactly the same ones. Files are found
 * recursively below each class directory (following symbolic links) and kept if their extension is
 * one of {@link #EXTENSIONS} (case-insensitive) and their name does not start with a dot; the list is
 * sorted by class, then path. Only the paths are read when the folder is opened; each image is
 * decoded by {@link ImageDecoder} when {@link #image(int)} asks for it.
 *
 * <p>A file that turns out to be unreadable (a dangling symbolic link included) throws
 * {@link UnreadableImageException} from
 * {@link #image(int)}; {@link BatchLoader} counts and skips such examples. A class directory
 * without any image file is an error when the folder is opened.
 */
public final class ImageFolder implements Dataset {

    /** File extensions considered images (lower case, without the dot). */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "dib",
            "tif", "tiff", "webp", "ppm", "pgm");

    private final Path dir;
    private final List<String> classes;
    private final Path[] files;
    private final int[] labels;
    private final ImageDecoder decoder;
    private final int channels;

    private ImageFolder(Path dir, List<String> classes, Path[] files, int[] labels, ImageDecoder decoder,
            int channels) {
        this.dir = dir;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
        this.decoder = decoder;
        this.channels = channels;
    }

    /** Opens {@code dir/train} and {@code dir/val}, decoding to RGB with the default decoder. */
    public static DataSplits open(Path dir) {
        return open(dir, new ImageDecoder(), 3);
    }

    /**
     * Opens {@code dir/train} and {@code dir/val}.
     *
     * @param channels the channel count images are decoded to (1 or 3)
     * @throws ResNet4jException when a directory is missing, the class lists differ, or a class
     *                           directory has no images
     */
    public static DataSplits open(Path dir, ImageDecoder decoder, int channels) {
        if (!Files.isDirectory(dir)) {
            throw new ResNet4jException("image folder " + dir + " does not exist or is not a directory.");
        }
        Path train = dir.resolve("train"), val = dir.resolve("val");
        for (Path p : List.of(train, val)) {
            if (!Files.isDirectory(p)) {
                throw new ResNet4jException("image folder " + dir + " has no " + p.getFileName()
                        + "/ directory (expected " + dir.resolve("train") + "/<class>/* and " + dir.resolve("val")
                        + "/<class>/*).");
            }
        }
        List<String> trainClasses = classNames(train), valClasses = classNames(val);
        if (!trainClasses.equals(valClasses)) {
            TreeSet<String> onlyTrain = new TreeSet<>(trainClasses), onlyVal = new TreeSet<>(valClasses);
            onlyTrain.removeAll(valClasses);
            onlyVal.removeAll(trainClasses);
            throw new ResNet4jException("image folder " + dir + " has different classes in train/ and val/: "
                    + "only in train: " + names(onlyTrain) + "; only in val: " + names(onlyVal) + ".");
        }
        return new DataSplits(scan(train, trainClasses, decoder, channels), scan(val, trainClasses, decoder, channels));
    }

    private static String names(Set<String> s) {
        if (s.isEmpty()) {
            return "none";
        }
        String shown = s.stream().limit(5).collect(Collectors.joining(", "));
        return s.size() > 5 ? shown + " and " + (s.size() - 5) + " more" : shown;
    }

    /**
     * The class names in {@code splitDir}: its non-hidden subdirectories, sorted.
     *
     * @throws ResNet4jException when there are none or the directory cannot be listed
     */
    public static List<String> classNames(Path splitDir) {
        List<String> names;
        try (Stream<Path> s = Files.list(splitDir)) {
            names = s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new ResNet4jException("cannot list image folder directory " + splitDir + ": " + reason(e) + ".", e);
        }
        if (names.isEmpty()) {
            throw new ResNet4jException("image folder directory " + splitDir
                    + " has no class subdirectories (expected " + splitDir + "/<class>/*).");
        }
        return names;
    }

    /**
     * Lists one split: the images below {@code splitDir/<class>} for each of {@code classes}, in that
     * order (class index = position).
     *
     * @throws ResNet4jException when a class directory is missing or holds no image file
     */
    public static ImageFolder scan(Path splitDir, List<String> classes, ImageDecoder decoder, int channels) {
        if (channels != 1 && channels != 3) {
            throw new ResNet4jException("an image folder decodes to 1 or 3 channels, not " + channels + ".");
        }
        if (classes.isEmpty()) {
            throw new ResNet4jException("image folder directory " + splitDir + " has no classes.");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path classDir = splitDir.resolve(classes.get(c));
            if (!Files.isDirectory(classDir)) {
                throw new ResNet4jException("image folder class directory " + classDir + " does not exist.");
            }
            List<Path> found;
            try (Stream<Path> s = Files.walk(classDir, FileVisitOption.FOLLOW_LINKS)) {
                // Dangling links stay in the list: the loader then reports them as unreadable instead of the
                // example silently vanishing.
                found = s.filter(ImageFolder::isImageName).filter(p -> Files.isRegularFile(p) || !Files.exists(p))
                        .sorted().toList();
            } catch (IOException | UncheckedIOException e) {
                throw new ResNet4jException("cannot list image folder class directory " + classDir + ": "
                        + reason(e) + ".", e);
            }
            if (found.isEmpty()) {
                throw new ResNet4jException("image folder class directory " + classDir
                        + " is empty: it has no image files (." + String.join(", .", new TreeSet<>(EXTENSIONS)) + ").");
            }
            for (Path f : found) {
                files.add(f);
                labels.add(c);
            }
        }
        return new ImageFolder(splitDir, List.copyOf(classes), files.toArray(Path[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray(), decoder, channels);
    }

    private static String reason(Exception e) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        return cause instanceof IOException ioe ? io.resnet4j.io.AtomicFiles.describe(ioe)
                : String.valueOf(e.getMessage());
    }

    private static boolean isImageName(Path p) {
        Path name = p.getFileName();
        if (name == null) {
            return false;
        }
        String n = name.toString();
        int dot = n.lastIndexOf('.');
        return !n.startsWith(".") && dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The file of example {@code i}. */
    public Path file(int i) {
        return files[i];
    }

    /** The split directory this data set was listed from. */
    public Path directory() {
        return dir;
    }

    @Override
    public int size() {
        return files.length;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int channels() {
        return channels;
    }

    /**
     * Decodes example {@code i}.
     *
     * @throws UnreadableImageException naming the file when it cannot be decoded
     */
    @Override
    public Image image(int i) {
        return decoder.decode(files[i], channels);
    }

    @Override
    public String toString() {
        return "image folder " + dir + " (" + files.length + " files, " + classes.size() + " classes)";
    }
}
