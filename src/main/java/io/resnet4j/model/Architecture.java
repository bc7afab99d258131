package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything that fixes a ResNet's shape: one immutable value, with named presets.
 *
 * <p>A model is stem, then block layers, then head. Layer {@code i} (0-based) has {@code baseWidth * 2^i} filters
 * ({@code 4x} that many output channels for bottleneck blocks), {@code blocks.get(i)} blocks, and stride
 * {@code strides.get(i)}, which the variant's {@link LayoutRule} puts on a block (the first, in every preset).
 * {@link Layout#of(Architecture)} spells the whole network out; everything that builds or runs one reads that.
 * Variants:
 * <ul>
 *   <li>{@code resnet18 … resnet200}: v1, torchvision's post-activation "v1.5" (stride on the 3x3), 1000 classes.
 *   <li>{@code resnet18-v2 … resnet200-v2}: v2, the TensorFlow official pre-activation model, 1001 classes.
 *   <li>{@code cifar-resnet{6n+2}} and {@code cifar-resnet{6n+2}-v2}: the CIFAR layout (3x3 stem, no pool, three
 *       layers of n basic blocks, 16/32/64 filters, strides 1/2/2), 10 classes.
 *   <li>{@code cifar-plain{6n+2}} and {@code cifar-plain{6n+2}-v2}: the same networks with every shortcut removed
 *       ({@link Shortcuts#NONE}), the plain nets of He et al. 2015 (Fig. 6).
 * </ul>
 *
 * @param version post-activation v1 or pre-activation v2
 * @param block basic (two 3x3) or bottleneck (1x1, 3x3, 1x1 with 4x expansion)
 * @param blocks blocks per layer
 * @param baseWidth stem filters; layer i has baseWidth * 2^i filters
 * @param strides stride of each layer (on its first block in every preset)
 * @param stem imagenet (7x7/2 conv and 3x3/2 max pool) or cifar (3x3/1 conv, no pool)
 * @param numClasses outputs of the fully connected head
 * @param inChannels channels of the input image (3 RGB, 1 grayscale)
 * @param dataFormat memory layout the convolutions run in; does not change any number
 * @param shortcuts residual (the variant's shortcuts) or none at all (a plain network)
 * @param variant whose layout of the version: {@link Variant#STANDARD} (torchvision v1.5, TF official v2) or
 *     {@link Variant#KERAS} ({@code keras.applications}: original v1, Keras' own v2); see {@link LayoutRule}
 */
public record Architecture(
        Version version,
        Block block,
        List<Integer> blocks,
        int baseWidth,
        List<Integer> strides,
        Stem stem,
        int numClasses,
        int inChannels,
        DataFormat dataFormat,
        Shortcuts shortcuts,
        Variant variant) {

    /** Post-activation (torchvision) or pre-activation (TensorFlow official v2). */
    public enum Version { V1, V2 }

    public enum Block { BASIC, BOTTLENECK }

    public enum Stem { IMAGENET, CIFAR }

    /**
     * Whether units add a shortcut: {@code RESIDUAL}, the variant's own ({@link LayoutRule#of}), or {@code NONE}, a
     * plain network ({@link LayoutRule#PLAIN}) with the same stacks, widths, strides and batch norms.
     */
    public enum Shortcuts { RESIDUAL, NONE }

    /**
     * Whose layout of v1 or v2 ({@link LayoutRule#of} turns it into strides, shortcuts, biases, pool padding and BN
     * epsilon). {@code STANDARD}: v1 as torchvision ("v1.5", stride on the 3x3), v2 as TensorFlow official.
     * {@code KERAS}: {@code keras.applications}' {@code ResNet50/101/152} (original v1: stride on the first 1x1,
     * every convolution with a bias) and {@code ResNet50V2/101V2/152V2} (stride on the last unit of a stage with a
     * subsampling shortcut, biases where no BN follows, zero-padded stem pool), BN epsilon 1.001e-5.
     */
    public enum Variant { STANDARD, KERAS }

    /** The TensorFlow official ResNet's block sizes: depth to blocks per layer. */
    private static final Map<Integer, List<Integer>> IMAGENET_DEPTHS = new LinkedHashMap<>();

    static {
        IMAGENET_DEPTHS.put(18, List.of(2, 2, 2, 2));
        IMAGENET_DEPTHS.put(34, List.of(3, 4, 6, 3));
        IMAGENET_DEPTHS.put(50, List.of(3, 4, 6, 3));
        IMAGENET_DEPTHS.put(101, List.of(3, 4, 23, 3));
        IMAGENET_DEPTHS.put(152, List.of(3, 8, 36, 3));
        IMAGENET_DEPTHS.put(200, List.of(3, 24, 36, 3));
    }

    private static final Pattern IMAGENET_NAME = Pattern.compile("resnet(\\d{1,9})(-v2)?(-keras)?");

    /** The depths {@code keras.applications} has (bottleneck only). */
    private static final List<Integer> KERAS_DEPTHS = List.of(50, 101, 152);
    private static final Pattern CIFAR_NAME = Pattern.compile("cifar-(resnet|plain)(\\d{1,9})(-v2)?");

    public Architecture {
        if (version == null || block == null || stem == null || dataFormat == null || shortcuts == null
                || variant == null) {
            throw new ResNet4jException("architecture: version, block, stem, data format, shortcuts and variant are "
                    + "required");
        }
        blocks = List.copyOf(blocks);
        strides = List.copyOf(strides);
        if (blocks.isEmpty()) {
            throw new ResNet4jException("architecture: at least one block layer is required");
        }
        for (int b : blocks) {
            if (b < 1) {
                throw new ResNet4jException("architecture: every layer needs at least one block, got " + blocks);
            }
        }
        if (strides.size() != blocks.size()) {
            throw new ResNet4jException("architecture: " + blocks.size() + " layers but " + strides.size()
                    + " strides " + strides);
        }
        for (int s : strides) {
            if (s < 1) {
                throw new ResNet4jException("architecture: strides must be at least 1, got " + strides);
            }
        }
        if (baseWidth < 1 || numClasses < 1 || inChannels < 1) {
            throw new ResNet4jException("architecture: base width (" + baseWidth + "), classes (" + numClasses
                    + ") and input channels (" + inChannels + ") must be at least 1");
        }
        long widest = (long) baseWidth << (blocks.size() - 1);
        if (blocks.size() > 8 || widest * (block == Block.BOTTLENECK ? 4 : 1) > 65536) {
            throw new ResNet4jException("architecture: layers too wide (" + blocks.size() + " layers from base width "
                    + baseWidth + ")");
        }
    }

    /** A residual network ({@link Shortcuts#RESIDUAL}) of the standard variant. */
    public Architecture(Version version, Block block, List<Integer> blocks, int baseWidth, List<Integer> strides,
            Stem stem, int numClasses, int inChannels, DataFormat dataFormat) {
        this(version, block, blocks, baseWidth, strides, stem, numClasses, inChannels, dataFormat,
                Shortcuts.RESIDUAL);
    }

    /** A network of the standard variant ({@link Variant#STANDARD}). */
    public Architecture(Version version, Block block, List<Integer> blocks, int baseWidth, List<Integer> strides,
            Stem stem, int numClasses, int inChannels, DataFormat dataFormat, Shortcuts shortcuts) {
        this(version, block, blocks, baseWidth, strides, stem, numClasses, inChannels, dataFormat, shortcuts,
                Variant.STANDARD);
    }

    /**
     * A preset by name: {@code resnet18 … resnet200}, the same with {@code -v2}, {@code cifar-resnet{6n+2}} and
     * {@code cifar-resnet{6n+2}-v2}, and the plain {@code cifar-plain{6n+2}} and {@code cifar-plain{6n+2}-v2}.
     * Default classes: 1000 (v1), 1001 (v2), 10 (CIFAR); 3 input channels; channels_last.
     */
    public static Architecture preset(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        Matcher m = IMAGENET_NAME.matcher(n);
        if (m.matches()) {
            int depth = Integer.parseInt(m.group(1));
            List<Integer> sizes = IMAGENET_DEPTHS.get(depth);
            if (sizes == null) {
                throw new ResNet4jException("unknown architecture '" + name + "': depths are " + IMAGENET_DEPTHS.keySet());
            }
            boolean v2 = m.group(2) != null;
            if (m.group(3) != null) {
                if (!KERAS_DEPTHS.contains(depth)) {
                    throw new ResNet4jException("unknown architecture '" + name + "': keras.applications depths are "
                            + KERAS_DEPTHS);
                }
                // Keras v2 strides the last unit of stages 1-3; stage 4 has none.
                return new Architecture(v2 ? Version.V2 : Version.V1, Block.BOTTLENECK, sizes, 64,
                        v2 ? List.of(2, 2, 2, 1) : List.of(1, 2, 2, 2), Stem.IMAGENET, 1000, 3,
                        DataFormat.CHANNELS_LAST, Shortcuts.RESIDUAL, Variant.KERAS);
            }
            return new Architecture(v2 ? Version.V2 : Version.V1, depth >= 50 ? Block.BOTTLENECK : Block.BASIC, sizes,
                    64, List.of(1, 2, 2, 2), Stem.IMAGENET, v2 ? 1001 : 1000, 3, DataFormat.CHANNELS_LAST);
        }
        m = CIFAR_NAME.matcher(n);
        if (m.matches()) {
            int depth = Integer.parseInt(m.group(2));
            if (depth < 8 || (depth - 2) % 6 != 0) {
                throw new ResNet4jException("unknown architecture '" + name + "': CIFAR depths are 6n+2 (8, 14, 20, 32, 44, 56, 110, …)");
            }
            int per = (depth - 2) / 6;
            if (per > 200) {
                throw new ResNet4jException("unknown architecture '" + name + "': depth too large");
            }
            boolean v2 = m.group(3) != null;
            return new Architecture(v2 ? Version.V2 : Version.V1, Block.BASIC, List.of(per, per, per), 16,
                    List.of(1, 2, 2), Stem.CIFAR, 10, 3, DataFormat.CHANNELS_LAST,
                    "plain".equals(m.group(1)) ? Shortcuts.NONE : Shortcuts.RESIDUAL);
        }
        throw new ResNet4jException("unknown architecture '" + name + "' (try resnet50, resnet50-v2, cifar-resnet20, "
                + "cifar-resnet20-v2, or custom)");
    }

    /** The preset names (the CIFAR ones as examples). */
    public static List<String> presetNames() {
        List<String> names = new ArrayList<>();
        for (int d : IMAGENET_DEPTHS.keySet()) {
            names.add("resnet" + d);
        }
        for (int d : IMAGENET_DEPTHS.keySet()) {
            names.add("resnet" + d + "-v2");
        }
        for (int d : KERAS_DEPTHS) {
            names.add("resnet" + d + "-keras");
        }
        for (int d : KERAS_DEPTHS) {
            names.add("resnet" + d + "-v2-keras");
        }
        for (String c : List.of("cifar-resnet20", "cifar-resnet32", "cifar-resnet44", "cifar-resnet56",
                "cifar-resnet110")) {
            names.add(c);
            names.add(c + "-v2");
        }
        for (String c : List.of("cifar-plain20", "cifar-plain32", "cifar-plain44", "cifar-plain56",
                "cifar-plain110")) {
            names.add(c);
            names.add(c + "-v2");
        }
        return names;
    }

    /**
     * A custom shape: layer strides are 1 then 2 (as in every preset), classes 10, 3 input channels, channels_last.
     */
    public static Architecture custom(Version version, Block block, List<Integer> blocks, int baseWidth, Stem stem) {
        List<Integer> strides = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            strides.add(i == 0 ? 1 : 2);
        }
        return new Architecture(version, block, blocks, baseWidth, strides, stem, 10, 3, DataFormat.CHANNELS_LAST);
    }

    public Architecture withClasses(int n) {
        return new Architecture(version, block, blocks, baseWidth, strides, stem, n, inChannels, dataFormat, shortcuts,
                variant);
    }

    public Architecture withInChannels(int c) {
        return new Architecture(version, block, blocks, baseWidth, strides, stem, numClasses, c, dataFormat, shortcuts,
                variant);
    }

    public Architecture withDataFormat(DataFormat f) {
        return new Architecture(version, block, blocks, baseWidth, strides, stem, numClasses, inChannels, f, shortcuts,
                variant);
    }

    /** The same network with {@code s} shortcuts: {@link Shortcuts#NONE} makes its plain counterpart. */
    public Architecture withShortcuts(Shortcuts s) {
        return new Architecture(version, block, blocks, baseWidth, strides, stem, numClasses, inChannels, dataFormat,
                s, variant);
    }

    /** The same network in layout variant {@code v} (the tensors may differ: Keras convolutions have biases). */
    public Architecture withVariant(Variant v) {
        return new Architecture(version, block, blocks, baseWidth, strides, stem, numClasses, inChannels, dataFormat,
                shortcuts, v);
    }

    /** Whether this is one of {@code keras.applications}' layouts. */
    public boolean keras() {
        return variant == Variant.KERAS;
    }

    /** Whether this is a plain network, without any shortcut. */
    public boolean plain() {
        return shortcuts == Shortcuts.NONE;
    }

    /** Filters of layer {@code i} (0-based): the 3x3 width of its blocks. */
    public int layerWidth(int i) {
        return baseWidth << i;
    }

    /** Output channels of layer {@code i}: 4x the width for bottleneck blocks. */
    public int layerOutChannels(int i) {
        return layerWidth(i) * (block == Block.BOTTLENECK ? 4 : 1);
    }

    /** Channels of the pooled feature vector that feeds the head. */
    public int features() {
        return layerOutChannels(blocks.size() - 1);
    }

    /** Weight layers (convolutions and the fully connected layer) along the main path, as in "ResNet-50". */
    public int depth() {
        int perBlock = block == Block.BOTTLENECK ? 3 : 2;
        return perBlock * blocks.stream().mapToInt(Integer::intValue).sum() + 2;
    }

    /** The preset name this architecture is (ignoring classes, channels and data format), or "custom". */
    public String name() {
        for (String candidate : presetNames()) {
            Architecture p = preset(candidate);
            if (p.version == version && p.block == block && p.blocks.equals(blocks) && p.baseWidth == baseWidth
                    && p.strides.equals(strides) && p.stem == stem && p.shortcuts == shortcuts
                    && p.variant == variant) {
                return candidate;
            }
        }
        if (!keras() && stem == Stem.CIFAR && block == Block.BASIC && baseWidth == 16 && blocks.size() == 3
                && strides.equals(List.of(1, 2, 2)) && blocks.get(0).equals(blocks.get(1))
                && blocks.get(1).equals(blocks.get(2))) {
            return (plain() ? "cifar-plain" : "cifar-resnet") + depth() + (version == Version.V2 ? "-v2" : "");
        }
        return (plain() ? "custom-plain" : "custom") + (keras() ? "-keras" : "");
    }
}
