package io.resnet4j.infer;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Probe;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelSummary;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.Sgd;
import io.resnet4j.train.TrainingStep;
import java.util.Arrays;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/**
 * Speed of a model on this machine: inference (no autograd, eval mode) or a full training step (forward, backward,
 * SGD update), on random input, after warm-up; reported with the FLOP rate and its fraction of a matrix-product
 * ceiling measured in the same process.
 */
public final class Benchmark {
    /** What a run measured. {@code latencyMs} is the median time of one batch. */
    public record Result(String arch, String mode, Runtime runtime, int batch, Precision precision, DataFormat dataFormat, int threads,
            int height, int width, long iterations, double imagesPerSecond, double latencyMs, double gflopsPerSecond,
            double ceilingGflops, double peakFraction) {}

    public enum Mode { INFER, TRAIN }

    /**
     * How inference runs: op by op through {@link ResNet}; as a frozen, optimised {@link TorchScriptModel}; as our
     * ONNX export in ONNX Runtime ({@link OnnxRuntimeModel}); or as oneDNN fused convolutions ({@link FusedModel}).
     */
    public enum Runtime { EAGER, TORCHSCRIPT, ONNXRUNTIME, ONEDNN }

    private Benchmark() {}

    public static Result run(Architecture arch, Mode mode, Runtime runtime, int batch, Precision precision, int height,
            int width, double seconds, int warmup) {
        long values = (long) batch * arch.inChannels() * height * width;
        if (values > Integer.MAX_VALUE - 8) {
            throw new ResNet4jException("--batch " + batch + " of " + arch.inChannels() + "x" + height + "x" + width
                    + " images is " + values + " input values, more than one Java array holds; use a smaller --batch "
                    + "or --input");
        }
        Engine.init();
        Engine.seed(0);
        ResNet model = ResNet.build(arch);
        model.train(mode == Mode.TRAIN);
        Sgd sgd = mode == Mode.TRAIN ? new Sgd(model, 0.9, true, 1e-4, false) : null;
        TorchScriptModel compiled = mode == Mode.INFER && runtime == Runtime.TORCHSCRIPT
                ? TorchScriptModel.compile(model, true, precision) : null;
        FusedModel fused = mode == Mode.INFER && runtime == Runtime.ONEDNN
                ? FusedModel.compile(model, precision, batch, height, width) : null;
        if (mode == Mode.INFER && runtime == Runtime.ONNXRUNTIME && precision != Precision.FP32) {
            throw new io.resnet4j.ResNet4jException("the onnxruntime runtime runs fp32 only");
        }
        OnnxRuntimeModel ort = mode == Mode.INFER && runtime == Runtime.ONNXRUNTIME ? OnnxRuntimeModel.create(model)
                : null;
        float[] x = new float[(int) values];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(arch.numClasses());
        }
        long[] shape = {batch, arch.inChannels(), height, width};
        for (int i = 0; i < warmup; i++) {
            step(model, compiled, fused, ort, sgd, x, shape, labels, precision);
        }
        long[] times = new long[100_000];
        int n = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        // No cap on the iterations: long soaks run for their whole duration; the latency median is of the first
        // 100 000 steps.
        while (System.nanoTime() < deadline || n < 3) {
            long t0 = System.nanoTime();
            step(model, compiled, fused, ort, sgd, x, shape, labels, precision);
            if (n < times.length) {
                times[n] = System.nanoTime() - t0;
            }
            n++;
        }
        long[] sorted = Arrays.copyOf(times, Math.min(n, times.length));
        Arrays.sort(sorted);
        // The peers' rule (shared/peer): images/s = batch / median batch time.
        double ips = batch / (sorted[sorted.length / 2] / 1e9);
        long macs = ModelSummary.of(arch, height, width).macs();
        // A training step costs about three forward passes (forward, and backward for inputs and weights).
        double flopsPerImage = 2.0 * macs * (mode == Mode.TRAIN ? 3 : 1);
        double gflops = ips * flopsPerImage / 1e9;
        double ceiling = Probe.gemmGflops(precision, 2048, Math.min(3.0, Math.max(1.0, seconds / 3)));
        if (ort != null) {
            ort.close();
        }
        return new Result(arch.name(), mode.name().toLowerCase(), mode == Mode.TRAIN ? Runtime.EAGER : runtime,
                batch, precision, arch.dataFormat(), Engine.threads(), height, width, n, ips,
                sorted[sorted.length / 2] / 1e6, gflops, ceiling, gflops / ceiling);
    }

    private static void step(ResNet model, TorchScriptModel compiled, FusedModel fused, OnnxRuntimeModel ort, Sgd sgd,
            float[] x, long[] shape, int[] labels, Precision precision) {
        if (ort != null) {
            ort.run(x, shape);
            return;
        }
        try (Scope s = Scope.open()) {
            Tensor input = Tensors.fromFloats(x, shape);
            if (fused != null) {
                fused.forward(input);
                return;
            }
            if (compiled != null) {
                try (NoGrad ng = NoGrad.begin()) {
                    compiled.forward(Tensors.inFormat(input, model.dataFormat()));
                }
                return;
            }
            if (sgd == null) {
                try (NoGrad ng = NoGrad.begin(); Autocast ac = Autocast.begin(precision)) {
                    model.forward(input);
                }
                return;
            }
            TrainingStep.forwardBackward(model, sgd, x, shape, labels, precision, 0.0);
            sgd.step(0.01);
        }
    }
}
