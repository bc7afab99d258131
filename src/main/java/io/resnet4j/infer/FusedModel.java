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
import io.resnet4j.model.Layout;
import io.resnet4j.model.Layout.ConvSpec;
import io.resnet4j.model.ResNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * An evaluation-mode ResNet compiled into oneDNN fused convolutions ({@link FusedConv}): the fastest inference
 * runtime on CPUs with AMX or AVX-512 (see BENCHMARKS.md).
 *
 * <p>Every batch norm that follows a convolution is folded into it; every ReLU and residual addition that follows
 * a convolution runs inside it; weights are prepacked once. What is left between the convolutions is the stem
 * pool, v2's pre-activation batch norm + ReLU (it reads the residual stream, which must stay un-normalized, so it
 * cannot fold into the convolution before it), a subsampling shortcut's pool, the global average pool and the
 * classifier. The network is its model's {@link Layout}, unit by unit.
 *
 * <p>Input {@code [N, C, H, W]} float32 in either layout; output logits {@code [N, classes]} float32. In bf16 the
 * convolutions run in bfloat16 (the weights are rounded once), the pooling and the classifier in float32.
 * A snapshot: later changes to the source model's weights are not seen. Thread-safe.
 */
public final class FusedModel {
    private final Layout layout;
    private final Precision precision;
    private final FusedConv stem;
    private final List<Block> blocks;
    private final Norm finalNorm;
    private final Tensor fcWeight, fcBias;

    /**
     * One residual unit as its {@link Layout.Unit} says: v2's pre-activation (or null), the main-path convolutions
     * in order, and the projection of a projecting shortcut (or null).
     */
    private record Block(Layout.Unit unit, Norm preact, List<FusedConv> convs, FusedConv projection) {}

