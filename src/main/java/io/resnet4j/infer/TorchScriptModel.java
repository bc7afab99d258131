package io.resnet4j.infer;

import io.resnet4j.engine.Engine;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.Layout;
import io.resnet4j.model.Layout.ConvSpec;
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
 * <p>The forward pass is written out as TorchScript source from the model's {@link Layout} (the same ops as
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
        m.define(source(model.layout()));
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

    /** TorchScript source of the forward pass of {@code layout}: one line per convolution, pool and addition. */
    static String source(Layout layout) {
        StringBuilder s = new StringBuilder();
        s.append("def forward(self, x: Tensor) -> Tensor:\n");
        line(s, "x = " + conv(layout.stem().conv(), "x"));
        switch (layout.stem().pool()) {
            case NONE -> { }
            case MAX_3X3_SYMMETRIC -> line(s, "x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False)");
            // TF SAME: pad 1 on odd sizes, 0 on even ones, ceil mode (see Layers.maxPool3x3TfSame).
            case MAX_3X3_TF_SAME -> line(s,
                    "x = torch.max_pool2d(x, [3, 3], [2, 2], [x.size(2) % 2, x.size(3) % 2], [1, 1], True)");
            // Keras v2: zero padding, then a VALID pool (see Layers.maxPool3x3ZeroPadded).
            case MAX_3X3_ZERO_PADDED -> line(s, "x = torch.max_pool2d(torch.constant_pad_nd(x, [1, 1, 1, 1], 0.0), "
                    + "[3, 3], [2, 2], [0, 0], [1, 1], False)");
        }
        for (Layout.Unit u : layout.units()) {
            unit(s, u);
        }
        Layout.Head head = layout.head();
        if (head.finalNorm() != null) {
            line(s, "x = torch.relu(" + bn(head.finalNorm(), "x") + ")");
        }
        line(s, "x = x.mean([2, 3])");
        String fc = head.classifier();
        line(s, "return torch.linear(x, self." + attr(fc + ".weight") + ", self." + attr(fc + ".bias") + ")");
        return s.toString();
    }

    /** A residual unit: {@code x} in and out, {@code a} the pre-activated input, {@code h} the main path. */
    private static void unit(StringBuilder s, Layout.Unit u) {
        String a = "x";
        if (u.preactivation() != null) {
            line(s, "a = torch.relu(" + bn(u.preactivation(), "x") + ")");
            a = "a";
        }
        String h = a;
        for (ConvSpec c : u.convs()) {
            line(s, "h = " + conv(c, h));
            h = "h";
        }
        ConvSpec projection = u.shortcut().projection();
        String sum = switch (u.shortcut().kind()) {
            case IDENTITY -> "h + x";
            case PROJECTION -> "h + " + conv(projection, "x");
            case PROJECTION_PREACTIVATED -> "h + " + conv(projection, a);
            case SUBSAMPLE -> "h + torch.max_pool2d(x, [1, 1], [" + u.stride() + ", " + u.stride()
                    + "], [0, 0], [1, 1], "
                    + "False)";
            case NONE -> "h";
        };
        line(s, "x = " + (u.reluAfterAdd() ? "torch.relu(" + sum + ")" : sum));
    }

    private static void line(StringBuilder s, String code) {
        s.append("    ").append(code).append('\n');
    }

    /** A convolution, then its batch norm and ReLU if the spec has them. */
    private static String conv(ConvSpec c, String x) {
        String bias = c.bias() ? "self." + attr(c.name() + ".bias") : "None";
        String y = "torch.conv2d(" + x + ", self." + attr(c.name() + ".weight") + ", " + bias + ", [" + c.stride()
                + ", " + c.stride() + "], [" + c.padding() + ", " + c.padding() + "])";
        if (c.norm() != null) {
            y = bn(c.norm(), y);
        }
        return c.relu() ? "torch.relu(" + y + ")" : y;
    }

    private static String bn(Layout.Norm norm, String x) {
        String n = attr(norm.name());
        return "torch.batch_norm(" + x + ", self." + n + "_weight, self." + n + "_bias, self." + n
                + "_running_mean, self." + n + "_running_var, False, 0.1, "
                + Double.toString(norm.eps()).replace('E', 'e') + ", True)";
    }
}
