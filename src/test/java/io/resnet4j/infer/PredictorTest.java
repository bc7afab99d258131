package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.data.Image;
import io.resnet4j.data.ImageDecoder;
import io.resnet4j.data.Normalization;
import io.resnet4j.data.Transforms;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Predictions against softmax(logits) computed directly from the model, for one image at a time (eager) and for
 * several batches (the fused oneDNN path).
 */
class PredictorTest {
    @TempDir
    Path dir;

    @Test
    void probabilitiesAreTheSoftmaxOfTheModelsLogitsOnEveryPath() throws IOException {
        Engine.seed(5);
        Architecture arch = Architecture.preset("cifar-resnet8-v2").withClasses(4);
        ResNet model = ResNet.build(arch);
        // Non-zero running statistics, so that folding the batch norms is exercised.
        model.train(true);
        try (Scope s = Scope.open()) {
            float[] x = new float[8 * 3 * 32 * 32];
            SplittableRandom r = new SplittableRandom(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            model.forward(Tensors.fromFloats(x, 8, 3, 32, 32));
        }
        model.train(false);
        ModelConfig config = new ModelConfig(arch, List.of("a", "b", "c", "d"), 32, 32,
                new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.25f, 0.3f});
        Path modelDir = dir.resolve("model");
        ModelDirectory.save(modelDir, model, config);

        // Images of several sizes and colour types (the predictor resizes and converts them).
        List<Path> files = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 11; i++) {
            int w = 20 + 7 * i, h = 40 - i;
            int type = i % 3 == 0 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
            BufferedImage img = new BufferedImage(w, h, type);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            Path f = dir.resolve("img" + i + ".png");
            ImageIO.write(img, "png", f.toFile());
            files.add(f);
        }

        Predictor oneByOne = new Predictor(ModelDirectory.load(modelDir), Precision.FP32, 16);
        Predictor batched = new Predictor(ModelDirectory.load(modelDir), Precision.FP32, 4); // 3 batches: fused
        List<Predictor.Prediction> all = batched.predict(files, 4);
        assertEquals(files.size(), all.size());
        ImageDecoder decoder = new ImageDecoder();
        for (int i = 0; i < files.size(); i++) {
            // The reference: the model's own forward pass on the preprocessed image, softmax in double.
            Image pre = Transforms.eval(32, 32, new Normalization(config.mean(), config.std()))
                    .apply(decoder.decode(files.get(i), 3), new SplittableRandom(0));
            double[] want = new double[4];
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                float[] z = Tensors.toFloats(model.forward(Tensors.fromFloats(pre.data(), 1, 3, 32, 32)));
                double max = Math.max(Math.max(z[0], z[1]), Math.max(z[2], z[3]));
                double sum = 0;
                for (int k = 0; k < 4; k++) {
                    want[k] = Math.exp(z[k] - max);
                    sum += want[k];
                }
                for (int k = 0; k < 4; k++) {
                    want[k] /= sum;
                }
            }
            for (List<Predictor.Scored> top : List.of(all.get(i).top(),
                    oneByOne.predict(List.of(files.get(i)), 4).get(0).top())) {
                assertEquals(4, top.size());
                double total = 0;
                for (int k = 0; k < 4; k++) {
                    Predictor.Scored s = top.get(k);
                    assertEquals(config.labels().get(s.index()), s.label());
                    assertEquals(want[s.index()], s.probability(), 1e-5, files.get(i) + " class " + s.label());
                    if (k > 0) {
                        assertTrue(top.get(k - 1).probability() >= s.probability(), "sorted, most likely first");
                    }
                    total += s.probability();
                }
                assertEquals(1.0, total, 1e-5);
            }
            assertEquals(files.get(i), all.get(i).file());
        }
    }
}
