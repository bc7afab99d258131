package io.resnet4j.train;

import io.resnet4j.data.DataSplits;
import io.resnet4j.data.Dataset;
import io.resnet4j.data.Image;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * A learnable toy problem: 16x16 grayscale images whose class (0..3) is the quadrant holding a bright blob,
 * on noise. A working training loop learns it in a couple of epochs; a broken one stays near 25%.
 */
final class SyntheticData implements Dataset {
    static final int SIZE = 16;
    private final int n;
    private final long seed;

    SyntheticData(int n, long seed) {
        this.n = n;
        this.seed = seed;
    }

    static DataSplits splits(int train, int test) {
        return new DataSplits(new SyntheticData(train, 1), new SyntheticData(test, 2));
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public int label(int i) {
        return new SplittableRandom(seed * 1_000_003 + i).nextInt(4);
    }

    @Override
    public List<String> classes() {
        return List.of("top-left", "top-right", "bottom-left", "bottom-right");
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public OptionalInt nativeSize() {
        return OptionalInt.of(SIZE);
    }

    @Override
    public Image image(int i) {
        SplittableRandom r = new SplittableRandom(seed * 7_000_001 + i);
        int label = label(i);
        float[] px = new float[SIZE * SIZE];
        for (int k = 0; k < px.length; k++) {
            px[k] = (float) (0.3 * r.nextDouble());
        }
        int cy = (label / 2) * 8 + 2 + r.nextInt(4);
        int cx = (label % 2) * 8 + 2 + r.nextInt(4);
        for (int y = cy - 1; y <= cy + 1; y++) {
            for (int x = cx - 1; x <= cx + 1; x++) {
                px[y * SIZE + x] = 1f;
            }
        }
        return new Image(1, SIZE, SIZE, px);
    }
}
