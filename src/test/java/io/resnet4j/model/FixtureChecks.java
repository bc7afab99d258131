package io.resnet4j.model;

import io.resnet4j.engine.DataFormat;

/**
 * {@link FixtureTest}'s float32 checks for one case, callable from outside this package: a child JVM that first
 * changes process-global engine state (see {@code io.resnet4j.engine.HiddenCachesChild}) runs exactly the checks,
 * and tolerances, that the test suite runs on a healthy machine.
 */
public final class FixtureChecks {
    private FixtureChecks() {}

    /** Eval forward (logits, pooled, stem, untouched statistics), then a training step: loss, gradients, statistics. */
    public static void evalAndTrain(String name, DataFormat format) {
        FixtureTest t = new FixtureTest();
        t.evalMatchesReference(name, format);
        t.trainingStepMatchesReference(name, format);
    }
}
