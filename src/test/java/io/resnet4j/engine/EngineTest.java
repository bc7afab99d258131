package io.resnet4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.openblas.presets.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The engine's settings: libtorch 2.13, OpenBLAS on one thread except in the probe, NNPACK off, a quiet start. */
class EngineTest {
    @Test
    void openBlasRunsOnOneThreadOutsideTheProbe() {
        Engine.init();
        assertEquals(1, openblas_nolapack.blas_get_num_threads(), "OpenBLAS's spinning workers would steal cores");
        double gflops = Probe.gemmGflops(Precision.FP32, 256, 0.05);
        assertTrue(gflops > 0, "probe measured " + gflops);
        assertEquals(1, openblas_nolapack.blas_get_num_threads(), "the probe gives the threads back");
    }

    @Test
    void theEngineIsLibtorch213WithOneDnn312() {
        Engine.init();
        assertEquals("2.13.0", Engine.libtorchVersion());
        assertTrue(Engine.oneDnnVersion().startsWith("oneDNN v3.12"), Engine.oneDnnVersion());
        assertEquals(Engine.OPENBLAS_PIN, Engine.presetsVersion("openblas",
                org.bytedeco.openblas.global.openblas_nolapack.class));
    }

    @Test
    void nnpackIsOffSoItCannotLogOnCpusItDoesNotKnow() {
        Engine.init();
        assertFalse(torch.globalContext().userEnabledNNPACK());
    }

    /** A fresh JVM's start prints nothing on stderr: no version-mismatch warning for the pin, no NNPACK lines. */
    @Test
    void aFreshStartIsQuiet() throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xss4m",
                "-cp", System.getProperty("java.class.path"), QuietStart.class.getName());
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertEquals("", err.strip(), "stderr of a fresh engine start");
    }

    /** The child of {@link #aFreshStartIsQuiet()}: starts the engine and runs a channels_last convolution. */
    static final class QuietStart {
        public static void main(String[] args) {
            Engine.init();
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                org.bytedeco.pytorch.Tensor x = Tensors.inFormat(Tensors.fromFloats(new float[2 * 8 * 9 * 9], 2, 8,
                        9, 9), DataFormat.CHANNELS_LAST);
                org.bytedeco.pytorch.Tensor w = Tensors.fromFloats(new float[16 * 8], 16, 8, 1, 1);
                torch.conv2d(x, w);
            }
            System.exit(0);
        }
    }
}
