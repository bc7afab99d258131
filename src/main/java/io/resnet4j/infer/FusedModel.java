package io.resnet4j.infer;

import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.FusedConv;
import io.resnet4j.engine.FusedConv.Activation;
import io.resnet4j.engine.Layers;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * An evaluation-mode ResNet compiled into oneDNN fused convolutions ({@link FusedConv}): the fastest inference
 * runtime on CPUs with AMX or AVX-512 (see BENCHMARKS.md).
 *
 * <p>Every batch norm that follows a convolution is folded into it; every ReLU and residual addition that follows
 * a convolution runs inside it; weights are prepacked once. What is left between the convolutions is the v1 stem
 * pool, v2's pre-activation batch norm + ReLU (it reads the residual stream, which must stay un-normalized, so it
 * cannot fold into the convolution before it), the global average pool and the classifier.
 *
 * <p>Input {@code [N, C, H, W]} float32 in either layout; output logits {@code [N, classes]} float32. In bf16 the
 * convolutions run in bfloat16 (the weights are rounded once), the pooling and the classifier in float32.
 * A snapshot: later changes to the source model's weights are not seen. Thread-safe.
 */
public final class FusedModel {
    private final Architecture arch;
    private final Precision precision;
    private final FusedConv stem;
    private final List<Block> blocks;
    private final Norm finalNorm;
    private final Tensor fcWeight, fcBias;

    /** One residual block: its convolutions in order, the projection if any, and v2's pre-activation. */
    private record Block(Norm preact, List<FusedConv> convs, FusedConv projection) {}

