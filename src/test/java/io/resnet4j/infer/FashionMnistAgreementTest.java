package io.resnet4j.infer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.data.Batch;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.DataSources;
import io.resnet4j.data.DataSplits;
import io.resnet4j.data.FashionMnist;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.Evaluation;
import io.resnet4j.train.TrainOptions;
import io.resnet4j.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast inference paths keep a trained model's answers: on the whole Fashion-MNIST test set (10 000 images), the
 * oneDNN runtime in bf16 picks the same top-1 class as in fp32 for at least 99% of the images, and in fp32 the same
 * as the plain eager model for at least 99.9%. The model is trained here, briefly and deterministically (one epoch
 * on 8 000 images, seeded: ~80% accuracy, a real decision surface with close calls, not a random net).
 */
class FashionMnistAgreementTest {
    @TempDir Path tmp;

    @Test
    void bf16AndFp32AgreeOnTheTestSet() {
        Path dir = Path.of(DataSources.FASHION_MNIST_PACKAGE_DIR);
        Assumptions.assumeTrue(Files.isReadable(dir.resolve(FashionMnist.TEST_IMAGES)),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        DataSplits data = FashionMnist.open(dir);
        Architecture arch = Architecture.custom(Architecture.Version.V2, Architecture.Block.BASIC, List.of(1, 1, 1), 16,
                Architecture.Stem.CIFAR).withInChannels(1).withClasses(10);
        TrainOptions options = TrainOptions.defaults().withEpochs(1).withLimit(8000).withBatchSize(64).withLr(0.05)
                .withWarmupEpochs(0.2).withSeed(3).withAugment(false);
        Path run = tmp.resolve("run");
        new Trainer(data, arch, options, run, new PrintStream(new ByteArrayOutputStream())).run();
        ModelDirectory.Loaded loaded = ModelDirectory.load(run);
        ResNet model = loaded.model();
        model.train(false);
        int size = loaded.config().resizeDim();
        FusedModel fp32 = FusedModel.compile(model, Precision.FP32, 256, size, size);
        FusedModel bf16 = FusedModel.compile(model, Precision.BF16, 256, size, size);
        int n = 0, correct = 0, sameBf16 = 0, sameEager = 0;
        try (BatchLoader loader = new BatchLoader(data.test(), Evaluation.loaderConfig(loaded.config(), 256));
                var it = loader.iterator(0)) {
            while (it.hasNext()) {
                Batch b = it.next();
                int[] eager, f32, b16;
                try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                    var x = Tensors.fromFloats(b.data(), b.shape());
                    eager = argmax(Tensors.toFloats(model.forward(x)), b.size());
                    f32 = argmax(Tensors.toFloats(fp32.forward(x)), b.size());
                    b16 = argmax(Tensors.toFloats(bf16.forward(x)), b.size());
                }
                for (int i = 0; i < b.size(); i++) {
                    n++;
                    correct += f32[i] == b.labels()[i] ? 1 : 0;
                    sameBf16 += b16[i] == f32[i] ? 1 : 0;
                    sameEager += f32[i] == eager[i] ? 1 : 0;
                }
            }
        }
        String summary = String.format("%d test images: fp32 top-1 %.2f%%, bf16 agrees on %.2f%%, eager on %.2f%%", n,
                100.0 * correct / n, 100.0 * sameBf16 / n, 100.0 * sameEager / n);
        System.out.println("FashionMnistAgreementTest: " + summary);
        assertTrue(n == 10_000, summary);
        assertTrue(correct >= 0.7 * n, "the model must be trained for the agreement to mean anything: " + summary);
        assertTrue(sameBf16 >= 0.99 * n, summary);
        assertTrue(sameEager >= 0.999 * n, summary);
    }

    private static int[] argmax(float[] logits, int rows) {
        int classes = logits.length / rows;
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 1; c < classes; c++) {
                if (logits[r * classes + c] > logits[r * classes + out[r]]) {
                    out[r] = c;
                }
            }
        }
        return out;
    }
}
