package io.resnet4j.bench;

import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.infer.FusedModel;
import io.resnet4j.infer.TorchScriptModel;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hot paths of inference: one batch through the eager model, the oneDNN fused-convolution model and the frozen
 * TorchScript graph, and the
 * host-to-tensor copy every batch pays. Run with {@code scripts/jmh.sh} (not part of the unit tests).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(1)
public class InferenceBenchmark {
    @Param({"resnet50"})
    public String arch;

    @Param({"16"})
    public int batch;

    @Param({"fp32", "bf16"})
    public String precision;

    private ResNet model;
    private TorchScriptModel compiled;
    private FusedModel fused;
    private float[] input;
    private Precision prec;

    @Setup
    public void setup() {
        prec = Precision.parse(precision);
        model = ResNet.build(Architecture.preset(arch).withDataFormat(DataFormat.CHANNELS_LAST));
        model.train(false);
        compiled = TorchScriptModel.compile(model, true, prec);
        fused = FusedModel.compile(model, prec, batch, 224, 224);
        input = new float[batch * 3 * 224 * 224];
        Random r = new Random(0);
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) r.nextGaussian();
        }
    }

    @org.openjdk.jmh.annotations.Benchmark
    public float[] eager() {
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin(); Autocast ac = Autocast.begin(prec)) {
            return Tensors.toFloats(model.forward(Tensors.fromFloats(input, batch, 3, 224, 224)));
        }
    }

    @org.openjdk.jmh.annotations.Benchmark
    public float[] onednn() {
        try (Scope s = Scope.open()) {
            return Tensors.toFloats(fused.forward(Tensors.fromFloats(input, batch, 3, 224, 224)));
        }
    }

    @org.openjdk.jmh.annotations.Benchmark
    public float[] torchscript() {
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            return Tensors.toFloats(compiled.forward(
                    Tensors.inFormat(Tensors.fromFloats(input, batch, 3, 224, 224), DataFormat.CHANNELS_LAST)));
        }
    }

    @org.openjdk.jmh.annotations.Benchmark
    public long inputCopy() {
        try (Scope s = Scope.open()) {
            return Tensors.inFormat(Tensors.fromFloats(input, batch, 3, 224, 224), DataFormat.CHANNELS_LAST).numel();
        }
    }
}
