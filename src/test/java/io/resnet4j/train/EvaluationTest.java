package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.Dataset;
import io.resnet4j.data.Image;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Flip test-time augmentation and precision agreement, against logits computed independently. */
class EvaluationTest {
    private static final int SIZE = 12, N = 24;
    private static final List<String> LABELS = List.of("a", "b", "c");

    /** Random images; mirror-symmetric ones when {@code symmetric}. */
    private static Dataset images(boolean symmetric) {
        return new Dataset() {
            public int size() {
                return N;
            }

            public int label(int i) {
                return i % 3;
            }

            public List<String> classes() {
                return LABELS;
            }

            public int channels() {
                return 1;
            }

            public OptionalInt nativeSize() {
                return OptionalInt.of(SIZE);
            }

            public Image image(int i) {
                SplittableRandom r = new SplittableRandom(i);
                float[] px = new float[SIZE * SIZE];
                for (int y = 0; y < SIZE; y++) {
                    for (int x = 0; x < SIZE; x++) {
                        px[y * SIZE + x] = symmetric && x >= SIZE / 2 ? px[y * SIZE + SIZE - 1 - x]
                                : (float) r.nextDouble();
                    }
                }
                return new Image(1, SIZE, SIZE, px);
            }
        };
    }

    private static ResNet model() {
        Engine.seed(3);
        ResNet m = ResNet.build(Architecture.preset("cifar-resnet8-v2").withInChannels(1).withClasses(3));
        m.train(false);
        return m;
    }

    private static EvalResult evaluate(ResNet m, Dataset d, Precision p, boolean tta) {
        BatchLoader.Config c = BatchLoader.Config.evaluation(10, 1, SIZE, SIZE, null);
        try (BatchLoader loader = new BatchLoader(d, c)) {
            return Evaluation.evaluate(m, loader, LABELS, p, null, tta);
        }
    }

    /** The model's logits for one image, mirrored first when asked, mirroring done in Java. */
    private static float[] logits(ResNet m, Image img, boolean mirror) {
        float[] px = img.data().clone();
        if (mirror) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    px[y * SIZE + x] = img.data()[y * SIZE + SIZE - 1 - x];
                }
            }
        }
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            return Tensors.toFloats(m.forward(Tensors.fromFloats(px, 1, 1, SIZE, SIZE)));
        }
    }

    @Test
    void flipTtaAveragesTheLogitsOfTheImageAndItsMirror() {
        ResNet m = model();
        Dataset d = images(false);
        EvalResult tta = evaluate(m, d, Precision.FP32, true);
        double loss = 0;
        int[] predicted = new int[N];
        for (int i = 0; i < N; i++) {
            float[] a = logits(m, d.image(i), false), b = logits(m, d.image(i), true);
            double[] z = new double[3];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 3; k++) {
                z[k] = (a[k] + b[k]) / 2;
                if (z[k] > max) {
                    max = z[k];
                    predicted[i] = k;
                }
            }
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                sum += Math.exp(z[k] - max);
            }
            loss += Math.log(sum) + max - z[d.label(i)];
        }
        assertEquals(loss / N, tta.loss(), 1e-5);
        assertArrayEquals(predicted, tta.predicted());
        // And it is not a no-op on images that are not symmetric.
        assertNotEquals(evaluate(m, d, Precision.FP32, false).loss(), tta.loss(), 1e-7);
    }

    @Test
    void flipTtaChangesNothingOnMirrorSymmetricImages() {
        ResNet m = model();
        Dataset d = images(true);
        EvalResult plain = evaluate(m, d, Precision.FP32, false);
        EvalResult tta = evaluate(m, d, Precision.FP32, true);
        assertEquals(plain.loss(), tta.loss(), 1e-5);
        assertArrayEquals(plain.predicted(), tta.predicted());
    }

    @Test
    void agreementCountsMatchingTopOneClasses() {
        ResNet m = model();
        Dataset d = images(false);
        EvalResult fp32 = evaluate(m, d, Precision.FP32, false);
        assertEquals(N, fp32.predicted().length);
        assertEquals(1.0, fp32.agreement(fp32));
        int[] shifted = fp32.predicted().clone();
        shifted[0] = (shifted[0] + 1) % 3;
        shifted[5] = (shifted[5] + 1) % 3;
        EvalResult other = new EvalResult(0, 0, 0, N, LABELS, fp32.confusion(), shifted);
        assertEquals((N - 2) / (double) N, fp32.agreement(other), 1e-12);
    }
}
