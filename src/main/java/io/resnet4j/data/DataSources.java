package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens a data source named on the command line ({@code --data D}):
 * <ul>
 *   <li>{@code fashion-mnist}: the Debian package {@code dataset-fashion-mnist}'s files in
 *       {@value #FASHION_MNIST_PACKAGE_DIR};</li>
 *   <li>{@code fashion-mnist:DIR}: the four gzip IDX files in DIR ({@link FashionMnist});</li>
 *   <li>{@code cifar10:DIR}: the CIFAR-10 binary version ({@link Cifar10});</li>
 *   <li>{@code folder:DIR}: {@code DIR/train/<class>/*} and {@code DIR/val/<class>/*}
 *       ({@link ImageFolder}, decoded to RGB).</li>
 * </ul>
 * The kind before the colon is case-insensitive; a DIR starting with {@code ~/} is taken from the
 * home directory. Every problem is a {@link ResNet4jException} with a one-line message.
 */
public final class DataSources {

    /** Where the Debian package {@code dataset-fashion-mnist} installs its files. */
    public static final String FASHION_MNIST_PACKAGE_DIR = "/usr/share/datasets/fashion-mnist";

    private static final String FORMS = "fashion-mnist, fashion-mnist:DIR, cifar10:DIR or folder:DIR";

    private DataSources() {
    }

    /**
     * Opens the data source {@code spec}.
     *
     * @throws ResNet4jException for a malformed spec, a missing directory or missing or bad files
     */
    public static DataSplits open(String spec) {
        return open(spec, Path.of(FASHION_MNIST_PACKAGE_DIR));
    }

    /** {@link #open(String)} with another location for the packaged Fashion-MNIST (for tests). */
    static DataSplits open(String spec, Path packagedFashionMnist) {
        if (spec == null || spec.isBlank()) {
            throw new ResNet4jException("no data source given; use " + FORMS + ".");
        }
        String s = spec.strip();
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String arg = colon < 0 ? null : s.substring(colon + 1);
        switch (kind) {
            case "fashion-mnist": {
                if (arg == null) {
                    if (!Files.isDirectory(packagedFashionMnist)) {
                        throw new ResNet4jException("Fashion-MNIST is not installed (" + packagedFashionMnist
                                + " does not exist): run `apt-get install -y dataset-fashion-mnist`"
                                + " (or pass fashion-mnist:DIR).");
                    }
                    return FashionMnist.open(packagedFashionMnist);
                }
                return FashionMnist.open(directory(spec, arg));
            }
            case "cifar10":
                return Cifar10.open(directory(spec, requireArg(spec, kind, arg)));
            case "folder":
                return ImageFolder.open(directory(spec, requireArg(spec, kind, arg)));
            default:
                throw new ResNet4jException("unknown data source '" + spec + "'; use " + FORMS + ".");
        }
    }

    private static String requireArg(String spec, String kind, String arg) {
        if (arg == null) {
            throw new ResNet4jException("data source '" + spec + "' needs a directory: " + kind + ":DIR.");
        }
        return arg;
    }

    private static Path directory(String spec, String arg) {
        if (arg.isBlank()) {
            throw new ResNet4jException("data source '" + spec + "' has an empty directory after the colon.");
        }
        String a = arg.strip();
        if (a.equals("~") || a.startsWith("~/")) {
            a = System.getProperty("user.home") + a.substring(1);
        }
        Path dir;
        try {
            dir = Path.of(a);
        } catch (InvalidPathException e) {
            throw new ResNet4jException("data source '" + spec + "' names an invalid path: " + e.getMessage() + ".", e);
        }
        if (!Files.exists(dir)) {
            throw new ResNet4jException("data source '" + spec + "': directory " + dir + " does not exist.");
        }
        if (!Files.isDirectory(dir)) {
            throw new ResNet4jException("data source '" + spec + "': " + dir + " is not a directory.");
        }
        return dir;
    }
}
