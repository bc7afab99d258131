package io.resnet4j.infer;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Engine;
import io.resnet4j.model.OnnxExport;
import io.resnet4j.model.ResNet;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * An evaluation-mode ResNet run by ONNX Runtime in this process, from resnet4j's own ONNX export: the fastest
 * float32 runtime measured on these CPUs (see BENCHMARKS.md). Input NCHW float32; output logits {@code [N, classes]}.
 */
public final class OnnxRuntimeModel implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final int classes;

    private OnnxRuntimeModel(OrtEnvironment env, OrtSession session, int classes) {
        this.env = env;
        this.session = session;
        this.classes = classes;
    }

    /** Exports a snapshot of {@code model}'s weights and opens an ONNX Runtime session with libtorch's thread count. */
    public static OnnxRuntimeModel create(ResNet model) {
        byte[] onnx = OnnxExport.toBytes(model);
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
            opts.setIntraOpNumThreads(Engine.threads());
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // Measured on the AMD machine (BENCHMARKS.md, 2026-12-02): spinning off cost 10-50% (b16, b1);
            // denormals-as-zero and pinning the worker were within the noise. ONNX Runtime's defaults (spinning,
            // arena, memory patterns) are the fast settings; said here so that nobody turns them off by accident.
            opts.addConfigEntry("session.intra_op.allow_spinning", "1");
            opts.setCPUArenaAllocator(true);
            opts.setMemoryPatternOptimization(true);
            return new OnnxRuntimeModel(env, env.createSession(onnx, opts), model.architecture().numClasses());
        } catch (OrtException e) {
            throw new ResNet4jException("ONNX Runtime could not load the model: " + e.getMessage(), e);
        }
    }

    /** Logits {@code [n, classes]} row-major for an NCHW batch {@code shape} = [n, c, h, w]. */
    public float[] run(float[] nchw, long[] shape) {
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw), shape);
                OrtSession.Result r = session.run(Map.of("input", x))) {
            float[][] y = (float[][]) r.get(0).getValue();
            float[] out = new float[y.length * classes];
            for (int i = 0; i < y.length; i++) {
                System.arraycopy(y[i], 0, out, i * classes, classes);
            }
            return out;
        } catch (OrtException e) {
            throw new ResNet4jException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new ResNet4jException("cannot close the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
