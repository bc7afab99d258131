package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import org.junit.jupiter.api.Test;

/** Cross-entropy with label smoothing against values computed by hand. */
class LossTest {
    @Test
    void labelSmoothingMatchesHandComputation() {
        float[] logits = {2.0f, 0.5f, -1.0f, 0.0f, 1.0f, 3.0f};
        long[] labels = {0, 2};
        double eps = 0.1;
        double want = 0;
        for (int i = 0; i < 2; i++) {
            double max = Math.max(Math.max(logits[3 * i], logits[3 * i + 1]), logits[3 * i + 2]);
            double lse = max + Math.log(Math.exp(logits[3 * i] - max) + Math.exp(logits[3 * i + 1] - max)
                    + Math.exp(logits[3 * i + 2] - max));
            double nll = lse - logits[3 * i + (int) labels[i]];
            double uniform = 0;
            for (int k = 0; k < 3; k++) {
                uniform += (lse - logits[3 * i + k]) / 3;
            }
            want += (1 - eps) * nll + eps * uniform;
        }
        want /= 2;
        // Without smoothing, by hand: row 0 nll = ln(1 + e^-1.5 + e^-3) = 0.2413, row 1 nll = ln(1 + e^-2 + e^-3).
        try (Scope s = Scope.open()) {
            float got = Layers.crossEntropy(Tensors.fromFloats(logits, 2, 3), Tensors.fromLongs(labels, 2), eps)
                    .item_float();
            assertEquals(want, got, 1e-6);
            float plain = Layers.crossEntropy(Tensors.fromFloats(logits, 2, 3), Tensors.fromLongs(labels, 2), 0.0)
                    .item_float();
            assertEquals(0.5 * (Math.log(1 + Math.exp(-1.5) + Math.exp(-3)) + (3.0 + Math.log(1 + Math.exp(-2) + Math.exp(-3)) - 3.0)), plain,
                    1e-5);
        }
    }
}
