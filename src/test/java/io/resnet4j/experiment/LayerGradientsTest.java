package io.resnet4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.RunFolderOutput;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The per-layer gradient norms that the experiment records equal norms computed here, independently, from the
 * autograd gradients of one batch: the layers named by hand, the norms summed in Java in double precision.
 */
class LayerGradientsTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"cifar-plain14", "cifar-resnet14", "cifar-plain8-v2", "cifar-resnet8-v2"})
    void normsEqualAnIndependentComputationFromOneBatch(String name) {
        Architecture arch = Architecture.preset(name).withInChannels(1).withClasses(4);
        ResNet model = ResNet.build(arch);
        model.train(true);
        boolean v2 = arch.version() == Architecture.Version.V2;
        int n = (arch.depth() - 2) / 6;
        List<String> expected = new ArrayList<>();
        expected.add(v2 ? "stem.conv.weight" : "conv1.weight");
        for (int stage = 1; stage <= 3; stage++) {
            for (int unit = 0; unit < n; unit++) {
                expected.add("layer" + stage + "." + unit + ".conv1.weight");
                expected.add("layer" + stage + "." + unit + ".conv2.weight");
            }
        }
        expected.add("fc.weight");
        assertEquals(arch.depth(), expected.size());
        assertEquals(expected, LayerGradients.layers(model.layout()));

        NetRecorder recorder = new NetRecorder("net", new RunFolderOutput(tmp, quiet()), tmp, 1);
        recorder.open();
        double[] independent = new double[expected.size()];
        double[] library;
        try (Scope s = Scope.open()) {
            Random r = new Random(7);
            float[] x = new float[8 * 12 * 12];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            Tensor logits = model.forward(Tensors.fromFloats(x, 8, 1, 12, 12));
            Tensor loss = Layers.crossEntropy(logits, Tensors.fromInts(new int[] {0, 1, 2, 3, 0, 1, 2, 3}), 0);
            loss.backward();
            var params = model.namedParameters();
            for (int i = 0; i < independent.length; i++) {
                double sum = 0;
                for (float g : Tensors.toFloats(params.get(expected.get(i)).grad())) {
                    sum += (double) g * g;
                }
                independent[i] = Math.sqrt(sum);
            }
            library = LayerGradients.norms(model);
            recorder.onGradients(model, 0); // the experiment's hook at the first step
            recorder.onGradients(model, 5); // not the first step of epoch 2 (unknown yet): ignored
        }
        for (int i = 0; i < independent.length; i++) {
            assertEquals(independent[i], library[i], 1e-5 * independent[i], expected.get(i));
        }
        DegradationExperiment.LayerNorms saved = NetRecorder.readNorms(tmp);
        assertNotNull(saved);
        assertEquals(expected, saved.layers());
        assertArrayEquals(library, saved.atInit(), 0);
        assertNull(saved.afterEpoch1());
    }

    private static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream());
    }
}
