package io.resnet4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A known-answer test of the engine on this CPU, run once per process before any model touches a tensor.
 *
 * <h2>Why</h2>
 * oneDNN picks its convolution kernels and their blocking from what the CPU reports about itself. On an AMD EPYC
 * virtual machine whose hypervisor zeroes the cache-topology CPUID leaves, oneDNN 3.7 derived 1-byte caches and
 * then crashed, or — worse — computed channels_last convolutions wrong by 0.09 in the logits while every command
 * succeeded. A crash is loud; wrong numbers are not. So before anything else the engine runs a small ResNet —
 * the v1 stem (7×7 convolution on 3 channels, batch norm in training mode, ReLU, 3×3 max pool), then a block
 * with a 3×3 convolution with stride 2, batch norm, ReLU, a second 3×3 convolution and batch norm, a strided 1×1
 * projection shortcut and the addition — forward and backward, in both data formats, in float32 and under bfloat16 autocast, and compares the output and every
 * gradient with a reference that shares nothing with the kernels it checks:
 * <ul>
 *   <li>float32 against the same block in float64, which libtorch never sends to oneDNN (its convolutions run
 *       through im2col and a BLAS product, its batch norm natively);
 *   <li>bfloat16 against the same bfloat16 block with libtorch's oneDNN paths switched off. Not against float64:
 *       bfloat16 gradients legitimately differ from float64 by 10–20% of their scale here (a ReLU after an
 *       addition flips wherever the bfloat16 sum rounds across zero; PyTorch 2.13 shows the same), which would
 *       hide a wrong kernel. Two bfloat16 implementations agree to about 1%.
 * </ul>
 * A disagreement becomes one error naming the CPU and the case, instead of a trained model of garbage.
 *
 * <p>The inputs come from {@link Random} with a fixed seed, so the check neither reads nor advances libtorch's
 * generator (a seeded run stays the run it was). It takes tens of milliseconds; {@code RESNET4J_SELF_CHECK=off}
 * skips it (for experiments only).
 */
public final class SelfCheck {
    /** Largest error allowed, relative to the largest magnitude of the reference tensor. */
    static final double FP32_TOLERANCE = 1e-4;
    /**
     * bfloat16 against bfloat16 without oneDNN: the two differ only in summation order and where they round, 0.5–1.1%
     * of a tensor's scale here (and in PyTorch 2.13 on the same block); a wrong kernel is off by far more.
     */
    static final double BF16_TOLERANCE = 0.05;

    private static final int BATCH = 2;
    private static final int IN = 3;
    private static final int STEM = 8;
    private static final int WIDTH = 32;
    // Odd and not square, like the fixtures: with the cache state of the AMD incident (oneDNN 3.12 given the
    // 1-byte caches oneDNN 3.7 derived there) this block's bfloat16 gradients come out wrong by 30–90%, while a
    // 24×24 input happened to get correct kernels.
    private static final int HEIGHT = 37;
    private static final int WIDTH_PX = 45;
    private static final int OUT_H = out(out(out(HEIGHT, 7, 2, 3), 3, 2, 1), 3, 2, 1);
    private static final int OUT_W = out(out(out(WIDTH_PX, 7, 2, 3), 3, 2, 1), 3, 2, 1);

    private static int out(int size, int kernel, int stride, int padding) {
        return (size + 2 * padding - kernel) / stride + 1;
    }

    /** One configuration: where its largest error was, and whether it was within the tolerance. */
    public record Case(DataFormat format, Precision precision, String worstTensor, double error, double tolerance) {
        public boolean passed() {
            return error <= tolerance; // false for NaN as well
        }

        /** {@code channels_last bf16: max error 0.0031 (tolerance 0.06) in grad conv1.weight}. */
        public String describe() {
            return String.format(Locale.ROOT, "%s %s: largest relative error %.2g in %s (tolerance %.2g)",
                    format.cliName(), precision.cliName(), error, worstTensor, tolerance);
        }
    }

    /** Every case, and how long the whole check took. */
    public record Result(List<Case> cases, long nanos) {
        public boolean passed() {
            return cases.stream().allMatch(Case::passed);
        }

        /** The failed cases, described, joined with "; " (empty when all passed). */
        public String failures() {
            return String.join("; ", cases.stream().filter(c -> !c.passed()).map(Case::describe).toList());
        }
    }

