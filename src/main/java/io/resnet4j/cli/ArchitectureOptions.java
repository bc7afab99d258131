package io.resnet4j.cli;

import io.resnet4j.model.Architecture;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** The options that name an architecture: a preset, or {@code custom} with its shape. */
final class ArchitectureOptions {
    @Option(names = "--arch", paramLabel = "A", description = "Preset (resnet18..resnet200, "
            + "resnet50-v2, resnet50-keras, resnet50-v2-keras, cifar-resnet20, cifar-resnet20-v2, cifar-plain20, ...) "
            + "or custom. Required (train: unless --init).")
    String arch;

    @Option(names = "--classes", paramLabel = "N", description = "Number of classes (default: the preset's).")
    Integer classes;

    @Option(names = "--in-channels", paramLabel = "C", description = "Input channels (default: 3).")
    Integer inChannels;

    @Option(names = "--version", paramLabel = "v1|v2", converter = VersionConverter.class,
            completionCandidates = Versions.class, description = "Custom: post-activation v1 or pre-activation v2.")
    Architecture.Version version;

    @Option(names = "--block", paramLabel = "basic|bottleneck", converter = BlockConverter.class,
            completionCandidates = Blocks.class, description = "Custom: block type (${COMPLETION-CANDIDATES}).")
    Architecture.Block block;

    @Option(names = "--blocks", split = ",", paramLabel = "N,N,...", description = "Custom: blocks per layer.")
    List<Integer> blocks;

    @Option(names = "--base-width", paramLabel = "W", description = "Custom: stem filters (default 64).")
    Integer baseWidth;

    @Option(names = "--stem", paramLabel = "imagenet|cifar", converter = StemConverter.class,
            completionCandidates = Stems.class, description = "Custom: stem kind (default imagenet).")
    Architecture.Stem stem;

    /** The architecture these options name; {@code inChannelsFallback} is used when --in-channels is absent. */
    Architecture resolve(Integer inChannelsFallback) {
        if (arch == null) {
            throw new Main.UsageException("Missing required option: '--arch=A'");
        }
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
            a = Architecture.custom(version, block, blocks, baseWidth == null ? 64 : baseWidth,
                    stem == null ? Architecture.Stem.IMAGENET : stem);
        } else {
            if (version != null || block != null || blocks != null || baseWidth != null || stem != null) {
                throw new Main.UsageException(
                        "--version, --block, --blocks, --base-width and --stem need --arch custom");
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

    /** An architecture enum by its lower-case name ({@code v1}, {@code bottleneck}, {@code cifar}). */
    private static <E extends Enum<E>> E word(Class<E> type, String value) {
        return Flags.word(value, v -> {
            try {
                return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }, names(type));
    }

    private static <E extends Enum<E>> List<String> names(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList();
    }

    static final class VersionConverter implements ITypeConverter<Architecture.Version> {
        @Override
        public Architecture.Version convert(String value) {
            return word(Architecture.Version.class, value);
        }
    }

    static final class BlockConverter implements ITypeConverter<Architecture.Block> {
        @Override
        public Architecture.Block convert(String value) {
            return word(Architecture.Block.class, value);
        }
    }

    static final class StemConverter implements ITypeConverter<Architecture.Stem> {
        @Override
        public Architecture.Stem convert(String value) {
            return word(Architecture.Stem.class, value);
        }
    }

    static final class Versions implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return names(Architecture.Version.class).iterator();
        }
    }

    static final class Blocks implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return names(Architecture.Block.class).iterator();
        }
    }

    static final class Stems implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return names(Architecture.Stem.class).iterator();
        }
    }
}
