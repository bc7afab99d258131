package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.data.Normalization;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.reliability.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --init DIR [--freeze-backbone [N]]}: what is frozen stays bit for bit, the head learns. */
class FineTuningTest {
    @TempDir Path tmp;

    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    /** A Keras-variant bottleneck v2 (conv biases, eps 1.001e-5), 1 channel, with non-trivial BN statistics. */
    private Path base(int classes) {
        Architecture a = Architecture.custom(Architecture.Version.V2, Architecture.Block.BOTTLENECK, List.of(1, 2), 8,
                Architecture.Stem.CIFAR).withVariant(Architecture.Variant.KERAS).withInChannels(1)
                .withClasses(classes);
        ResNet m = ResNet.build(a);
        for (Map.Entry<String, Tensor> e : m.namedTensors().entrySet()) {
            if (e.getKey().endsWith("running_var") || e.getKey().endsWith("running_mean")) {
                e.getValue().add_(Tensors.fromFloats(new float[] {0.25f}, 1));
            }
        }
        Path dir = tmp.resolve("base" + classes);
        List<String> labels = new java.util.ArrayList<>();
        for (int i = 0; i < classes; i++) {
            labels.add("c" + i);
        }
        ModelDirectory.save(dir, m, new ModelConfig(a, labels, SyntheticData.SIZE, SyntheticData.SIZE,
                new Normalization(new float[] {0.3f}, new float[] {0.7f})));
        return dir;
    }

    private static Map<String, float[]> tensors(Path dir) {
        Map<String, float[]> out = new LinkedHashMap<>();
        ModelDirectory.load(dir).model().namedTensors().forEach((k, v) -> out.put(k, Tensors.toFloats(v)));
        return out;
    }

    private Path train(Path init, int freezeEpochs, int epochs, String name) {
        Path run = tmp.resolve(name);
        FineTuning f = FineTuning.from(init, freezeEpochs);
        new Trainer(SyntheticData.splits(128, 32), f.architecture(4), TrainerTest.options(epochs), run, QUIET)
                .fineTune(f).run();
        return run;
    }

    @Test
    void frozenBackboneIsBitIdenticalAndTheHeadLearns() {
        Path init = base(4);
        Path run = train(init, FineTuning.ALL_EPOCHS, 2, "frozen");
        Map<String, float[]> before = tensors(init);
        Map<String, float[]> after = tensors(run);
        assertEquals(before.keySet(), after.keySet());
        assertTrue(before.containsKey("stem.conv.bias") && before.containsKey("layer2.1.conv3.bias"));
        for (String k : before.keySet()) {
            if (k.startsWith("fc.")) {
                assertFalse(java.util.Arrays.equals(before.get(k), after.get(k)), k + " did not learn");
            } else {
                assertArrayEquals(before.get(k), after.get(k), k + " moved although frozen");
            }
        }
        // The run keeps the init's preprocessing rather than measuring the data's.
        assertArrayEquals(new float[] {0.3f}, ModelDirectory.config(run).mean());
    }

    @Test
    void newClassifierWhenClassesDifferAndTheBackboneThawsAfterN() {
        Path init = base(6);
        Path run = train(init, 1, 2, "thawed");
        Map<String, float[]> before = tensors(init);
        Map<String, float[]> after = tensors(run);
        assertEquals(4 * 64, after.get("fc.weight").length);
        assertEquals(6 * 64, before.get("fc.weight").length);
        assertFalse(java.util.Arrays.equals(before.get("layer1.0.conv2.weight"), after.get("layer1.0.conv2.weight")),
                "the second epoch trains the backbone");
        assertFalse(java.util.Arrays.equals(before.get("final_bn.running_mean"), after.get("final_bn.running_mean")),
                "and its batch norm");
    }

    @Test
    void cliFlags() {
        Path init = base(4);
        Cli.Run bad = Cli.run("train", "--data", "fashion-mnist", "--out", tmp.resolve("x").toString(),
                "--freeze-backbone", "2");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--freeze-backbone needs --init"), bad.err());
        Cli.Run both = Cli.run("train", "--data", "fashion-mnist", "--out", tmp.resolve("x").toString(), "--init",
                init.toString(), "--arch", "resnet50");
        assertEquals(2, both.code(), both.err());
        Cli.Run zero = Cli.run("train", "--data", "fashion-mnist", "--out", tmp.resolve("x").toString(), "--init",
                init.toString(), "--freeze-backbone", "0");
        assertEquals(2, zero.code(), zero.err());
        // Refused before any worker starts: one line from this process, not one from each of the workers.
        Cli.Run parallel = Cli.run("train", "--data", "fashion-mnist", "--out", tmp.resolve("x").toString(),
                "--init", init.toString(), "--freeze-backbone", "--nproc", "2");
        assertEquals(2, parallel.code(), parallel.err());
        assertEquals(1, parallel.err().lines().filter(l -> l.startsWith("error:")).count(), parallel.err());
        assertTrue(parallel.err().contains("not supported in data-parallel training"), parallel.err());
    }
}
