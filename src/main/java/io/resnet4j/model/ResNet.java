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
 * A ResNet built from an {@link Architecture}: stem, block layers, head, as libtorch modules.
 *
 * <p>Input: a float tensor {@code [N, C, H, W]} (logical NCHW; any memory layout, it is brought to the
 * architecture's data format). Output: logits {@code [N, classes]}. Tensor names follow SPEC §1, so
 * {@link #namedTensors()} is a torchvision-compatible (v1) or TF-official-named (v2) state dict.
 *
 * <p>Build models outside a {@link io.resnet4j.engine.Scope}: their weights must outlive any one step.
 * A model is not thread-safe; use one per thread, or serialise calls.
 */
public final class ResNet {
    /** PyTorch's default batch-norm momentum (the fraction of the batch statistic taken per step). */
    public static final double DEFAULT_BN_MOMENTUM = 0.1;

    private final Architecture arch;
    private final Module root;
    private final Parts parts;
    // v1 stem
    private final Conv2d stemConv;
    private final BatchNorm2d stemBn;
    private final List<List<Blocks.Block>> layers = new ArrayList<>();
    // Every module we created must stay reachable from Java: libtorch calls back into the Java object of a
    // Java-created module (train(), for one), so a container collected by the GC would break the model.
    private final List<Module> containers = new ArrayList<>();
    private final BatchNorm2d finalBn;
    private final Linear fc;
    private DataFormat dataFormat = DataFormat.CHANNELS_FIRST;

    /** Tensors of one forward pass that tests and tools look at. */
    public record Outputs(Tensor stem, Tensor pooled, Tensor logits) {}

    private ResNet(Architecture arch, double bnMomentum, boolean initialise) {
        if (PointerScope.getInnerScope() != null) {
            throw new IllegalStateException("build models outside a Scope: their weights must outlive it");
        }
        Engine.init();
        this.arch = arch;
        this.root = new Module("ResNet");
        this.parts = new Parts(bnMomentum);
        boolean v2 = arch.version() == Architecture.Version.V2;
        int stemKernel = arch.stem() == Architecture.Stem.IMAGENET ? 7 : 3;
        int stemStride = arch.stem() == Architecture.Stem.IMAGENET ? 2 : 1;
        int width = arch.baseWidth();
        if (v2) {
            Module stem = root.register_module("stem", new Module("Stem"));
            containers.add(stem);
            stemConv = stem.register_module("conv", parts.conv(arch.inChannels(), width, stemKernel, stemStride));
            stemBn = null;
        } else {
            stemConv = root.register_module("conv1", parts.conv(arch.inChannels(), width, stemKernel, stemStride));
            stemBn = root.register_module("bn1", parts.bn(width));
        }
        int in = width;
        for (int i = 0; i < arch.blocks().size(); i++) {
            Module layer = root.register_module("layer" + (i + 1), new Module("Sequential"));
            containers.add(layer);
            List<Blocks.Block> blocks = new ArrayList<>();
            in = makeLayer(layer, blocks, in, i);
            layers.add(blocks);
        }
        finalBn = v2 ? root.register_module("final_bn", parts.bn(in)) : null;
        fc = root.register_module("fc", new Linear(in, arch.numClasses()));
        if (initialise) {
            initialise();
        }
        setDataFormat(arch.dataFormat());
    }

    /** The blocks of layer {@code i}: the first carries the stride (and, where needed, the projection). */
    private int makeLayer(Module layer, List<Blocks.Block> blocks, int in, int i) {
        int width = arch.layerWidth(i);
        int out = arch.layerOutChannels(i);
        for (int j = 0; j < arch.blocks().get(i); j++) {
            int stride = j == 0 ? arch.strides().get(i) : 1;
            Blocks.Block b;
            if (arch.version() == Architecture.Version.V1) {
                b = arch.block() == Architecture.Block.BASIC
                        ? new Blocks.BasicV1(parts, in, width, stride)
                        : new Blocks.BottleneckV1(parts, in, width, stride);
            } else {
                // TF official projects in the first block of every layer, layer 1 included.
                b = arch.block() == Architecture.Block.BASIC
                        ? new Blocks.BasicV2(parts, in, width, stride, j == 0)
                        : new Blocks.BottleneckV2(parts, in, width, stride, j == 0);
            }
            layer.register_module(Integer.toString(j), (Module) b);
            blocks.add(b);
            in = out;
        }
        return in;
    }

    /** A new model with freshly initialised weights and PyTorch's BN momentum 0.1. */
    public static ResNet build(Architecture arch) {
        return new ResNet(arch, DEFAULT_BN_MOMENTUM, true);
    }

    /**
     * A model with the weights in a safetensors file (SPEC names), in evaluation mode. Skips the random
     * initialisation that loading would overwrite anyway.
     */
    public static ResNet load(Architecture arch, java.nio.file.Path weights) {
        ResNet model = new ResNet(arch, DEFAULT_BN_MOMENTUM, false);
        Weights.load(model, weights);
        model.train(false);
        return model;
    }

    /** A new model with the given batch-norm momentum (0.1 PyTorch; 0.003 = TF official's decay 0.997). */
    public static ResNet build(Architecture arch, double bnMomentum) {
        if (!(bnMomentum >= 0 && bnMomentum <= 1)) {
            throw new ResNet4jException("batch-norm momentum must be in [0, 1], got " + bnMomentum);
        }
        return new ResNet(arch, bnMomentum, true);
    }

    /** v1 as torchvision (He normal fan_out); v2 as TF official (variance scaling fan_in, Glorot dense). */
    private void initialise() {
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

    /** Logits {@code [N, classes]} for input {@code [N, C, H, W]}. */
    public Tensor forward(Tensor x) {
        return forwardAll(x).logits();
    }

    /** Stem output, pooled features {@code [N, features]} and logits, in one pass. */
    public Outputs forwardAll(Tensor x) {
        checkInput(x);
        Tensor h = Tensors.inFormat(x, dataFormat);
        h = stemConv.forward(h);
        if (arch.version() == Architecture.Version.V1) {
            h = Layers.reluInPlace(stemBn.forward(h));
            if (arch.stem() == Architecture.Stem.IMAGENET) {
                h = Layers.maxPool3x3Symmetric(h);
            }
        } else if (arch.stem() == Architecture.Stem.IMAGENET) {
            // TF official v2: no BN or ReLU before this pool, and TensorFlow's SAME padding.
            h = Layers.maxPool3x3TfSame(h);
        }
        Tensor stem = h;
        for (List<Blocks.Block> layer : layers) {
            for (Blocks.Block b : layer) {
                h = b.forward(h);
            }
        }
        if (finalBn != null) {
            h = Layers.reluInPlace(finalBn.forward(h));
        }
        Tensor pooled = Layers.globalAveragePool(h);
        return new Outputs(stem, pooled, fc.forward(pooled));
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

    /** Training mode (batch statistics, running-stat updates) or evaluation mode (running statistics). */
    public void train(boolean on) {
        root.train(on);
    }

    public boolean isTraining() {
        return root.is_training();
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

    /** Trainable tensors by SPEC name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        return toMap(root.named_parameters(true));
    }

    /** Running statistics by SPEC name. */
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

    /** Number of trainable values (SPEC §1's "trainable params"). */
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
