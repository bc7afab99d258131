package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The v2 stem pool is TensorFlow's SAME max pool, checked by hand, and it is not PyTorch's symmetric pool. */
class PoolingTest {
    @Test
    void tfSamePoolOnEvenInputPadsOnlyAfter() {
        // 4x4 input, values 1..16 row-major, with a large value in the top-left corner.
        float[] x = {
            99, 2, 3, 4,
            5, 6, 7, 8,
            9, 10, 11, 12,
            13, 14, 15, 16,
        };
        // TF SAME for n=4: out 2, pad (0, 1). Windows rows/cols {0,1,2} and {2,3,(pad)}:
        //   [0,0] = max(rows 0-2, cols 0-2) = 99;  [0,1] = max(rows 0-2, cols 2-3) = 12
        //   [1,0] = max(rows 2-3, cols 0-2) = 15;  [1,1] = max(rows 2-3, cols 2-3) = 16
        float[] tfSame = {99, 12, 15, 16};
        // PyTorch symmetric pad 1: windows start at -1: cols {-1,0,1} and {1,2,3} ->
        //   [0,0] = max(rows 0-1, cols 0-1) = 99;  [0,1] = max(rows 0-1, cols 1-3) = 8
        //   [1,0] = max(rows 1-3, cols 0-1) = 14;  [1,1] = 16
        float[] symmetric = {99, 8, 14, 16};
        try (Scope s = Scope.open()) {
            float[] got = Tensors.toFloats(Layers.maxPool3x3TfSame(Tensors.fromFloats(x, 1, 1, 4, 4)));
            assertArrayEquals(tfSame, got);
            float[] sym = Tensors.toFloats(Layers.maxPool3x3Symmetric(Tensors.fromFloats(x, 1, 1, 4, 4)));
            assertArrayEquals(symmetric, sym);
            assertFalse(Arrays.equals(got, sym));
        }
    }

    @Test
    void paddedCellsNeverWinEvenWhenEverythingIsNegative() {
        // 3x2 input (odd H, even W), all negative: zero padding would leak 0s into the output; -inf does not.
        float[] x = {-5, -4, -3, -2, -1, -6};
        // H=3: out 2, pad (1,1): row windows {-1,0,1}, {1,2,3}. W=2: out 1, pad (0,1): col window {0,1,(pad)}.
        //   [0,0] = max(rows 0-1) = max(-5,-4,-3,-2) = -2;  [1,0] = max(rows 1-2) = max(-3,-2,-1,-6) = -1
        float[] want = {-2, -1};
        try (Scope s = Scope.open()) {
            assertArrayEquals(want, Tensors.toFloats(Layers.maxPool3x3TfSame(Tensors.fromFloats(x, 1, 1, 3, 2))));
        }
    }

    @Test
    void matchesExplicitMinusInfinityPaddingOnManySizes() {
        java.util.Random r = new java.util.Random(7);
        for (int h = 1; h <= 9; h++) {
            for (int w = 1; w <= 9; w++) {
                float[] x = new float[2 * h * w];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian() - 3f;
                }
                try (Scope s = Scope.open()) {
                    float[] got = Tensors.toFloats(Layers.maxPool3x3TfSame(Tensors.fromFloats(x, 1, 2, h, w)));
                    assertArrayEquals(reference(x, 2, h, w), got, "size " + h + "x" + w);
                }
            }
        }
    }

    /** TF SAME max pool written out literally: out = ceil(n/2), pad_before = pad_total/2, padded cells -inf. */
    private static float[] reference(float[] x, int c, int h, int w) {
        int oh = (h + 1) / 2;
        int ow = (w + 1) / 2;
        int padTop = Math.max((oh - 1) * 2 + 3 - h, 0) / 2;
        int padLeft = Math.max((ow - 1) * 2 + 3 - w, 0) / 2;
        float[] out = new float[c * oh * ow];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int di = 0; di < 3; di++) {
                        for (int dj = 0; dj < 3; dj++) {
                            int y = i * 2 - padTop + di;
                            int xx = j * 2 - padLeft + dj;
                            if (y >= 0 && y < h && xx >= 0 && xx < w) {
                                m = Math.max(m, x[(ch * h + y) * w + xx]);
                            }
                        }
                    }
                    out[(ch * oh + i) * ow + j] = m;
                }
            }
        }
        return out;
    }
}
