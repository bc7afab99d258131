package io.resnet4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.util.Set;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.Scalar;
import org.junit.jupiter.api.Test;

/**
 * The known-answer self-check: passes on a correct engine in all four configurations, and fails — naming the
 * configuration — when one configuration computes wrong numbers of the size the AMD incident produced.
 */
class SelfCheckTest {
    @Test
    void engineStartRanTheCheckAndEveryConfigurationPassed() {
        Engine.init();
        SelfCheck.Result r = Engine.selfCheckResult();
        assertTrue(r != null, "Engine.init() runs the self-check (RESNET4J_SELF_CHECK must not be off in tests)");
        assertEquals(Set.of("channels_first fp32", "channels_last fp32", "channels_first bf16", "channels_last bf16"),
                r.cases().stream().map(c -> c.format().cliName() + " " + c.precision().cliName())
                        .collect(Collectors.toSet()));
        assertTrue(r.passed(), r.failures());
        for (SelfCheck.Case c : r.cases()) {
            // Far inside the tolerance, so that the tolerance is not what makes it pass.
            assertTrue(c.error() < c.tolerance() / 4, c.describe());
            assertTrue(c.error() > 0 || c.precision() == Precision.FP32, "bf16 cannot equal its reference: " + c);
        }
    }

    @Test
    void aChannelsLastFloat32ErrorLikeTheAmdIncidentFails() {
        Engine.init();
        // The incident: channels_last logits off by 0.088 on logits of a few units, i.e. percent-level. Here 0.1%.
        SelfCheck.Result r = SelfCheck.run((format, precision, y) -> format == DataFormat.CHANNELS_LAST
                && precision == Precision.FP32 ? perturb(y, 1e-3) : y);
        assertFalse(r.passed());
        assertEquals(1, r.cases().stream().filter(c -> !c.passed()).count(), r.failures());
        assertTrue(r.failures().startsWith("channels_last fp32: largest relative error"), r.failures());
    }

    @Test
    void aWrongBfloat16KernelFails() {
        Engine.init();
        SelfCheck.Result r = SelfCheck.run((format, precision, y) -> format == DataFormat.CHANNELS_FIRST
                && precision == Precision.BF16 ? perturb(y, 0.1) : y);
        assertEquals(1, r.cases().stream().filter(c -> !c.passed()).count(), r.failures());
        assertTrue(r.failures().startsWith("channels_first bf16"), r.failures());
    }

    @Test
    void notANumberFailsInsteadOfComparingFalse() {
        Engine.init();
        SelfCheck.Result r = SelfCheck.run((format, precision, y) -> format == DataFormat.CHANNELS_LAST
                && precision == Precision.BF16 ? y.mul(new Scalar(Double.NaN)) : y);
        assertFalse(r.passed());
        assertTrue(r.failures().contains("NaN"), r.failures());
    }

    @Test
    void theEngineRefusesToRunWithOneErrorNamingTheCpuAndTheCase() {
        Engine.init();
        SelfCheck.Result bad = SelfCheck.run((format, precision, y) -> format == DataFormat.CHANNELS_LAST
                && precision == Precision.FP32 ? perturb(y, 0.05) : y);
        ResNet4jException e = Engine.selfCheckFailure(bad);
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.startsWith("the engine computes wrong numbers on this CPU (" + CpuInfo.current().modelName()), m);
        assertTrue(m.contains("oneDNN v") && m.contains("channels_last fp32"), m);
    }

    /** Scales one tensor: the kind of error a wrong kernel makes. */
    private static org.bytedeco.pytorch.Tensor perturb(org.bytedeco.pytorch.Tensor t, double relative) {
        return t.mul(new Scalar(1.0 + relative));
    }
}
