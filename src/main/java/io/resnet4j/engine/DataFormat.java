package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import java.util.Locale;
import org.bytedeco.pytorch.global.torch;

/**
 * Layout of 4-D activations, as in TensorFlow's {@code data_format}.
 *
 * <p>{@code CHANNELS_FIRST} is NCHW, {@code CHANNELS_LAST} is NHWC in memory. resnet4j tensors keep the logical
 * NCHW shape either way (as PyTorch's channels_last does); the format decides the memory order the convolutions
 * run in. The numbers are the same; channels_last is the fast one on CPUs.
 */
public enum DataFormat {
    CHANNELS_FIRST("channels_first"),
    CHANNELS_LAST("channels_last");

    private final String cliName;

    DataFormat(String cliName) {
        this.cliName = cliName;
    }

    /** The spelling used on the command line and in config files. */
    public String cliName() {
        return cliName;
    }

    torch.MemoryFormat memoryFormat() {
        return this == CHANNELS_LAST ? torch.MemoryFormat.ChannelsLast : torch.MemoryFormat.Contiguous;
    }

    /** Parses {@code channels_first} / {@code channels_last} (also NCHW / NHWC). */
    public static DataFormat parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "channels_first":
            case "nchw":
                return CHANNELS_FIRST;
            case "channels_last":
            case "nhwc":
                return CHANNELS_LAST;
            default:
                throw new ResNet4jException("unknown data format '" + s
                        + "' (expected channels_first or channels_last)");
        }
    }
}
