package io.resnet4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade classifies a file, its bytes and its pixels as a {@code BufferedImage} exactly as {@link Predictor}
 * classifies the file; evaluation, export and a tiny training run through it.
 */
class ClassifierTest {
    @TempDir
    Path dir;

    @Test
    void filesBytesAndBufferedImagesClassifyAsThePredictorDoes() throws IOException {
        Engine.seed(3);
        Architecture arch = Architecture.preset("cifar-resnet8-v2").withClasses(5);
        ResNet model = ResNet.build(arch);
        model.train(true); // non-zero running statistics
        try (Scope s = Scope.open()) {
            float[] x = new float[4 * 3 * 32 * 32];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            model.forward(Tensors.fromFloats(x, 4, 3, 32, 32));
        }
        model.train(false);
        Path modelDir = dir.resolve("model");
        ModelDirectory.save(modelDir, model, new ModelConfig(arch, List.of("a", "b", "c", "d", "e"), 36, 32,
                new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.25f, 0.3f}));

        List<Path> files = new ArrayList<>();
        List<BufferedImage> pixels = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 5; i++) {
            int w = 30 + 9 * i;
            int h = 48 - 3 * i;
            BufferedImage img = new BufferedImage(w, h, i % 2 == 0 ? BufferedImage.TYPE_INT_RGB
                    : BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            Path f = dir.resolve("img" + i + ".png");
            ImageIO.write(img, "png", f.toFile());
            files.add(f);
            pixels.add(ImageIO.read(f.toFile()));
        }

        Classifier classifier = Classifier.load(modelDir);
        assertEquals(List.of("a", "b", "c", "d", "e"), classifier.labels());
        Predictor predictor = Predictor.load(modelDir);
        List<List<Prediction>> all = classifier.classifyAll(files, 3);
        List<Predictor.Prediction> batch = predictor.predict(files, 3); // one batch of five: other kernels
        for (int i = 0; i < files.size(); i++) {
            List<Predictor.Scored> expected = predictor.predict(List.of(files.get(i)), 5).get(0).top();
            List<Prediction> fromFile = classifier.classify(files.get(i), 5);
            List<Prediction> fromBytes = classifier.classify(Files.readAllBytes(files.get(i)), 5);
            List<Prediction> fromPixels = classifier.classify(pixels.get(i), 5);
            float[] probabilities = classifier.probabilities(pixels.get(i));
            for (int j = 0; j < 5; j++) {
                Predictor.Scored e = expected.get(j);
                Prediction want = new Prediction(e.label(), e.index(), e.probability());
                assertEquals(want, fromFile.get(j), "file " + i + " rank " + j);
                assertEquals(want, fromBytes.get(j), "bytes " + i + " rank " + j);
                assertEquals(want, fromPixels.get(j), "BufferedImage " + i + " rank " + j);
                assertEquals(e.probability(), probabilities[e.index()], 0.0);
                if (j < 3) {
                    Predictor.Scored b = batch.get(i).top().get(j);
                    assertEquals(new Prediction(b.label(), b.index(), b.probability()), all.get(i).get(j),
                            "batch " + i + " rank " + j);
                }
            }
            assertEquals(3, all.get(i).size());
            assertEquals(fromFile.get(0), classifier.classify(files.get(i)));
            assertEquals(fromFile.get(0), classifier.classify(pixels.get(i)));
        }
        assertThrows(ResNet4jException.class, () -> classifier.classify(new byte[] {1, 2, 3}));
        assertThrows(ResNet4jException.class, () -> classifier.classify(files.get(0), 0));
        assertThrows(ResNet4jException.class, () -> Classifier.load(dir.resolve("nothing")));

        // The same weights from a bare safetensors file, preprocessed by the architecture's defaults.
        Path defaultsDir = dir.resolve("defaults");
        ModelDirectory.save(defaultsDir, model, ModelConfig.defaults(arch));
        Classifier fromWeights = Classifier.fromWeights(arch, defaultsDir.resolve(ModelDirectory.WEIGHTS),
                List.of("0", "1", "2", "3", "4"));
        assertEquals(Classifier.load(defaultsDir).classify(files.get(1), 5), fromWeights.classify(files.get(1), 5));
        assertThrows(ResNet4jException.class, () -> Classifier.fromWeights(arch.withClasses(6),
                defaultsDir.resolve(ModelDirectory.WEIGHTS), List.of("0", "1", "2", "3", "4", "5")));

        Path onnx = dir.resolve("model.onnx");
        classifier.exportOnnx(onnx);
        assertTrue(Files.size(onnx) > 1000);
    }

    @Test
    void trainsOnAnImageFolderAndEvaluatesWhatItTrained() throws IOException {
        Path data = imageFolder(dir.resolve("data"), 6);
        Training.Result run = Training.onImageFolder(data).architecture("cifar-resnet8").imageSize(16).epochs(1)
                .batchSize(4).quiet().run(dir.resolve("run"));
        assertEquals(1, run.epochs());
        assertEquals(6, run.validation().examples());
        Classifier classifier = run.classifier();
        assertEquals(List.of("dark", "light"), classifier.labels());
        assertEquals(16, classifier.config().resizeDim());
        Accuracy a = classifier.evaluate("folder:" + data);
        assertEquals(run.validation().examples(), a.examples());
        assertEquals(run.validation().top1(), a.top1(), 1e-9);
        assertEquals(List.of("dark", "light"), List.copyOf(a.perClass().keySet()));
        Prediction p = classifier.classify(data.resolve("val/dark/000.png"));
        assertTrue(p.label().equals("dark") || p.label().equals("light"));
        assertThrows(ResNet4jException.class, () -> Training.onImageFolder(dir.resolve("none")).run(dir.resolve("x")));
    }

    /** {@code root/{train,val}/{dark,light}/NNN.png}: 20×20 noise around a dark or a light grey. */
    static Path imageFolder(Path root, int perClass) throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        String[] classes = {"dark", "light"};
        for (String split : List.of("train", "val")) {
            for (int c = 0; c < 2; c++) {
                Path d = root.resolve(split).resolve(classes[c]);
                Files.createDirectories(d);
                int n = split.equals("train") ? perClass : perClass / 2;
                for (int i = 0; i < n; i++) {
                    BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 20; y++) {
                        for (int x = 0; x < 20; x++) {
                            int v = Math.max(0, Math.min(255, (c == 0 ? 60 : 190) + r.nextInt(41) - 20));
                            img.setRGB(x, y, v << 16 | v << 8 | v);
                        }
                    }
                    ImageIO.write(img, "png", d.resolve(String.format("%03d.png", i)).toFile());
                }
            }
        }
        return root;
    }
}