    /** A way to make a configuration compute wrong numbers, so tests can see the check fail. */
    @FunctionalInterface
    interface Fault {
        /** Returns the tensor the block produced for {@code format}/{@code precision}, possibly altered. */
        Tensor apply(DataFormat format, Precision precision, Tensor output);
    }

    private SelfCheck() {}

    /** Runs the check on the engine as it is; needs {@link Engine} started. */
    public static Result run() {
        return run((format, precision, output) -> output);
    }

    static Result run(Fault fault) {
        return run(fault, java.util.EnumSet.allOf(DataFormat.class));
    }

    /** The check in some data formats only (a test on a state where the other format crashes). */
    static Result run(Fault fault, java.util.Set<DataFormat> formats) {
        long t0 = System.nanoTime();
        List<Case> cases = new ArrayList<>();
        try (Scope s = Scope.open()) {
            Parameters p = Parameters.random(new Random(0x5e1fc4ecL));
            Fault none = (f, pr, t) -> t;
            Outputs float64 = compute(p, torch.ScalarType.Double, DataFormat.CHANNELS_FIRST, Precision.FP32, none);
            Outputs bf16WithoutOneDnn = withoutOneDnn(
                    () -> compute(p, torch.ScalarType.Float, DataFormat.CHANNELS_FIRST, Precision.BF16, none));
            for (Precision precision : Precision.values()) {
                Outputs reference = precision == Precision.BF16 ? bf16WithoutOneDnn : float64;
                for (DataFormat format : formats) {
                    Outputs got = compute(p, torch.ScalarType.Float, format, precision, fault);
                    cases.add(compare(reference, got, format, precision));
                }
            }
        }
        return new Result(List.copyOf(cases), System.nanoTime() - t0);
    }

    /**
     * Runs {@code computation} with libtorch's oneDNN paths switched off (as {@code torch.backends.mkldnn.flags(
     * enabled=False)}): convolutions then run as im2col and a matrix product in libtorch's own code.
     */
    private static <T> T withoutOneDnn(java.util.function.Supplier<T> computation) {
        org.bytedeco.pytorch.Context context = torch.globalContext();
        boolean was = context.userEnabledMkldnn();
        context.setUserEnabledMkldnn(false);
        try {
            return computation.get();
        } finally {
            context.setUserEnabledMkldnn(was);
        }
    }

    /** The block's input and weights as Java arrays, shared by the reference and every configuration. */
    private record Parameters(float[] x, float[] stem, float[] gamma0, float[] beta0, float[] conv1, float[] conv2, float[] projection,
            float[] gamma1, float[] beta1, float[] gamma2, float[] beta2, float[] r) {
        static Parameters random(Random random) {
            return new Parameters(
                    normal(random, BATCH * IN * HEIGHT * WIDTH_PX, 1.0),
                    normal(random, STEM * IN * 7 * 7, Math.sqrt(2.0 / (IN * 49))),
                    uniform(random, STEM, 0.5, 1.5), normal(random, STEM, 0.1),
                    normal(random, WIDTH * STEM * 9, Math.sqrt(2.0 / (STEM * 9))),
                    normal(random, WIDTH * WIDTH * 9, Math.sqrt(2.0 / (WIDTH * 9))),
                    normal(random, WIDTH * STEM, Math.sqrt(2.0 / STEM)),
                    uniform(random, WIDTH, 0.5, 1.5), normal(random, WIDTH, 0.1),
                    uniform(random, WIDTH, 0.5, 1.5), normal(random, WIDTH, 0.1),
                    normal(random, BATCH * WIDTH * OUT_H * OUT_W, 1.0));
        }
    }

    /** The block's output and the gradients of {@code sum(output * r)}, in float64 for comparison. */
    private record Outputs(String[] names, Tensor[] values) {}

