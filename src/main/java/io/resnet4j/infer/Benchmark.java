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

    /** The most input values a batch may have: they are generated into one Java array. */
    public static final long MAX_INPUT_VALUES = Integer.MAX_VALUE - 8;

    /** How many input values a batch of {@code batch} {@code arch} images of {@code height x width} has. */
    public static long inputValues(Architecture arch, int batch, int height, int width) {
        return (long) batch * arch.inChannels() * height * width;
    }

    public static Result run(Architecture arch, Mode mode, Runtime runtime, int batch, Precision precision, int height,
            int width, double seconds, int warmup) {
        long values = inputValues(arch, batch, height, width);
        if (values > MAX_INPUT_VALUES) {
            throw new ResNet4jException("a batch of " + batch + " " + arch.inChannels() + "x" + height + "x" + width
                    + " images is " + values + " input values, more than one Java array holds; use a smaller batch "
                    + "or input size");
        }
        if (mode == Mode.INFER && runtime == Runtime.ONNXRUNTIME && precision != Precision.FP32) {
            throw new ResNet4jException("the onnxruntime runtime runs fp32 only");
        }
        Engine.init();
        Engine.seed(0);
        ResNet model = ResNet.build(arch);
        model.train(mode == Mode.TRAIN);
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
        OnnxRuntimeModel ort = mode == Mode.INFER && runtime == Runtime.ONNXRUNTIME ? OnnxRuntimeModel.create(model)
                : null;
        Runnable step = ort != null ? () -> ort.run(x, shape)
                : step(model, mode, runtime, precision, x, shape, labels, height, width);
        for (int i = 0; i < warmup; i++) {
            step.run();
        }
        long[] times = new long[100_000];
        int n = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        // No cap on the iterations: long soaks run for their whole duration; the latency median is of the first
        // 100 000 steps.
        while (System.nanoTime() < deadline || n < 3) {
            long t0 = System.nanoTime();
            step.run();
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

    /** One timed unit of work on libtorch: a batch through the chosen runtime, or a training step. */
    private static Runnable step(ResNet model, Mode mode, Runtime runtime, Precision precision, float[] x,
            long[] shape, int[] labels, int height, int width) {
        if (mode == Mode.TRAIN) {
            TrainingStep training = TrainingStep.builder(model, new Sgd(model, 0.9, true, 1e-4, false))
                    .precision(precision).build();
            return () -> {
                try (Scope s = Scope.open()) {
                    training.forwardBackward(x, shape, labels, 0);
                    training.update(0.01);
                }
            };
        }
        java.util.function.Function<Tensor, Tensor> forward = switch (runtime) {
            case ONEDNN -> FusedModel.compile(model, precision, (int) shape[0], height, width)::forward;
            case TORCHSCRIPT -> {
                TorchScriptModel compiled = TorchScriptModel.compile(model, true, precision);
                yield input -> compiled.forward(Tensors.inFormat(input, model.dataFormat()));
            }
            case EAGER -> input -> {
                try (Autocast ac = Autocast.begin(precision)) {
                    return model.forward(input);
                }
            };
            case ONNXRUNTIME -> throw new IllegalStateException("ONNX Runtime does not run on libtorch tensors");
        };
        return () -> {
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                forward.apply(Tensors.fromFloats(x, shape));
            }
        };
    }
}
