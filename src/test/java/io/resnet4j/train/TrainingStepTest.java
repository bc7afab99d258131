package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The gradient hooks of a training step: where they run, and that what they do to the gradients counts. */
class TrainingStepTest {
    private static final long[] SHAPE = {2, 1, 8, 8};
    private static final int[] LABELS = {0, 2};

    private static ResNet model() {
        Engine.seed(3);
        return ResNet.build(Architecture.custom(Architecture.Version.V1, Architecture.Block.BASIC, List.of(1), 4,
                Architecture.Stem.CIFAR).withInChannels(1).withClasses(3));
    }

    private static float[] batch(int step) {
        float[] x = new float[2 * 8 * 8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(0.3 * i + step);
        }
        return x;
    }

    private static Map<String, float[]> parameters(ResNet m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, Tensors.toFloats(v)));
        return out;
    }

    private static boolean same(Map<String, float[]> a, Map<String, float[]> b) {
        return a.keySet().equals(b.keySet()) && a.keySet().stream().allMatch(k -> Arrays.equals(a.get(k), b.get(k)));
    }

    /** Plain SGD (no momentum, no weight decay): the update is -lr·grad, so zeroed gradients change nothing. */
    private static Map<String, float[]> afterOneStep(GradientHook hook) {
        ResNet m = model();
        TrainingStep.Builder b = TrainingStep.builder(m, new Sgd(m, 0, false, 0, false));
        if (hook != null) {
            b.gradientHook(hook);
        }
        TrainingStep step = b.build();
        Map<String, float[]> before = parameters(m);
        try (Scope s = Scope.open()) {
            step.forwardBackward(batch(0), SHAPE, LABELS, 0);
            step.update(0.5);
        }
        Map<String, float[]> after = parameters(m);
        assertEquals(before.keySet(), after.keySet());
        return same(before, after) ? null : after;
    }

    @Test
    void aHookThatZeroesTheGradientsLeavesTheParametersAsTheyWere() {
        assertTrue(afterOneStep(null) != null, "without the hook the step moves the parameters");
        assertEquals(null, afterOneStep((m, step) -> m.namedParameters().values().forEach(p -> p.grad().zero_())),
                "with zeroed gradients it does not");
    }

    @Test
    void hooksRunInOrderOncePerStepAfterBackwardAndBeforeTheUpdate() {
        ResNet m = model();
        List<String> calls = new ArrayList<>();
        List<Map<String, float[]>> seen = new ArrayList<>();
        GradientHook first = (model, step) -> {
            for (Tensor p : model.namedParameters().values()) {
                assertTrue(p.grad() != null && !p.grad().isNull() && p.grad().defined(), "backward has run");
            }
            seen.add(parameters(model));
            calls.add("first " + step);
        };
        GradientHook second = (model, step) -> calls.add("second " + step);
        TrainingStep trainingStep = TrainingStep.builder(m, new Sgd(m, 0.9, true, 1e-4, false))
                .gradientHook(first).gradientHook(second).build();
        for (int step = 0; step < 3; step++) {
            Map<String, float[]> before = parameters(m);
            try (Scope s = Scope.open()) {
                trainingStep.forwardBackward(batch(step), SHAPE, LABELS, 10 + step);
                assertTrue(same(before, seen.get(step)), "the hook saw the parameters before the update");
                assertTrue(same(before, parameters(m)), "nothing is updated before update()");
                trainingStep.update(0.1);
            }
            assertFalse(same(before, parameters(m)), "update() applies the gradients");
        }
        assertEquals(List.of("first 10", "second 10", "first 11", "second 11", "first 12", "second 12"), calls);
    }
}
