package io.resnet4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.openblas.presets.openblas_nolapack;
import org.junit.jupiter.api.Test;

/** The engine's thread settings: libtorch gets the cores, OpenBLAS one thread except while the probe runs. */
class EngineTest {
    @Test
    void openBlasRunsOnOneThreadOutsideTheProbe() {
        Engine.init();
        assertEquals(1, openblas_nolapack.blas_get_num_threads(), "OpenBLAS's spinning workers would steal cores");
        double gflops = Probe.gemmGflops(Precision.FP32, 256, 0.05);
        assertTrue(gflops > 0, "probe measured " + gflops);
        assertEquals(1, openblas_nolapack.blas_get_num_threads(), "the probe gives the threads back");
    }
}
