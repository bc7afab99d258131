package io.resnet4j.cli;

import io.resnet4j.model.Architecture;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options that name an architecture: a preset, or {@code custom} with its shape (SPEC §5). */
final class ArchitectureOptions {
    @Option(names = "--arch", required = true, paramLabel = "A",
            description = "Preset (resnet18..resnet200, resnet50-v2, cifar-resnet20, cifar-resnet20-v2, cifar-plain20, "
                    + "...) or custom.")
    String arch;

    @Option(names = "--classes", paramLabel = "N", description = "Number of classes (default: the preset's).")
    Integer classes;

    @Option(names = "--in-channels", paramLabel = "C", description = "Input channels (default: 3).")
    Integer inChannels;

    @Option(names = "--version", paramLabel = "v1|v2", description = "Custom: post-activation v1 or pre-activation v2.")
    String version;

    @Option(names = "--block", paramLabel = "basic|bottleneck", description = "Custom: block type.")
    String block;

    @Option(names = "--blocks", split = ",", paramLabel = "N,N,...", description = "Custom: blocks per layer.")
    List<Integer> blocks;

    @Option(names = "--base-width", paramLabel = "W", description = "Custom: stem filters (default 64).")
    Integer baseWidth;

    @Option(names = "--stem", paramLabel = "imagenet|cifar", description = "Custom: stem kind (default imagenet).")
    String stem;

    /** The architecture these options name; {@code inChannelsFallback} is used when --in-channels is absent. */
    Architecture resolve(Integer inChannelsFallback) {
        Flags.atLeast("--classes", classes, 1);
        Flags.atLeast("--in-channels", inChannels, 1);
        Flags.atLeast("--base-width", baseWidth, 1);
        if (blocks != null) {
            Flags.check("--blocks", blocks, !blocks.isEmpty() && blocks.stream().allMatch(b -> b != null && b >= 1),
                    "positive block counts such as 2,2,2,2");
        }
        Architecture a;
        if ("custom".equalsIgnoreCase(arch.trim())) {
            if (version == null || block == null || blocks == null) {
                throw new Main.UsageException("--arch custom needs --version, --block and --blocks");
            }
            a = Architecture.custom(
                    parse(Architecture.Version.class, version, "--version", "v1 or v2"),
                    parse(Architecture.Block.class, block, "--block", "basic or bottleneck"),
                    blocks,
                    baseWidth == null ? 64 : baseWidth,
                    stem == null ? Architecture.Stem.IMAGENET
                            : parse(Architecture.Stem.class, stem, "--stem", "imagenet or cifar"));
        } else {
            if (version != null || block != null || blocks != null || baseWidth != null || stem != null) {
                throw new Main.UsageException("--version, --block, --blocks, --base-width and --stem need --arch custom");
            }
            a = Architecture.preset(arch);
        }
        if (classes != null) {
            a = a.withClasses(classes);
        }
        Integer c = inChannels != null ? inChannels : inChannelsFallback;
        if (c != null) {
            a = a.withInChannels(c);
        }
        return a;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String option, String expected) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(option + " must be " + expected + ", got '" + value + "'");
        }
    }
}
