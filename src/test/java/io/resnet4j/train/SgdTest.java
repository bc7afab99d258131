package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** Two SGD steps against torch.optim.SGD's update rule written out by hand. */
class SgdTest {
    @Test
    void nesterovMomentumWithDecoupledBiasDecayMatchesTheFormula() {
        Engine.seed(1);
        ResNet m = ResNet.build(Architecture.custom(Architecture.Version.V1, Architecture.Block.BASIC,
                List.of(1), 4, Architecture.Stem.CIFAR).withInChannels(1).withClasses(3));
        double lr = 0.1;
        double mom = 0.9;
        double wd = 0.01;
        Sgd sgd = new Sgd(m, mom, true, wd, false);
        Map<String, float[]> buf = new HashMap<>();
        for (int step = 0; step < 2; step++) {
            Map<String, float[]> before = new HashMap<>();
            Map<String, float[]> grads = new HashMap<>();
            try (Scope s = Scope.open()) {
                float[] x = new float[2 * 8 * 8];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) Math.sin(i + step);
                }
                Tensor loss = m.forward(Tensors.fromFloats(x, 2, 1, 8, 8)).pow(new org.bytedeco.pytorch.Scalar(2.0))
                        .sum();
                sgd.zeroGrad(m);
                loss.backward();
                for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
                    before.put(p.getKey(), Tensors.toFloats(p.getValue()));
                    grads.put(p.getKey(), Tensors.toFloats(p.getValue().grad()));
                }
                sgd.step(lr);
            }
            for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
                String k = p.getKey();
                boolean decayed = Tensors.shape(p.getValue()).length > 1;
                float[] w = before.get(k);
                float[] g = grads.get(k);
                float[] b = buf.computeIfAbsent(k, key -> null);
                float[] nb = new float[w.length];
                float[] got = Tensors.toFloats(p.getValue());
                for (int i = 0; i < w.length; i++) {
                    double gi = g[i] + (decayed ? wd * w[i] : 0);
                    nb[i] = (float) (b == null ? gi : mom * b[i] + gi);
                    double update = gi + mom * nb[i];
                    assertEquals(w[i] - lr * update, got[i], 1e-5 + 1e-5 * Math.abs(w[i]), k + "[" + i + "] step " + step);
                }
                buf.put(k, nb);
            }
        }
    }
}