    /** An evaluation-mode batch norm followed by ReLU (v2's pre-activation). */
    private record Norm(Tensor weight, Tensor bias, Tensor mean, Tensor var) {
        Tensor applyRelu(Tensor x) {
            return torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias), new TensorOptional(mean),
                    new TensorOptional(var), false, 0.0, Layers.BatchNorm2d.EPS, true).relu_();
        }
    }

    private FusedModel(Architecture arch, Precision precision, FusedConv stem, List<Block> blocks, Norm finalNorm,
            Tensor fcWeight, Tensor fcBias) {
        this.arch = arch;
        this.precision = precision;
        this.stem = stem;
        this.blocks = blocks;
        this.finalNorm = finalNorm;
        this.fcWeight = fcWeight;
        this.fcBias = fcBias;
    }

    /**
     * Compiles a snapshot of {@code model}'s weights for inputs of about {@code batch × C × height × width} (other
     * sizes work too; these pick the weight layouts).
     */
    public static FusedModel compile(ResNet model, Precision precision, int batch, int height, int width) {
        Engine.init();
        Architecture a = model.architecture();
        Map<String, Tensor> t = model.namedTensors();
        boolean v2 = a.version() == Architecture.Version.V2;
        boolean imagenet = a.stem() == Architecture.Stem.IMAGENET;
        Shapes shapes = new Shapes(batch, a.inChannels(), height, width);
        FusedConv stem;
        int k = imagenet ? 7 : 3, st = imagenet ? 2 : 1;
        if (v2) {
            stem = shapes.conv(t.get("stem.conv.weight"), null, st, k / 2, precision);
        } else {
            stem = shapes.convBn(t, "conv1", "bn1", st, k / 2, precision);
        }
        if (imagenet) {
            shapes.pool();
        }
        List<Block> blocks = new ArrayList<>();
        int in = a.baseWidth();
        boolean bottleneck = a.block() == Architecture.Block.BOTTLENECK;
        for (int i = 0; i < a.blocks().size(); i++) {
            int out = a.layerOutChannels(i);
            for (int j = 0; j < a.blocks().get(i); j++) {
                int stride = j == 0 ? a.strides().get(i) : 1;
                String p = "layer" + (i + 1) + "." + j + ".";
                Shapes blockIn = shapes.copy();
                List<FusedConv> convs = new ArrayList<>();
                FusedConv projection;
                Norm preact = null;
                if (v2) {
                    preact = norm(t, p + "bn1");
                    projection = j == 0 ? blockIn.copy().conv(t.get(p + "shortcut.weight"), null, stride, 0, precision)
                            : null;
                    if (bottleneck) {
                        convs.add(shapes.convBn(t, p + "conv1", p + "bn2", 1, 0, precision));
                        convs.add(shapes.convBn(t, p + "conv2", p + "bn3", stride, 1, precision));
                        convs.add(shapes.conv(t.get(p + "conv3.weight"), null, 1, 0, precision));
                    } else {
                        convs.add(shapes.convBn(t, p + "conv1", p + "bn2", stride, 1, precision));
                        convs.add(shapes.conv(t.get(p + "conv2.weight"), null, 1, 1, precision));
                    }
                } else {
                    boolean project = stride != 1 || in != out;
                    projection = project ? blockIn.copy().convBn(t, p + "downsample.0", p + "downsample.1", stride, 0,
                            precision) : null;
                    if (bottleneck) {
                        convs.add(shapes.convBn(t, p + "conv1", p + "bn1", 1, 0, precision));
                        convs.add(shapes.convBn(t, p + "conv2", p + "bn2", stride, 1, precision));
                        convs.add(shapes.convBn(t, p + "conv3", p + "bn3", 1, 0, precision));
                    } else {
                        convs.add(shapes.convBn(t, p + "conv1", p + "bn1", stride, 1, precision));
                        convs.add(shapes.convBn(t, p + "conv2", p + "bn2", 1, 1, precision));
                    }
                }
                blocks.add(new Block(preact, List.copyOf(convs), projection));
                in = out;
            }
        }
        Norm finalNorm = v2 ? norm(t, "final_bn") : null;
        Tensor fcW, fcB;
        try (NoGrad ng = NoGrad.begin()) {
            fcW = t.get("fc.weight").detach().to(torch.ScalarType.Float).clone();
            fcB = t.get("fc.bias").detach().to(torch.ScalarType.Float).clone();
        }
        return new FusedModel(a, precision, stem, List.copyOf(blocks), finalNorm, Scope.outlive(fcW),
                Scope.outlive(fcB));
    }

    public Architecture architecture() {
        return arch;
    }

    public Precision precision() {
        return precision;
    }

    /** Logits {@code [N, classes]} float32 for {@code x}; call inside a Scope. */
    public Tensor forward(Tensor x) {
        try (NoGrad ng = NoGrad.begin()) {
            Tensor h = Tensors.inFormat(x, DataFormat.CHANNELS_LAST);
            if (precision == Precision.BF16) {
                h = h.to(torch.ScalarType.BFloat16);
            }
            boolean v2 = finalNorm != null;
            h = stem.apply(h, v2 ? Activation.NONE : Activation.RELU);
            if (arch.stem() == Architecture.Stem.IMAGENET) {
                h = v2 ? Layers.maxPool3x3TfSame(h) : Layers.maxPool3x3Symmetric(h);
            }
            for (Block b : blocks) {
                h = block(b, h);
            }
            if (v2) {
                h = finalNorm.applyRelu(h);
            }
            Tensor pooled = h.mean(new long[] {2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional(
                    torch.ScalarType.Float));
            return torch.linear(pooled, fcWeight, new TensorOptional(fcBias));
        }
    }

    /**
     * One residual block. v1: the convolutions (BN and ReLU folded in), the last adds the shortcut, then ReLU. v2:
     * BN+ReLU on the input first (the shortcut branch reads the raw input unless it projects), and no activation
     * after the addition. The addition accumulates into the shortcut's memory: neither is needed afterwards.
     */
    private static Tensor block(Block b, Tensor x) {
        boolean v2 = b.preact() != null;
        Tensor in = v2 ? b.preact().applyRelu(x) : x;
        Tensor shortcut = b.projection() == null ? x : b.projection().apply(in, Activation.NONE);
        Tensor h = in;
        int last = b.convs().size() - 1;
        for (int i = 0; i < last; i++) {
            h = b.convs().get(i).apply(h, Activation.RELU);
        }
        return b.convs().get(last).applyAddInPlace(h, shortcut, v2 ? Activation.NONE : Activation.RELU);
    }

    private static Norm norm(Map<String, Tensor> t, String name) {
        try (NoGrad ng = NoGrad.begin()) {
            return new Norm(copy(t, name + ".weight"), copy(t, name + ".bias"), copy(t, name + ".running_mean"),
                    copy(t, name + ".running_var"));
        }
    }

    private static Tensor copy(Map<String, Tensor> t, String name) {
        return Scope.outlive(t.get(name).detach().to(torch.ScalarType.Float).clone());
    }

    /** Tracks the activation shape through the network, so each convolution's weights are packed for its input. */
    private static final class Shapes {
        private final long n;
        private long c, h, w;

        Shapes(long n, long c, long h, long w) {
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
        }

        Shapes copy() {
            return new Shapes(n, c, h, w);
        }

        FusedConv conv(Tensor weight, Tensor bias, int stride, int pad, Precision precision) {
            FusedConv conv = FusedConv.create(weight, bias, stride, pad, precision, new long[] {n, c, h, w});
            long k = weight.size(2);
            c = weight.size(0);
            h = (h + 2 * pad - k) / stride + 1;
            w = (w + 2 * pad - k) / stride + 1;
            return conv;
        }

        FusedConv convBn(Map<String, Tensor> t, String conv, String bn, int stride, int pad, Precision precision) {
            try (Scope s = Scope.open()) {
                Tensor[] folded = FusedConv.foldBatchNorm(t.get(conv + ".weight"), t.get(bn + ".weight"),
                        t.get(bn + ".bias"), t.get(bn + ".running_mean"), t.get(bn + ".running_var"),
                        Layers.BatchNorm2d.EPS);
                return conv(folded[0], folded[1], stride, pad, precision);
            }
        }

        void pool() {
            h = (h + 1) / 2;
            w = (w + 1) / 2;
        }
    }
}
