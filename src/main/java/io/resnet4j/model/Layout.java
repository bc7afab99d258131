package io.resnet4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The one description of a network: stem, stages of residual units, head — every convolution with its channels,
 * kernel, stride, padding and tensor name, every shortcut with its kind. Computed once from an {@link Architecture}
 * by a {@link LayoutRule}. {@link ResNet}, {@link OnnxExport}, {@link ModelSummary} and the fused and TorchScript
 * runtimes all read it, so none of them decides on its own where a stride goes or what a tensor is called.
 *
 * <p>Names are prefixes of the state dict: a convolution {@code n} is {@code n.weight [out, in, k, k]} (and
 * {@code n.bias [out]} where the variant has one: Keras'); a
 * batch norm {@code n} is {@code n.weight}, {@code n.bias}, {@code n.running_mean}, {@code n.running_var}, each
 * {@code [channels]}; the classifier {@code fc} is {@code fc.weight [classes, features]} and {@code fc.bias
 * [classes]}. v1 names are torchvision's, v2 names the fixtures' TF-official ones.
 *
 * <p>Activations are {@code [N, C, H, W]}; a unit maps {@code [N, in, H, W]} to {@code [N, out, H', W']} with
 * {@code H' = (H - 1) / stride + 1} (every convolution pads {@code (k - 1) / 2}).
 */
public record Layout(Architecture architecture, Stem stem, List<Stage> stages, Head head) {

    public Layout {
        stages = List.copyOf(stages);
    }

    /** The layout of {@code arch} under its own variant's rule. */
    public static Layout of(Architecture arch) {
        return of(arch, LayoutRule.of(arch));
    }

    /** The layout of {@code arch} with the strides and shortcuts that {@code rule} places. */
    public static Layout of(Architecture arch, LayoutRule rule) {
        List<Stage> stages = new ArrayList<>();
        int in = arch.baseWidth();
        for (int i = 0; i < arch.blocks().size(); i++) {
            List<Unit> units = new ArrayList<>();
            for (int j = 0; j < arch.blocks().get(i); j++) {
                Unit u = unit(arch, rule, i, j, in);
                units.add(u);
                in = u.out();
            }
            stages.add(new Stage("layer" + (i + 1), i, units));
        }
        boolean v2 = arch.version() == Architecture.Version.V2;
        Head head = new Head(v2 ? new Norm("final_bn", in, rule.bnEpsilon(arch)) : null, "fc", in,
                arch.numClasses());
        return new Layout(arch, stem(arch, rule), stages, head);
    }

    /** Every unit, stage by stage, in the order the data flows through them. */
    public List<Unit> units() {
        return stages.stream().flatMap(s -> s.units().stream()).toList();
    }

    // ---- the parts ----

    /** A batch norm over {@code channels} with epsilon {@code eps}: {@code [N, channels, H, W]} in and out. */
    public record Norm(String name, int channels, double eps) {
        /** PyTorch's epsilon, 1e-5. */
        public Norm(String name, int channels) {
            this(name, channels, LayoutRule.BN_EPSILON);
        }
    }

    /**
     * A convolution {@code [N, in, H, W] -> [N, out, H', W']}, with a bias if {@code bias}, then its batch norm if
     * {@code norm} is not null, then ReLU if {@code relu}.
     */
    public record ConvSpec(String name, int in, int out, int kernel, int stride, int padding, Norm norm,
            boolean relu, boolean bias) {
        /** A bias-free convolution. */
        public ConvSpec(String name, int in, int out, int kernel, int stride, int padding, Norm norm, boolean relu) {
            this(name, in, out, kernel, stride, padding, norm, relu, false);
        }

        /** {@code H' = (H + 2 padding - kernel) / stride + 1}, the same for W. */
        public int outputSize(int n) {
            return (n + 2 * padding - kernel) / stride + 1;
        }

        /** Values of the weight {@code [out, in, kernel, kernel]}. */
        public long weightCount() {
            return (long) out * in * kernel * kernel;
        }

        /** Trainable values of the convolution: its weight and its bias, if any (not its batch norm). */
        public long parameterCount() {
            return weightCount() + (bias ? out : 0);
        }
    }

    /** The stem's pooling after its convolution. Both 3x3/2 pools give {@code ceil(n / 2)}; they differ in padding. */
    public enum Pool {
        /** CIFAR stem: none. */
        NONE,
        /** v1 (torchvision): padding 1 on every side, padded cells never win (as if −inf). */
        MAX_3X3_SYMMETRIC,
        /** v2 (TF official): TensorFlow's SAME, the extra padding at the bottom/right for even sizes. */
        MAX_3X3_TF_SAME,
        /** Keras v2: zero padding 1 on every side ({@code ZeroPadding2D(1)} then a VALID pool): zeros can win. */
        MAX_3X3_ZERO_PADDED;

        public int outputSize(int n) {
            return this == NONE ? n : (n + 1) / 2;
        }
    }

    /** Convolution (v1: with BN and ReLU; v2: bare, the first unit pre-activates), then the pool. */
    public record Stem(ConvSpec conv, Pool pool) {}

    /** What a unit adds its main path to. */
    public enum ShortcutKind {
        /** The unit's input as it is (same channels, stride 1). */
        IDENTITY,
        /** A strided 1x1 convolution (and its BN) of the unit's input: torchvision's {@code downsample}. */
        PROJECTION,
        /** A strided 1x1 convolution of the pre-activated input, no BN: TF official v2's {@code shortcut}. */
        PROJECTION_PREACTIVATED,
        /** A 1x1 max pool with the unit's stride of its input, i.e. every stride-th pixel (same channels). */
        SUBSAMPLE,
        /** No shortcut at all: a plain network. */
        NONE
    }

    /** A unit's shortcut: its kind, its stride, and the projection convolution for the two projecting kinds. */
    public record Shortcut(ShortcutKind kind, int stride, ConvSpec projection) {}

    /**
     * A residual unit {@code [N, in, H, W] -> [N, out, H', W']}: the optional pre-activation (BN + ReLU of the input,
     * v2), the main path {@code convs} (each with its BN and ReLU as its spec says), the shortcut added to the last,
     * and ReLU after the addition for post-activation (v1) units.
     *
     * @param name the module path, e.g. {@code layer2.0}, a prefix of every tensor of the unit
     * @param stage 0-based stage ({@code layer(stage + 1)})
     * @param index 0-based position in the stage
     * @param kind basic (3x3, 3x3) or bottleneck (1x1, 3x3, 1x1 to 4x width)
     * @param stride the unit's stride, carried by one main-path convolution and by the shortcut
     * @param preactivation v2's BN + ReLU of the input, or null (v1)
     */
    public record Unit(String name, int stage, int index, Architecture.Block kind, int in, int out, int stride,
            Norm preactivation, List<ConvSpec> convs, Shortcut shortcut) {

        public Unit {
            convs = List.copyOf(convs);
            check(name, in, out, stride, preactivation, convs, shortcut);
        }

        public boolean preActivated() {
            return preactivation != null;
        }

        /** Post-activation (v1) units end in ReLU after the addition; pre-activation ones leave that to the next. */
        public boolean reluAfterAdd() {
            return preactivation == null;
        }
    }

    /** A stage ({@code layer1}, {@code layer2}, …): units at one width. */
    public record Stage(String name, int index, List<Unit> units) {
        public Stage {
            units = List.copyOf(units);
        }
    }

    /**
     * v2's final BN + ReLU (or null), global average pool to {@code [N, features]}, and the fully connected
     * {@code classifier} to logits {@code [N, classes]}.
     */
    public record Head(Norm finalNorm, String classifier, int features, int classes) {}

    // ---- the rules every variant shares: channels, kernels, padding, names ----

    /**
     * v1: {@code conv1}, {@code bn1} (BN + ReLU); v2: {@code stem.conv} alone. ImageNet 7x7/2 and pool, CIFAR 3x3/1.
     */
    private static Stem stem(Architecture a, LayoutRule rule) {
        boolean imagenet = a.stem() == Architecture.Stem.IMAGENET;
        int k = imagenet ? 7 : 3;
        int s = imagenet ? 2 : 1;
        int w = a.baseWidth();
        Pool pool = imagenet ? rule.stemPool(a) : Pool.NONE;
        if (a.version() == Architecture.Version.V2) {
            // v2: no BN or ReLU before the pool; the first unit pre-activates.
            return new Stem(new ConvSpec("stem.conv", a.inChannels(), w, k, s, k / 2, null, false,
                    rule.convBias(a, false)), pool);
        }
        return new Stem(new ConvSpec("conv1", a.inChannels(), w, k, s, k / 2, new Norm("bn1", w, rule.bnEpsilon(a)),
                true, rule.convBias(a, true)), pool);
    }

    /**
     * Unit {@code j} of stage {@code i}. Main path: basic {@code in -> width -> width} with 3x3s, bottleneck
     * {@code in -> width -> width -> 4 width} with 1x1, 3x3, 1x1. v1 names the BN after {@code convK} {@code bnK};
     * v2's {@code bn1} is the pre-activation, so the BN after {@code convK} is {@code bn(K+1)} and the last
     * convolution has none (the next unit's pre-activation normalises the sum).
     */
    private static Unit unit(Architecture a, LayoutRule rule, int i, int j, int in) {
        String p = "layer" + (i + 1) + "." + j;
        boolean v2 = a.version() == Architecture.Version.V2;
        boolean bottleneck = a.block() == Architecture.Block.BOTTLENECK;
        int width = a.layerWidth(i);
        int out = a.layerOutChannels(i);
        int stride = rule.stride(a, i, j);
        int strided = rule.stridedConv(a);
        int[] kernels = bottleneck ? new int[] {1, 3, 1} : new int[] {3, 3};
        int[] channels = bottleneck ? new int[] {in, width, width, out} : new int[] {in, width, width};
        double eps = rule.bnEpsilon(a);
        List<ConvSpec> convs = new ArrayList<>();
        for (int c = 0; c < kernels.length; c++) {
            boolean last = c == kernels.length - 1;
            Norm norm = v2 ? (last ? null : new Norm(p + ".bn" + (c + 2), channels[c + 1], eps))
                    : new Norm(p + ".bn" + (c + 1), channels[c + 1], eps);
            convs.add(new ConvSpec(p + ".conv" + (c + 1), channels[c], channels[c + 1], kernels[c],
                    c == strided ? stride : 1, kernels[c] / 2, norm, !last, rule.convBias(a, norm != null)));
        }
        ShortcutKind kind = rule.shortcut(a, i, j, in, out, stride);
        ConvSpec projection = switch (kind) {
            case PROJECTION -> new ConvSpec(p + ".downsample.0", in, out, 1, stride, 0,
                    new Norm(p + ".downsample.1", out, eps), false, rule.convBias(a, true));
            case PROJECTION_PREACTIVATED -> new ConvSpec(p + ".shortcut", in, out, 1, stride, 0, null, false,
                    rule.convBias(a, false));
            case IDENTITY, SUBSAMPLE, NONE -> null;
        };
        return new Unit(p, i, j, a.block(), in, out, stride, v2 ? new Norm(p + ".bn1", in, eps) : null, convs,
                new Shortcut(kind, stride, projection));
    }

    /** A rule that places a stride or a shortcut inconsistently fails here, not in one of the consumers. */
    private static void check(String name, int in, int out, int stride, Norm preactivation, List<ConvSpec> convs,
            Shortcut shortcut) {
        require(!convs.isEmpty(), name + ": a unit has at least one convolution");
        int c = in;
        int strides = 1;
        for (ConvSpec conv : convs) {
            require(conv.in() == c, name + ": " + conv.name() + " reads " + conv.in() + " channels, gets " + c);
            c = conv.out();
            strides *= conv.stride();
        }
        require(c == out, name + ": main path ends with " + c + " channels, not " + out);
        require(!convs.get(convs.size() - 1).relu(), name + ": the shortcut is added before any ReLU");
        require(strides == stride, name + ": main path strides " + strides + ", unit " + stride);
        require(shortcut.stride() == stride, name + ": shortcut strides " + shortcut.stride() + ", unit " + stride);
        require(preactivation == null || preactivation.channels() == in, name + ": pre-activation channels");
        ConvSpec proj = shortcut.projection();
        switch (shortcut.kind()) {
            case IDENTITY -> require(in == out && stride == 1 && proj == null,
                    name + ": an identity shortcut needs in == out and stride 1");
            case SUBSAMPLE -> require(in == out && stride > 1 && proj == null,
                    name + ": a subsampling shortcut needs in == out and a stride above 1");
            case PROJECTION, PROJECTION_PREACTIVATED -> require(proj != null && proj.in() == in && proj.out() == out
                    && proj.stride() == stride, name + ": the projection must map " + in + " to " + out + " channels");
            case NONE -> require(proj == null, name + ": no shortcut, no projection");
        }
        require(shortcut.kind() != ShortcutKind.PROJECTION_PREACTIVATED || preactivation != null,
                name + ": only a pre-activation unit has a pre-activated input to project");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("layout: " + message);
        }
    }
}
