package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import java.util.Locale;
import org.bytedeco.pytorch.global.torch;

/** Arithmetic precision of a forward or training step: plain float32, or bfloat16 autocast. */
public enum Precision {
    FP32("fp32"),
    /** Weights stay float32; convolutions and matrix products run in bfloat16 under autocast. */
    BF16("bf16");

    private final String cliName;

    Precision(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** The tensor element type of this precision's arithmetic. */
    torch.ScalarType dtype() {
        return this == BF16 ? torch.ScalarType.BFloat16 : torch.ScalarType.Float;
    }

    public static Precision parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32":
            case "float32":
                return FP32;
            case "bf16":
            case "bfloat16":
                return BF16;
            default:
                throw new ResNet4jException("unknown precision '" + s + "' (expected fp32 or bf16)");
        }
    }
}
