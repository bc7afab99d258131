package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Layers.BatchNorm2d;
import io.resnet4j.engine.Layers.Conv2d;
import io.resnet4j.engine.Layers.Linear;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * A ResNet built from an {@link Architecture}'s {@link Layout}: stem, block layers, head, as libtorch modules,
 * each registered under its layout name.
 *
 * <p>Input: a float tensor {@code [N, C, H, W]} (logical NCHW; any memory layout, it is brought to the
 * architecture's data format). Output: logits {@code [N, classes]}. Tensor names come from the {@link Layout}, so
 * {@link #namedTensors()} is a torchvision-compatible (v1) or TF-official-named (v2) state dict.
 *
 * <p>Build models outside a {@link io.resnet4j.engine.Scope}: their weights must outlive any one step.
 * A model is not thread-safe; use one per thread, or serialise calls.
 */
public final class ResNet {
    /** PyTorch's default batch-norm momentum (the fraction of the batch statistic taken per step). */
    public static final double DEFAULT_BN_MOMENTUM = 0.1;

    private final Layout layout;
    private final Architecture arch;
    private final Module root;
    private final Parts parts;
    private final Blocks.Conv stem;
    private final List<Blocks.Residual> units = new ArrayList<>();
    private final BatchNorm2d finalBn;
    private final Linear fc;
    private DataFormat dataFormat = DataFormat.CHANNELS_FIRST;
    private boolean backboneFrozen;

    /** Tensors of one forward pass that tests and tools look at. */
    public record Outputs(Tensor stem, Tensor pooled, Tensor logits) {}

    /** Makes every layer of {@code layout}, in its order, under its name (see {@link Parts}). */
    private ResNet(Layout layout, double bnMomentum, boolean initialise) {
        if (PointerScope.getInnerScope() != null) {
            throw new IllegalStateException("build models outside a Scope: their weights must outlive it");
        }
        Engine.init();
        this.layout = layout;
        this.arch = layout.architecture();
        this.root = new Module("ResNet");
        this.parts = new Parts(root, bnMomentum);
        stem = Blocks.Conv.of(parts, layout.stem().conv());
        for (Layout.Unit u : layout.units()) {
            units.add(new Blocks.Residual(parts, u));
        }
        Layout.Head head = layout.head();
        finalBn = parts.bnOrNull(head.finalNorm());
        fc = parts.linear(head.classifier(), head.features(), head.classes());
        if (initialise) {
            initialise();
        }
        setDataFormat(arch.dataFormat());
    }

    /** A new model with freshly initialised weights and PyTorch's BN momentum 0.1. */
    public static ResNet build(Architecture arch) {
        return build(Layout.of(arch));
    }

    /** A new model of any layout (a variant's, say), freshly initialised as its architecture's family is. */
    public static ResNet build(Layout layout) {
        return new ResNet(layout, DEFAULT_BN_MOMENTUM, true);
    }

    /**
     * A model with the weights in a safetensors file (resnet4j's tensor names), in evaluation mode. Skips the random
     * initialisation that loading would overwrite anyway.
     */
    public static ResNet load(Architecture arch, java.nio.file.Path weights) {
        ResNet model = new ResNet(Layout.of(arch), DEFAULT_BN_MOMENTUM, false);
        Weights.load(model, weights);
        model.train(false);
        return model;
    }

    /** A new model with the given batch-norm momentum (0.1 PyTorch; 0.003 = TF official's decay 0.997). */
    public static ResNet build(Architecture arch, double bnMomentum) {
        if (!(bnMomentum >= 0 && bnMomentum <= 1)) {
            throw new ResNet4jException("batch-norm momentum must be in [0, 1], got " + bnMomentum);
        }
        return new ResNet(Layout.of(arch), bnMomentum, true);
    }

    /**
     * v1 as torchvision (He normal fan_out); v2 as TF official (variance scaling fan_in, Glorot dense); the Keras
     * variant as Keras (Glorot uniform kernels, zero biases).
     */
    private void initialise() {
        if (arch.keras()) {
            parts.convs.forEach(Conv2d::initGlorotUniform);
            fc.initGlorotUniformZeroBias();
            return;
        }
        for (Conv2d c : parts.convs) {
            if (arch.version() == Architecture.Version.V1) {
                c.initHeNormalFanOut();
            } else {
                c.initVarianceScalingFanIn();
            }
        }
        if (arch.version() == Architecture.Version.V1) {
            fc.initPyTorchDefault();
        } else {
            fc.initGlorotUniformZeroBias();
        }
    }

    public Architecture architecture() {
        return arch;
    }

    /** Names of the classifier's tensors ({@code fc.weight}, {@code fc.bias}): the head that fine-tuning replaces. */
    public List<String> classifierTensors() {
        String fcName = layout.head().classifier();
        return List.of(fcName + ".weight", fcName + ".bias");
    }

    /** What this model is made of: every layer, its shape and its name. */
    public Layout layout() {
        return layout;
    }

    /** Logits {@code [N, classes]} for input {@code [N, C, H, W]}. */
    public Tensor forward(Tensor x) {
        return forwardAll(x).logits();
    }

    /** Stem output, pooled features {@code [N, features]} and logits, in one pass. */
    public Outputs forwardAll(Tensor x) {
        checkInput(x);
        Tensor h = stem.forward(Tensors.inFormat(x, dataFormat));
        h = switch (layout.stem().pool()) {
            case NONE -> h;
            case MAX_3X3_SYMMETRIC -> Layers.maxPool3x3Symmetric(h);
            case MAX_3X3_TF_SAME -> Layers.maxPool3x3TfSame(h);
            case MAX_3X3_ZERO_PADDED -> Layers.maxPool3x3ZeroPadded(h);
        };
        Tensor stemOut = h;
        for (Blocks.Residual u : units) {
            h = u.forward(h);
        }
        if (finalBn != null) {
            h = Layers.reluInPlace(finalBn.forward(h));
        }
        Tensor pooled = Layers.globalAveragePool(h);
        return new Outputs(stemOut, pooled, fc.forward(pooled));
    }

    private void checkInput(Tensor x) {
        if (x.dim() != 4 || x.size(1) != arch.inChannels()) {
            throw new ResNet4jException("input must be [N, " + arch.inChannels() + ", H, W], got "
                    + java.util.Arrays.toString(Tensors.shape(x)));
        }
        if (x.size(0) < 1 || x.size(2) < 1 || x.size(3) < 1) {
            throw new ResNet4jException("input has an empty dimension: " + java.util.Arrays.toString(Tensors.shape(x)));
        }
    }

    /**
     * Training mode (batch statistics, running-stat updates) or evaluation mode (running statistics). With a frozen
     * backbone every batch norm stays in evaluation mode.
     */
    public void train(boolean on) {
        root.train(on);
        if (on && backboneFrozen) {
            for (BatchNorm2d b : parts.norms) {
                b.train(false);
            }
        }
    }

    /**
     * Freezes (or thaws) everything but the classifier: no gradients for those parameters (so no updates, and
     * no weight decay), and batch norm in evaluation mode (so no running-statistics updates) even in training mode.
     */
    public void freezeBackbone(boolean frozen) {
        backboneFrozen = frozen;
        List<String> head = classifierTensors();
        for (Map.Entry<String, Tensor> p : namedParameters().entrySet()) {
            if (!head.contains(p.getKey())) {
                p.getValue().set_requires_grad(!frozen);
            }
        }
        train(isTraining());
    }

    public boolean backboneFrozen() {
        return backboneFrozen;
    }

    public boolean isTraining() {
        return root.is_training();
    }

    /** Every batch-norm layer, in registration order (data-parallel training synchronises their statistics). */
    public List<BatchNorm2d> batchNorms() {
        return List.copyOf(parts.norms);
    }

    /** Sets the batch-norm momentum of every BN layer. */
    public void setBatchNormMomentum(double momentum) {
        for (BatchNorm2d b : parts.norms) {
            b.setMomentum(momentum);
        }
    }

    /** Lays the 4-D weights out in {@code format} (channels_last is the fast one on CPUs); numbers do not change. */
    public void setDataFormat(DataFormat format) {
        try (NoGrad ignored = NoGrad.begin()) {
            for (Tensor p : namedParameters().values()) {
                if (p.dim() == 4) {
                    p.set_data(Tensors.inFormat(p, format));
                }
            }
        }
        this.dataFormat = format;
    }

    public DataFormat dataFormat() {
        return dataFormat;
    }

    /** Trainable tensors by name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        return toMap(root.named_parameters(true));
    }

    /** Running statistics by name. */
    public Map<String, Tensor> namedBuffers() {
        return toMap(root.named_buffers(true));
    }

    /**
     * The state dict: every parameter and buffer by name, each BN's running statistics right after its bias
     * (torchvision's order).
     */
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> params = namedParameters();
        Map<String, Tensor> buffers = namedBuffers();
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            all.put(e.getKey(), e.getValue());
            if (e.getKey().endsWith(".bias")) {
                String prefix = e.getKey().substring(0, e.getKey().length() - "bias".length());
                for (String b : List.of("running_mean", "running_var")) {
                    Tensor t = buffers.get(prefix + b);
                    if (t != null) {
                        all.put(prefix + b, t);
                    }
                }
            }
        }
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            all.putIfAbsent(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(all);
    }

    /** Number of trainable values (what {@code summary} reports as "params"). */
    public long parameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) {
            n += p.numel();
        }
        return n;
    }

    /** Number of buffer values (BN running statistics). */
    public long bufferCount() {
        long n = 0;
        for (Tensor p : namedBuffers().values()) {
            n += p.numel();
        }
        return n;
    }

    /** The underlying libtorch module (for optimizers and serialisation inside resnet4j). */
    public Module module() {
        return root;
    }

    private static Map<String, Tensor> toMap(StringTensorDict dict) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (long i = 0; i < dict.size(); i++) {
            var item = dict.get(i);
            // Copy the handle: the dictionary owns the one it returns, and is freed with it.
            m.put(item.key().getString(), new Tensor(item.value()));
        }
        return m;
    }
}