    /** An evaluation-mode batch norm followed by ReLU (v2's pre-activation). */
    private record Norm(Tensor weight, Tensor bias, Tensor mean, Tensor var, double eps) {
        Tensor applyRelu(Tensor x) {
            Tensor y = torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias),
                    new TensorOptional(mean), new TensorOptional(var), false, 0.0, eps, true);
            y.relu_(); // returns a borrowed view of y's handle: keep y, which the caller may free
            return y;
        }
    }

    private FusedModel(Layout layout, Precision precision, FusedConv stem, List<Block> blocks, Norm finalNorm,
            Tensor fcWeight, Tensor fcBias) {
        this.layout = layout;
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
        Layout layout = model.layout();
        Map<String, Tensor> t = model.namedTensors();
        Shapes shapes = new Shapes(batch, layout.architecture().inChannels(), height, width);
        FusedConv stem = shapes.conv(t, layout.stem().conv(), precision);
        shapes.pool(layout.stem().pool());
        List<Block> blocks = new ArrayList<>();
        for (Layout.Unit u : layout.units()) {
            Shapes unitIn = shapes.copy();
            Norm preact = u.preactivation() == null ? null : norm(t, u.preactivation());
            ConvSpec p = u.shortcut().projection();
            FusedConv projection = p == null ? null : unitIn.conv(t, p, precision);
            List<FusedConv> convs = new ArrayList<>();
            for (ConvSpec c : u.convs()) {
                convs.add(shapes.conv(t, c, precision));
            }
            blocks.add(new Block(u, preact, List.copyOf(convs), projection));
        }
        Layout.Head head = layout.head();
        Norm finalNorm = head.finalNorm() == null ? null : norm(t, head.finalNorm());
        Tensor fcW, fcB;
        try (NoGrad ng = NoGrad.begin()) {
            fcW = t.get(head.classifier() + ".weight").detach().to(torch.ScalarType.Float).clone();
            fcB = t.get(head.classifier() + ".bias").detach().to(torch.ScalarType.Float).clone();
        }
        return new FusedModel(layout, precision, stem, List.copyOf(blocks), finalNorm, Scope.outlive(fcW),
                Scope.outlive(fcB));
    }

    public Architecture architecture() {
        return layout.architecture();
    }

    public Precision precision() {
        return precision;
    }

    /**
     * Logits {@code [N, classes]} float32 for {@code x}; call inside a Scope. Each activation is freed as soon as
     * the next layer has read it rather than when the scope closes, so a pass holds two or three activations at a
     * time instead of all of them (ResNet-50 b16 fp32 peak RSS 1054 → 728 MiB; see BENCHMARKS.md). The caller's
     * {@code x} is never freed or written.
     */
    public Tensor forward(Tensor x) {
        try (NoGrad ng = NoGrad.begin()) {
            Tensor h = input(x);
            h = consume(h, stem.apply(h, activation(layout.stem().conv().relu())));
            h = switch (layout.stem().pool()) {
                case NONE -> h;
                case MAX_3X3_SYMMETRIC -> consume(h, Layers.maxPool3x3Symmetric(h));
                case MAX_3X3_TF_SAME -> consume(h, Layers.maxPool3x3TfSame(h));
                case MAX_3X3_ZERO_PADDED -> consume(h, channelsLast(Layers.maxPool3x3ZeroPadded(h)));
            };
            for (Block b : blocks) {
                h = block(b, h);
            }
            if (finalNorm != null) {
                h = consume(h, finalNorm.applyRelu(h));
            }
            Tensor pooled = consume(h, h.mean(new long[] {2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional(
                    torch.ScalarType.Float)));
            return consume(pooled, torch.linear(pooled, fcWeight, new TensorOptional(fcBias)));
        }
    }

    /**
     * {@code x} as the stem wants it: channels_last in the compute dtype, as a new handle (no copy when it already
     * is). For bf16 the layout changes first, in float32, then the dtype: ATen's copy that does both at once takes
     * a slow element-wise path (ResNet-50 b16: 1.65 ms against 0.70 ms for the two copies, the AMD machine).
     */
    private Tensor input(Tensor x) {
        Tensor h = x.to(torch.ScalarType.Float, false, false,
                new MemoryFormatOptional(torch.MemoryFormat.ChannelsLast));
        return precision == Precision.BF16 ? consume(h, h.to(torch.ScalarType.BFloat16)) : h;
    }

    /**
     * One residual unit, consuming {@code x}: v2 pre-activates the input first (the shortcut reads the raw input
     * unless it projects the pre-activated one); the convolutions run with BN and ReLU folded in; the last adds the
     * shortcut and, in v1, applies ReLU after the addition. The addition accumulates into the shortcut's memory:
     * neither is needed afterwards (an identity shortcut is the unit's input, which nothing reads again).
     * (Inductor's order, the projection last and adding into the main path's output, was tried: no clear gain, and
     * in bf16 it rounds the other operand, which put a LayoutVariantTest model past the tested bf16 bound; see
     * BENCHMARKS.md.)
     */
    private static Tensor block(Block b, Tensor x) {
        Layout.Unit u = b.unit();
        Tensor in = b.preact() == null ? x : b.preact().applyRelu(x);
        Tensor shortcut = switch (u.shortcut().kind()) {
            case IDENTITY -> x;
            case PROJECTION -> b.projection().apply(x, Activation.NONE);
            case PROJECTION_PREACTIVATED -> b.projection().apply(in, Activation.NONE);
            case SUBSAMPLE -> channelsLast(Layers.subsample(x, u.stride()));
            case NONE -> null;
        };
        // x may be the first convolution's input and the shortcut: it is freed last.
        Tensor h = in;
        int last = b.convs().size() - 1;
        for (int i = 0; i < last; i++) {
            Tensor next = b.convs().get(i).apply(h, activation(u.convs().get(i).relu()));
            release(h, x);
            h = next;
        }
        Activation after = activation(u.reluAfterAdd());
        Tensor out = shortcut == null ? b.convs().get(last).apply(h, after)
                : b.convs().get(last).applyAddInPlace(h, shortcut, after);
        release(h, x);
        if (shortcut != null) {
            release(shortcut, x);
        }
        x.close();
        return out;
    }

    /** {@code next}, after freeing the handle {@code used} (which {@code next} was computed from). */
    private static Tensor consume(Tensor used, Tensor next) {
        if (next != used && next.address() != used.address()) {
            used.close();
        }
        return next;
    }

    /** Frees the handle {@code t} unless it is {@code keep} (freed by the caller). */
    private static void release(Tensor t, Tensor keep) {
        if (t != keep) {
            t.close();
        }
    }

    /** {@code t} in channels_last layout, its handle freed when that takes a copy. */
    private static Tensor channelsLast(Tensor t) {
        return consume(t, Tensors.inFormat(t, DataFormat.CHANNELS_LAST));
    }

    private static Activation activation(boolean relu) {
        return relu ? Activation.RELU : Activation.NONE;
    }

    private static Norm norm(Map<String, Tensor> t, Layout.Norm n) {
        String name = n.name();
        try (NoGrad ng = NoGrad.begin()) {
            return new Norm(copy(t, name + ".weight"), copy(t, name + ".bias"), copy(t, name + ".running_mean"),
                    copy(t, name + ".running_var"), n.eps());
        }
    }

    private static Tensor copy(Map<String, Tensor> t, String name) {
        return Scope.outlive(t.get(name).detach().to(torch.ScalarType.Float).clone());
    }

    /** Tracks the activation shape through the network, so each convolution's weights are packed for its input. */
    private static final class Shapes {
        private final int n;
        private int c, h, w;

        Shapes(int n, int c, int h, int w) {
            this.n = n;
            this.c = c;
            this.h = h;
            this.w = w;
        }

        Shapes copy() {
            return new Shapes(n, c, h, w);
        }

        /**
         * The convolution of {@code spec}, its bias (if any) and batch norm (if any) folded in; advances the shape
         * past it. A convolution bias {@code b} before a BN is the BN's mean shifted by {@code -b}.
         */
        FusedConv conv(Map<String, Tensor> t, ConvSpec spec, Precision precision) {
            try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
                Tensor weight = t.get(spec.name() + ".weight");
                Tensor bias = spec.bias() ? t.get(spec.name() + ".bias").detach() : null;
                Layout.Norm bn = spec.norm();
                if (bn != null) {
                    Tensor mean = t.get(bn.name() + ".running_mean");
                    if (bias != null) {
                        mean = torch.sub(mean, bias);
                    }
                    Tensor[] folded = FusedConv.foldBatchNorm(weight, t.get(bn.name() + ".weight"),
                            t.get(bn.name() + ".bias"), mean, t.get(bn.name() + ".running_var"), bn.eps());
                    weight = folded[0];
                    bias = folded[1];
                }
                FusedConv conv = FusedConv.create(weight, bias, spec.stride(), spec.padding(), precision,
                        new long[] {n, c, h, w});
                c = spec.out();
                h = spec.outputSize(h);
                w = spec.outputSize(w);
                return conv;
            }
        }

        void pool(Layout.Pool pool) {
            h = pool.outputSize(h);
            w = pool.outputSize(w);
        }
    }
}