    private static Outputs compute(Parameters p, torch.ScalarType type, DataFormat format, Precision precision,
            Fault fault) {
        // The input needs no gradient, as in training: the stem's backward then computes only its weights'.
        Tensor x = Tensors.inFormat(Tensors.fromFloats(p.x, BATCH, IN, HEIGHT, WIDTH_PX).to(type), format);
        Tensor stem = leaf(p.stem, type, format, STEM, IN, 7, 7);
        Tensor gamma0 = leaf(p.gamma0, type, format, STEM);
        Tensor beta0 = leaf(p.beta0, type, format, STEM);
        Tensor conv1 = leaf(p.conv1, type, format, WIDTH, STEM, 3, 3);
        Tensor conv2 = leaf(p.conv2, type, format, WIDTH, WIDTH, 3, 3);
        Tensor projection = leaf(p.projection, type, format, WIDTH, STEM, 1, 1);
        Tensor gamma1 = leaf(p.gamma1, type, format, WIDTH);
        Tensor beta1 = leaf(p.beta1, type, format, WIDTH);
        Tensor gamma2 = leaf(p.gamma2, type, format, WIDTH);
        Tensor beta2 = leaf(p.beta2, type, format, WIDTH);
        Tensor r = Tensors.fromFloats(p.r, BATCH, WIDTH, OUT_H, OUT_W).to(type);
        Tensor y;
        try (Autocast a = Autocast.begin(precision)) {
            // The v1 stem: convolution, batch norm, ReLU, 3×3/2 max pool.
            Tensor h0 = torch.max_pool2d(torch.relu(batchNorm(conv(x, stem, 2, 3), gamma0, beta0)),
                    new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, false);
            Tensor h = torch.relu(batchNorm(conv(h0, conv1, 2, 1), gamma1, beta1));
            h = batchNorm(conv(h, conv2, 1, 1), gamma2, beta2);
            y = torch.relu(h.add(conv(h0, projection, 2, 0)));
        }
        y = fault.apply(format, precision, y);
        y.to(type).mul(r).sum().backward();
        Tensor[] leaves = {stem, gamma0, beta0, conv1, conv2, projection, gamma1, beta1, gamma2, beta2};
        String[] names = {"output", "grad stem.weight", "grad bn0.weight", "grad bn0.bias", "grad conv1.weight", "grad conv2.weight",
            "grad projection.weight", "grad bn1.weight", "grad bn1.bias", "grad bn2.weight", "grad bn2.bias"};
        Tensor[] values = new Tensor[names.length];
        values[0] = y.detach().to(torch.ScalarType.Double);
        for (int i = 0; i < leaves.length; i++) {
            Tensor g = leaves[i].grad();
            // A gradient that backward did not produce compares as NaN: a failure, never a pass.
            values[i + 1] = g.defined() ? g.to(torch.ScalarType.Double)
                    : torch.full(leaves[i].sizes().vec().get(), new Scalar(Double.NaN),
                            new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double));
        }
        return new Outputs(names, values);
    }

    private static Case compare(Outputs reference, Outputs got, DataFormat format, Precision precision) {
        double tolerance = precision == Precision.BF16 ? BF16_TOLERANCE : FP32_TOLERANCE;
        double worst = 0;
        String where = reference.names()[0];
        for (int i = 0; i < reference.values().length; i++) {
            Tensor ref = reference.values()[i];
            double scale = Math.max(ref.abs().max().item_double(), 1e-12);
            double error = got.values()[i].sub(ref).abs().max().item_double() / scale;
            if (!(error <= worst)) { // NaN wins too
                worst = error;
                where = reference.names()[i];
                if (Double.isNaN(error)) {
                    break;
                }
            }
        }
        return new Case(format, precision, where, worst, tolerance);
    }

    private static Tensor leaf(float[] values, torch.ScalarType type, DataFormat format, long... shape) {
        Tensor t = Tensors.inFormat(Tensors.fromFloats(values, shape).to(type), format);
        t.requires_grad_(true);
        return t;
    }

    private static Tensor conv(Tensor x, Tensor weight, long stride, long padding) {
        return torch.conv2d(x, weight, new TensorOptional(), new long[] {stride, stride},
                new long[] {padding, padding}, new long[] {1, 1}, 1);
    }

    /** Training-mode batch norm (batch statistics), as every training step runs it. */
    private static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta) {
        return torch.batch_norm(x, new TensorOptional(gamma), new TensorOptional(beta), new TensorOptional(),
                new TensorOptional(), true, 0.1, 1e-5, false);
    }

    private static float[] normal(Random random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    private static float[] uniform(Random random, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + random.nextDouble() * (hi - lo));
        }
        return v;
    }
}
