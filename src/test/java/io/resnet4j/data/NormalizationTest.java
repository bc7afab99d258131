package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.resnet4j.ResNet4jException;
import java.util.List;
import org.junit.jupiter.api.Test;

class NormalizationTest {

    /** Two 1×2 RGB images with known statistics. */
    private static Dataset twoImages() {
        return new Dataset() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public int label(int i) {
                return 0;
            }

            @Override
            public List<String> classes() {
                return List.of("x");
            }

            @Override
            public int channels() {
                return 3;
            }

            @Override
            public Image image(int i) {
                // R: 0, 1 | 0.5, 0.5 ; G: all 0.25 ; B: 0, 0 | 1, 1
                return i == 0 ? new Image(3, 1, 2, new float[] {0f, 1f, 0.25f, 0.25f, 0f, 0f})
                        : new Image(3, 1, 2, new float[] {0.5f, 0.5f, 0.25f, 0.25f, 1f, 1f});
            }
        };
    }

    @Test
    void computeGivesPopulationMeanAndStd() {
        Normalization n = Normalization.compute(twoImages(), 0);
        // R values {0, 1, .5, .5}: mean .5, variance (.25 + .25 + 0 + 0) / 4 = .125.
        assertArrayEquals(new float[] {0.5f, 0.25f, 0.5f}, n.mean(), 1e-7f);
        assertEquals(Math.sqrt(0.125), n.std()[0], 1e-7);
        assertEquals(1e-6f, n.std()[1], 1e-9f, "a constant channel gets a tiny positive std, not 0");
        assertEquals(0.5f, n.std()[2], 1e-7f);
        Normalization firstOnly = Normalization.compute(twoImages(), 1);
        assertEquals(0.5f, firstOnly.mean()[0]);
        assertEquals(0f, firstOnly.mean()[2]);
    }

    @Test
    void applyAndConstants() {
        Image im = new Image(3, 1, 1, new float[] {0.485f, 0.456f + 0.224f, 0.406f - 2 * 0.225f});
        assertArrayEquals(new float[] {0f, 1f, -2f}, Normalization.IMAGENET.apply(im).data(), 1e-6f);
        assertEquals(Normalization.IMAGENET, new Normalization(new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f}));
        float[] leak = Normalization.IMAGENET.mean();
        leak[0] = 99;
        assertEquals(0.485f, Normalization.IMAGENET.mean()[0], "constants cannot be changed from outside");
        assertEquals(3, Normalization.FASHION_MNIST.withChannels(3).channels());
        assertEquals(0.485f * 0.299f + 0.456f * 0.587f + 0.406f * 0.114f,
                Normalization.IMAGENET.withChannels(1).mean()[0], 1e-6f);
    }

    @Test
    void invalidStatistics() {
        assertThrows(ResNet4jException.class, () -> new Normalization(new float[] {0}, new float[] {0}));
        assertThrows(ResNet4jException.class, () -> new Normalization(new float[] {0, 0}, new float[] {1}));
        assertThrows(ResNet4jException.class, () -> Normalization.IMAGENET.apply(Image.zeros(1, 2, 2)));
    }
}
