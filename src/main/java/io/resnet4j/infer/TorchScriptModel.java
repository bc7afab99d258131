package io.resnet4j.infer;

import io.resnet4j.engine.Engine;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.util.Map;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * An evaluation-mode ResNet as a frozen TorchScript graph: libtorch's own graph path for inference.
 *
 * <p>The forward pass is written out as TorchScript source from the {@link Architecture} (the same ops as
 * {@link ResNet}), the weights are attached, and {@code torch::jit::freeze} turns them into constants; with
 * {@code optimize}, {@code optimize_for_inference} then folds batch norms into the convolutions before them (v1),
 * fuses ReLUs and additions, and prepacks the weights for oneDNN. Input {@code [N, C, H, W]} float, any layout;
 * output logits {@code [N, classes]}.
 */
public final class TorchScriptModel {
    private final JitModule module;

    private TorchScriptModel(JitModule module, Precision precision) {
        this.module = module;
        this.precision = precision;
    }

    private final Precision precision;

    /** Compiles a snapshot of {@code model}'s current weights for float32 inference. */
    public static TorchScriptModel compile(ResNet model, boolean optimize) {
        return compile(model, optimize, Precision.FP32);
    }

    /**
     * Compiles a snapshot of {@code model}'s current weights. For {@link Precision#BF16} the weights become bfloat16
     * constants and inputs are cast on the way in (a frozen graph has no autocast); logits come back as float32.
     */
    public static TorchScriptModel compile(ResNet model, boolean optimize, Precision precision) {
        Engine.init();
        Architecture a = model.architecture();
        JitModule m = new JitModule(new QualifiedName("resnet4j.ResNet"));
        try (NoGrad ng = NoGrad.begin()) {
            for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
                Tensor t = e.getValue().detach().clone();
                if (precision == Precision.BF16) {
                    t = t.to(torch.ScalarType.BFloat16);
                }
                m.register_parameter(attr(e.getKey()), t, false);
            }
        }
        m.define(source(a));
        m.eval();
        JitModule frozen = torch.freeze(m);
        if (optimize) {
            frozen = torch.optimize_for_inference(frozen);
        }
        return new TorchScriptModel(frozen, precision);
    }

    /** Logits for {@code x}; call inside a Scope with autograd off. */
    public Tensor forward(Tensor x) {
        if (precision == Precision.BF16) {
            x = x.to(torch.ScalarType.BFloat16);
        }
        IValueVector args = new IValueVector(new IValue(x));
        Tensor y = module.forward(args).toTensor();
        return precision == Precision.BF16 ? y.to(torch.ScalarType.Float) : y;
    }

    static String attr(String name) {
        return name.replace('.', '_');
    }

    /** TorchScript source of the forward pass. */
    static String source(Architecture a) {
        StringBuilder s = new StringBuilder();
        s.append("def forward(self, x: Tensor) -> Tensor:\n");
        boolean v2 = a.version() == Architecture.Version.V2;
        boolean imagenet = a.stem() == Architecture.Stem.IMAGENET;
        int k = imagenet ? 7 : 3;
        int st = imagenet ? 2 : 1;
        if (v2) {
            line(s, "x = " + conv("stem.conv", "x", st, k / 2));
            if (imagenet) {
                // TF SAME: pad 1 on odd sizes, 0 on even ones, ceil mode (see Layers.maxPool3x3TfSame).
                line(s, "x = torch.max_pool2d(x, [3, 3], [2, 2], [x.size(2) % 2, x.size(3) % 2], [1, 1], True)");
            }
        } else {
            line(s, "x = torch.relu(" + bn("bn1", conv("conv1", "x", st, k / 2)) + ")");
            if (imagenet) {
                line(s, "x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False)");
            }
        }
        int in = a.baseWidth();
        for (int i = 0; i < a.blocks().size(); i++) {
            int out = a.layerOutChannels(i);
            for (int j = 0; j < a.blocks().get(i); j++) {
                int stride = j == 0 ? a.strides().get(i) : 1;
                String p = "layer" + (i + 1) + "." + j + ".";
                boolean bottleneck = a.block() == Architecture.Block.BOTTLENECK;
                if (v2) {
                    line(s, "a = torch.relu(" + bn(p + "bn1", "x") + ")");
                    line(s, "s = " + (j == 0 ? conv(p + "shortcut", "a", stride, 0) : "x"));
                    if (bottleneck) {
                        line(s, "h = torch.relu(" + bn(p + "bn2", conv(p + "conv1", "a", 1, 0)) + ")");
                        line(s, "h = torch.relu(" + bn(p + "bn3", conv(p + "conv2", "h", stride, 1)) + ")");
                        line(s, "x = " + conv(p + "conv3", "h", 1, 0) + " + s");
                    } else {
                        line(s, "h = torch.relu(" + bn(p + "bn2", conv(p + "conv1", "a", stride, 1)) + ")");
                        line(s, "x = " + conv(p + "conv2", "h", 1, 1) + " + s");
                    }
                } else {
                    boolean project = stride != 1 || in != out;
                    String sc = project ? bn(p + "downsample.1", conv(p + "downsample.0", "x", stride, 0)) : "x";
                    if (bottleneck) {
                        line(s, "h = torch.relu(" + bn(p + "bn1", conv(p + "conv1", "x", 1, 0)) + ")");
                        line(s, "h = torch.relu(" + bn(p + "bn2", conv(p + "conv2", "h", stride, 1)) + ")");
                        line(s, "h = " + bn(p + "bn3", conv(p + "conv3", "h", 1, 0)));
                    } else {
                        line(s, "h = torch.relu(" + bn(p + "bn1", conv(p + "conv1", "x", stride, 1)) + ")");
                        line(s, "h = " + bn(p + "bn2", conv(p + "conv2", "h", 1, 1)));
                    }
                    line(s, "x = torch.relu(h + " + sc + ")");
                }
                in = out;
            }
        }
        if (v2) {
            line(s, "x = torch.relu(" + bn("final_bn", "x") + ")");
        }
        line(s, "x = x.mean([2, 3])");
        line(s, "return torch.linear(x, self." + attr("fc.weight") + ", self." + attr("fc.bias") + ")");
        return s.toString();
    }

    private static void line(StringBuilder s, String code) {
        s.append("    ").append(code).append('\n');
    }

    private static String conv(String name, String x, int stride, int pad) {
        return "torch.conv2d(" + x + ", self." + attr(name + ".weight") + ", None, [" + stride + ", " + stride
                + "], [" + pad + ", " + pad + "])";
    }

    private static String bn(String name, String x) {
        String n = attr(name);
        return "torch.batch_norm(" + x + ", self." + n + "_weight, self." + n + "_bias, self." + n
                + "_running_mean, self." + n + "_running_var, False, 0.1, 1e-05, True)";
    }
}
