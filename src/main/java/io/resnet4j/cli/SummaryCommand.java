package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelSummary;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code summary}: the layer table of an architecture, its parameters, buffers and MACs. Builds no weights. */
@Command(name = "summary", description = "Print the layer table, trainable parameters, buffers and MACs.")
final class SummaryCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ArchitectureOptions archOptions;
    @Mixin JsonOption json;

    @Option(names = "--input", paramLabel = "HxW", description = "Input size (default 224x224; 32x32 for CIFAR stems).")
    String input;

    @Override
    public Integer call() {
        Architecture arch = archOptions.resolve(null);
        int[] hw = parseSize(input, arch.stem() == Architecture.Stem.CIFAR ? 32 : 224);
        ModelSummary s = ModelSummary.of(arch, hw[0], hw[1]);
        if (json.on()) {
            ObjectNode o = Json.object();
            o.put("arch", arch.name());
            o.put("version", arch.version().name().toLowerCase(Locale.ROOT));
            o.put("block", arch.block().name().toLowerCase(Locale.ROOT));
            o.put("depth", arch.depth());
            o.put("classes", arch.numClasses());
            o.put("in_channels", arch.inChannels());
            ArrayNode size = o.putArray("input");
            size.add(arch.inChannels()).add(hw[0]).add(hw[1]);
            o.put("params", s.params());
            o.put("buffers", s.buffers());
            o.put("macs", s.macs());
            ArrayNode layers = o.putArray("layers");
            for (ModelSummary.Row r : s.rows()) {
                ObjectNode l = layers.addObject();
                l.put("name", r.name());
                l.put("kind", r.kind());
                ArrayNode shape = l.putArray("output");
                for (long d : r.outputShape()) {
                    shape.add(d);
                }
                l.put("params", r.params());
                l.put("macs", r.macs());
            }
            Json.print(o);
            return 0;
        }
        System.out.printf("%s (%s, %s, depth %d), input %dx%dx%d, %d classes%n", arch.name(),
                arch.version().name().toLowerCase(Locale.ROOT), arch.block().name().toLowerCase(Locale.ROOT),
                arch.depth(), arch.inChannels(), hw[0], hw[1], arch.numClasses());
        System.out.printf("%-12s %-38s %-16s %14s %16s%n", "layer", "kind", "output", "params", "MACs");
        for (ModelSummary.Row r : s.rows()) {
            System.out.printf("%-12s %-38s %-16s %,14d %,16d%n", r.name(), r.kind(), shape(r.outputShape()), r.params(),
                    r.macs());
        }
        System.out.printf("trainable params %,d   buffers %,d   MACs %,d (%.2f GFLOP per image)%n", s.params(),
                s.buffers(), s.macs(), 2.0 * s.macs() / 1e9);
        return 0;
    }

    private static String shape(long[] dims) {
        return Arrays.stream(dims).mapToObj(Long::toString).reduce((a, b) -> a + "x" + b).orElse("");
    }

    static int[] parseSize(String s, int fallback) {
        if (s == null) {
            return new int[] {fallback, fallback};
        }
        String[] parts = s.toLowerCase(Locale.ROOT).split("x");
        try {
            if (parts.length == 1) {
                int n = Integer.parseInt(parts[0].trim());
                return checked(n, n, s);
            }
            if (parts.length == 2) {
                return checked(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()), s);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new Main.UsageException("--input must look like 224x224, got '" + s + "'");
    }

    private static int[] checked(int h, int w, String s) {
        if (h < 1 || w < 1 || h > 16384 || w > 16384) {
            throw new Main.UsageException("--input sizes must be between 1 and 16384, got '" + s + "'");
        }
        return new int[] {h, w};
    }
}
