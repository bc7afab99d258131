package io.resnet4j.serve;

import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/** A tiny model directory (cifar-resnet8-v2, 4 classes, random weights and statistics) and test images. */
final class TinyModel {
    static final List<String> LABELS = List.of("ant", "bee", "cat", "dog");

    private TinyModel() {
    }

    /** Writes the model directory {@code dir} and returns it. */
    static Path write(Path dir) {
        Engine.seed(5);
        Architecture arch = Architecture.preset("cifar-resnet8-v2").withClasses(4);
        ResNet model = ResNet.build(arch);
        model.train(true); // non-zero running statistics, so that folding the batch norms is exercised
        try (Scope s = Scope.open()) {
            model.forward(Tensors.fromFloats(random(8 * 3 * 32 * 32, 1), 8, 3, 32, 32));
        }
        model.train(false);
        ModelConfig config = new ModelConfig(arch, LABELS, 36, 32, new float[] {0.5f, 0.4f, 0.3f},
                new float[] {0.2f, 0.25f, 0.3f});
        ModelDirectory.save(dir, model, config);
        return dir;
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Images in every format and several colour types: name → file. */
    static List<Path> images(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(2);
        String[][] kinds = {{"png", "rgb"}, {"png", "gray"}, {"png", "argb"}, {"jpg", "rgb"}, {"gif", "rgb"},
            {"bmp", "rgb"}, {"tiff", "rgb"}, {"jpg", "gray"}};
        for (int i = 0; i < kinds.length; i++) {
            int w = 30 + 9 * i, h = 50 - 2 * i;
            int type = switch (kinds[i][1]) {
                case "gray" -> BufferedImage.TYPE_BYTE_GRAY;
                case "argb" -> BufferedImage.TYPE_INT_ARGB;
                default -> BufferedImage.TYPE_INT_RGB;
            };
            BufferedImage img = new BufferedImage(w, h, type);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, r.nextInt() | (type == BufferedImage.TYPE_INT_ARGB ? 0 : 0xff000000));
                }
            }
            Path f = dir.resolve("img" + i + "-" + kinds[i][1] + "." + kinds[i][0]);
            String format = kinds[i][0].equals("jpg") ? "jpeg" : kinds[i][0];
            if (!ImageIO.write(img, format, f.toFile())) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            files.add(f);
        }
        for (String webp : List.of("lossy.webp", "lossless.webp", "alpha.webp")) {
            Path f = dir.resolve(webp);
            try (InputStream in = TinyModel.class.getResourceAsStream("/serve/" + webp)) {
                Files.write(f, in.readAllBytes());
            }
            files.add(f);
        }
        return files;
    }

    static byte[] png(int w, int h) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
