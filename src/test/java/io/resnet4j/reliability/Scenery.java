package io.resnet4j.reliability;

import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.model.Weights;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/** Builds the good and bad files the reliability tests feed to resnet4j. */
public final class Scenery {
    private Scenery() {
    }

    /** The tiny architecture of these tests, as CLI flags (add --classes when the data does not say). */
    static final List<String> TINY_FLAGS = List.of("--arch", "custom", "--version", "v2", "--block", "basic",
            "--blocks", "1,1,1", "--base-width", "8", "--stem", "cifar");

    static Architecture tiny(int classes) {
        return Architecture.custom(Architecture.Version.V2, Architecture.Block.BASIC, List.of(1, 1, 1), 8,
                Architecture.Stem.CIFAR).withClasses(classes);
    }

    static Path resource(String name) {
        try {
            return Path.of(Scenery.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing test resource " + name, e);
        }
    }

    /** The bad files of the safetensors seed corpus. */
    static List<Path> badCorpusFiles() {
        try (var s = Files.list(resource("safetensors-corpus"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("bad-")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A noisy RGB PNG whose mean brightness depends on the class, so there is something to learn. */
    static void png(Path file, int size, int cls, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        Random r = new Random(seed);
        BufferedImage im = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int base = cls == 0 ? 40 : 200;
                int v = Math.max(0, Math.min(255, base + r.nextInt(50) - 25));
                im.setRGB(x, y, (v << 16) | ((255 - v) << 8) | (r.nextInt(256)));
            }
        }
        if (!ImageIO.write(im, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    /**
     * An image folder {@code root/{train,val}/{dark,light}/*.png} with {@code perClass} training and
     * {@code perClass / 2} (at least 1) validation images per class, {@code size}×{@code size} pixels.
     */
    public static Path imageFolder(Path root, int perClass, int size) throws IOException {
        List<String> classes = List.of("dark", "light");
        long seed = 1;
        for (int c = 0; c < classes.size(); c++) {
            for (int i = 0; i < perClass; i++) {
                png(root.resolve("train").resolve(classes.get(c)).resolve(String.format("%03d.png", i)), size, c,
                        seed++);
            }
            for (int i = 0; i < Math.max(1, perClass / 2); i++) {
                png(root.resolve("val").resolve(classes.get(c)).resolve(String.format("%03d.png", i)), size, c,
                        seed++);
            }
        }
        return root;
    }

    /** Saves an untrained tiny model ({@code classes} classes, RGB) as a model directory. */
    static Path modelDirectory(Path dir, int classes) {
        Architecture a = tiny(classes);
        ModelDirectory.save(dir, ResNet.build(a), ModelConfig.defaults(a));
        return dir;
    }

    /** The weights of an untrained tiny model, as {@code forward --weights} takes them. */
    static Path weights(Path file, int classes) {
        Weights.save(ResNet.build(tiny(classes)), file, Map.of());
        return file;
    }

    /** A safetensors file with one F32 tensor {@code name} of {@code shape}, filled with a ramp. */
    static Path tensorFile(Path file, String name, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 17) / 17f;
        }
        SafeTensorsWriter.write(file, Map.of(name, TensorData.ofFloats(shape, v)), Map.of());
        return file;
    }

    /**
     * A valid safetensors file whose one F32 tensor has {@code shape}, as a sparse file: the header claims more
     * bytes than one Java array holds, and the disk holds none of them.
     */
    static Path sparseTensorFile(Path file, String name, long... shape) throws IOException {
        long n = 4;
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            n *= d;
            dims.append(dims.length() == 0 ? "" : ",").append(d);
        }
        String header = "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims + "],\"data_offsets\":[0," + n
                + "]}}";
        while (header.length() % 8 != 0) {
            header += " ";
        }
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            byte[] len = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length)
                    .array();
            raf.write(len);
            raf.write(h);
            raf.setLength(8 + h.length + n);
        }
        return file;
    }

    /** The first {@code fraction} of a file's bytes. */
    static byte[] truncated(Path file, double fraction) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return java.util.Arrays.copyOf(all, (int) (all.length * fraction));
    }
}
