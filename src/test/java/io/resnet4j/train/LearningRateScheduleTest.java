package io.resnet4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;

import java.util.List;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    private static final double EPS = 1e-12;

    /** base 0.1, 10 epochs of 100 steps, 2 warmup epochs (200 steps) from 0.01x, cosine to 0. */
    private static LearningRateSchedule warmupCosine() {
        return LearningRateSchedule.builder().baseLr(0.1).epochs(10).stepsPerEpoch(100)
                .warmupEpochs(2).warmupStartFactor(0.01).decay("cosine").build();
    }

    /** Cosine of {@link #warmupCosine()} at a (possibly fractional) step past the warmup, by hand. */
    private static double cosineAt(double step) {
        return 0.1 * 0.5 * (1 + Math.cos(Math.PI * (step - 200) / 800));
    }

    @Test
    void aBudgetAheadOfTheStepsMovesTheDecayOn() {
        LearningRateSchedule s = warmupCosine();
        assertEquals(cosineAt(500), s.at(300, 0.5), EPS);   // half the time spent, 300 of 1000 steps done
        assertEquals(cosineAt(612.5), s.at(300, 0.6125), EPS);
        assertEquals(0.0, s.at(300, 1.0), EPS);            // time is up: the end of the decay
    }

    @Test
    void stepsAheadOfTheBudgetKeepTheStepSchedule() {
        LearningRateSchedule s = warmupCosine();
        assertEquals(s.at(700), s.at(700, 0.1), 0.0);
        assertEquals(s.at(700), s.at(700, 0.0), 0.0);
        assertEquals(cosineAt(700), s.at(700, 0.7), EPS);
    }

    @Test
    void theWarmupCountsStepsWhateverTheBudget() {
        LearningRateSchedule s = warmupCosine();
        assertEquals(0.0505, s.at(100, 0.9), EPS);
    }

    @Test
    void aBudgetReachesStepMilestonesAtTheirShareOfIt() {
        LearningRateSchedule s = LearningRateSchedule.builder().baseLr(0.1).epochs(10).stepsPerEpoch(100)
                .decay("step:5,8").build();
        assertEquals(0.1, s.at(250, 0.49), EPS);
        assertEquals(0.01, s.at(250, 0.5), EPS);
        assertEquals(0.001, s.at(250, 0.85), EPS);
    }

    @Test
    void aBudgetFractionOutsideZeroToOneIsRefused() {
        LearningRateSchedule s = warmupCosine();
        assertThrows(ResNet4jException.class, () -> s.at(300, -0.1));
        assertThrows(ResNet4jException.class, () -> s.at(300, 1.5));
        assertThrows(ResNet4jException.class, () -> s.at(300, Double.NaN));
    }

    @Test
    void warmupRampsLinearlyFromStartFactorToBaseLr() {
        LearningRateSchedule s = warmupCosine();
        assertEquals(200, s.warmupSteps());
        assertEquals(0.001, s.at(0), EPS);                        // 0.1 * 0.01
        assertEquals(0.1 * (0.01 + 0.99 * 0.5), s.at(100), EPS);  // 0.0505
        assertEquals(0.0505, s.at(100), EPS);
        assertEquals(0.1 * (0.01 + 0.99 * 199 / 200.0), s.at(199), EPS);
        assertEquals(0.1, s.at(200), 0.0);                        // end of warmup: exactly base
    }

    @Test
    void fractionalWarmupIsRoundedToSteps() {
        LearningRateSchedule s = LearningRateSchedule.builder().baseLr(0.2).epochs(3).stepsPerEpoch(100)
                .warmupEpochs(0.5).warmupStartFactor(0.1).build();
        assertEquals(50, s.warmupSteps());
        assertEquals(0.02, s.at(0), EPS);
        assertEquals(0.2 * (0.1 + 0.9 * 0.5), s.at(25), EPS);     // 0.11
        assertEquals(0.2, s.at(50), 0.0);
    }

    @Test
    void stepDecaysAtMilestones() {
        LearningRateSchedule s = LearningRateSchedule.builder().baseLr(0.1).epochs(90).stepsPerEpoch(10)
                .decay("step:30,60,80").build();
        assertEquals(0.1, s.gamma(), 0.0);
        assertEquals(0.1, s.at(0), 0.0);
        assertEquals(0.1, s.at(299), EPS);     // last step of epoch 29
        assertEquals(0.01, s.at(300), EPS);    // first step of epoch 30
        assertEquals(0.01, s.at(599), EPS);
        assertEquals(0.001, s.at(600), EPS);
        assertEquals(0.001, s.at(799), EPS);
        assertEquals(0.0001, s.at(800), EPS);
        assertEquals(0.0001, s.at(899), EPS);
        assertEquals(0.0001, s.at(5000), EPS); // past the end: stays
    }

    @Test
    void stepWithWarmupAndCustomGamma() {
        LearningRateSchedule s = LearningRateSchedule.builder().baseLr(0.4).epochs(10).stepsPerEpoch(4)
                .warmupEpochs(1).warmupStartFactor(0.5).gamma(0.5).step(5).build();
        assertEquals(0.2, s.at(0), EPS);
        assertEquals(0.4 * (0.5 + 0.5 * 0.5), s.at(2), EPS);
        assertEquals(0.4, s.at(4), 0.0);
        assertEquals(0.4, s.at(19), EPS);
        assertEquals(0.2, s.at(20), EPS);
    }

    @Test
    void cosineStartHalfEnd() {
        LearningRateSchedule s = LearningRateSchedule.builder().baseLr(0.1).epochs(10).stepsPerEpoch(100)
                .decay("cosine:0.001").build();
        assertEquals(0.001, s.minLr(), 0.0);
        assertEquals(0.1, s.at(0), EPS);
        assertEquals((0.1 + 0.001) / 2, s.at(500), EPS);
        assertEquals(0.001 + 0.099 * 0.5 * (1 + Math.sqrt(0.5)), s.at(250), EPS);
        assertEquals(0.001, s.at(1000), EPS);
        assertEquals(0.001, s.at(10_000), EPS);
    }

    @Test
    void cosineAfterWarmupSpansTheRemainingSteps() {
        LearningRateSchedule s = warmupCosine();
        assertEquals(0.1, s.at(200), 0.0);
        assertEquals(0.05, s.at(600), EPS);  // halfway between 200 and 1000: (base + 0) / 2
        assertEquals(0.0, s.at(1000), EPS);
    }

    @Test
    void cosineIsNonIncreasingAfterWarmup() {
        LearningRateSchedule s = warmupCosine();
        double previous = s.at(s.warmupSteps());
        for (long step = s.warmupSteps() + 1; step <= s.totalSteps() + 10; step++) {
            double lr = s.at(step);
            assertTrue(lr <= previous, "lr rose at step " + step);
            assertTrue(lr >= 0);
            previous = lr;
        }
    }

    @Test
    void parsesCliForms() {
        var b = LearningRateSchedule.builder().baseLr(0.1).epochs(90).stepsPerEpoch(1);
        LearningRateSchedule cos = b.decay("cosine").build();
        assertEquals(LearningRateSchedule.Decay.COSINE, cos.decay());
        assertEquals("cosine", cos.decaySpec());
        assertEquals(1e-5, b.decay("Cosine:1e-5").build().minLr(), 0.0);
        LearningRateSchedule step = b.decay(" STEP: 30, 60 ,80 ").build();
        assertEquals(LearningRateSchedule.Decay.STEP, step.decay());
        assertEquals(List.of(30, 60, 80), step.milestones());
        assertEquals("step:30,60,80", step.decaySpec());
    }

    @Test
    void rejectsBadSpecs() {
        var b = LearningRateSchedule.builder().baseLr(0.1).epochs(90).stepsPerEpoch(1);
        assertMessage("Unknown learning rate schedule", () -> b.decay("linear"));
        assertMessage("needs milestone epochs", () -> b.decay("step"));
        assertMessage("needs milestone epochs", () -> b.decay("step:"));
        assertMessage("invalid milestone epoch 'x'", () -> b.decay("step:30,x"));
        assertMessage("invalid milestone epoch '30.5'", () -> b.decay("step:30.5"));
        assertMessage("invalid minimum learning rate", () -> b.decay("cosine:low"));
        assertMessage("is empty", () -> b.decay(" "));
    }

    @Test
    void validatesSettings() {
        assertMessage("must be a positive number, got -0.1",
                () -> builder().baseLr(-0.1).build());
        assertMessage("must be a positive number", () -> builder().baseLr(Double.NaN).build());
        assertMessage("strictly increasing", () -> builder().decay("step:60,30").build());
        assertMessage("strictly increasing", () -> builder().decay("step:30,30").build());
        assertMessage("not before the end of training", () -> builder().decay("step:30,90").build());
        assertMessage("not after the warmup", () -> builder().warmupEpochs(5).decay("step:5,30").build());
        assertMessage("is not shorter than the 90 epochs", () -> builder().warmupEpochs(90).build());
        assertMessage("Warmup epochs must be zero or positive", () -> builder().warmupEpochs(-1).build());
        assertMessage("start factor", () -> builder().warmupStartFactor(0).build());
        assertMessage("gamma", () -> builder().gamma(1.5).decay("step:30").build());
        assertMessage("Minimum learning rate", () -> builder().minLr(0.5).build());
        assertMessage("epochs must be at least 1", () -> builder().epochs(0).build());
        assertMessage("Steps per epoch", () -> builder().stepsPerEpoch(0).build());
        assertMessage("non-negative", () -> builder().build().at(-1));
    }

    private static LearningRateSchedule.Builder builder() {
        return LearningRateSchedule.builder().baseLr(0.1).epochs(90).stepsPerEpoch(10);
    }

    private static void assertMessage(String expected, Runnable action) {
        ResNet4jException e = assertThrows(ResNet4jException.class, action::run);
        assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
        assertTrue(e.getMessage().endsWith("."), () -> "not a sentence: " + e.getMessage());
    }
}
