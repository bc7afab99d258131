package io.resnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.reliability.Cli;
import io.resnet4j.reliability.Scenery;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The shared options ({@code --precision}, {@code --data-format}, {@code --json}, {@code --verbose}, the architecture)
 * are mixins with typed values: the same declaration, converter, completion candidates and error message in every
 * command that has them.
 */
class SharedOptionsTest {
    private static final Map<String, String> PRECISION_DEFAULTS = Map.of("forward", "fp32", "train", "fp32",
            "eval", "fp32", "predict", "fp32", "bench", "fp32", "demo", "bf16", "serve", "fp32");
    private static final List<String> DATA_FORMAT = List.of("forward", "train", "bench");
    private static final List<String> JSON = List.of("summary", "forward", "train", "eval", "predict", "bench",
            "doctor");
    private static final List<String> ARCHITECTURE = List.of("summary", "forward", "train", "bench");

    private static Map<String, CommandLine> commands() {
        return new CommandLine(new Main()).getSubcommands();
    }

    private static List<String> candidates(OptionSpec o) {
        List<String> out = new ArrayList<>();
        o.completionCandidates().forEach(out::add);
        return out;
    }

    @Test
    void precisionIsOneTypedOptionWithTheCliSpellings() {
        Map<String, CommandLine> commands = commands();
        PRECISION_DEFAULTS.forEach((name, dflt) -> {
            OptionSpec o = commands.get(name).getCommandSpec().findOption("--precision");
            assertNotNull(o, name);
            assertSame(Precision.class, o.type(), name);
            assertEquals(List.of("fp32", "bf16"), candidates(o), name);
            assertEquals(dflt, o.defaultValueString(), name);
            assertEquals("fp32|bf16", o.paramLabel(), name);
        });
        for (String name : List.of("summary", "export", "doctor")) {
            assertNull(commands.get(name).getCommandSpec().findOption("--precision"), name);
        }
        OptionSpec agreement = commands.get("eval").getCommandSpec().findOption("--agreement-with");
        assertSame(Precision.class, agreement.type());
        assertEquals(List.of("fp32", "bf16"), candidates(agreement));
    }

    @Test
    void dataFormatJsonAndVerboseAreSharedToo() {
        Map<String, CommandLine> commands = commands();
        for (String name : DATA_FORMAT) {
            OptionSpec o = commands.get(name).getCommandSpec().findOption("--data-format");
            assertSame(DataFormat.class, o.type(), name);
            assertEquals(List.of("channels_first", "channels_last"), candidates(o), name);
            assertEquals("channels_last", o.defaultValueString(), name);
        }
        for (String name : JSON) {
            assertNotNull(commands.get(name).getCommandSpec().findOption("--json"), name);
        }
        for (String name : List.of("demo", "export")) {
            assertNull(commands.get(name).getCommandSpec().findOption("--json"), name);
        }
        commands.forEach((name, c) -> {
            if (!name.equals("help")) {
                assertNotNull(c.getCommandSpec().findOption("--verbose"), name);
                assertNotNull(c.getCommandSpec().findOption("--help"), name);
            }
        });
        for (String name : ARCHITECTURE) {
            var spec = commands.get(name).getCommandSpec();
            assertSame(Architecture.Version.class, spec.findOption("--version").type(), name);
            assertEquals(List.of("basic", "bottleneck"), candidates(spec.findOption("--block")), name);
            assertEquals(List.of("imagenet", "cifar"), candidates(spec.findOption("--stem")), name);
        }
    }

    @Test
    void convertersTakeTheCliSpellingsAndTheirAliases() {
        PrecisionOption.Converter p = new PrecisionOption.Converter();
        assertSame(Precision.BF16, p.convert("bf16"));
        assertSame(Precision.BF16, p.convert(" BFloat16 "));
        assertSame(Precision.FP32, p.convert("FP32"));
        DataFormatOption.Converter f = new DataFormatOption.Converter();
        assertSame(DataFormat.CHANNELS_FIRST, f.convert("nchw"));
        assertSame(DataFormat.CHANNELS_LAST, f.convert("Channels_Last"));
        assertSame(Architecture.Version.V2, new ArchitectureOptions.VersionConverter().convert("V2"));
        assertSame(Architecture.Stem.CIFAR, new ArchitectureOptions.StemConverter().convert("cifar"));
        Flags.BadValue bad = assertThrows(Flags.BadValue.class, () -> p.convert("fp8"));
        assertEquals("must be fp32 or bf16, got 'fp8'", bad.getMessage());
        assertThrows(Flags.BadValue.class, () -> f.convert(""));
        assertEquals("must be basic or bottleneck, got 'wide'", assertThrows(Flags.BadValue.class,
                () -> new ArchitectureOptions.BlockConverter().convert("wide")).getMessage());
        assertEquals("a, b or c", Flags.oneOf(List.of("a", "b", "c")));
    }

    /** A word outside a shared option's words is a usage error in every command: exit 2, one line naming it. */
    @Test
    void aBadWordIsOneUsageErrorLineInEveryCommand() {
        PRECISION_DEFAULTS.keySet().forEach(name -> assertBadWord(name, "--precision", "fp8",
                "--precision must be fp32 or bf16, got 'fp8'"));
        DATA_FORMAT.forEach(name -> assertBadWord(name, "--data-format", "planar",
                "--data-format must be channels_first or channels_last, got 'planar'"));
        assertBadWord("eval", "--agreement-with", "fp16", "--agreement-with must be fp32 or bf16, got 'fp16'");
        assertBadWord("summary", "--version", "v3", "--version must be v1 or v2, got 'v3'");
    }

    private static void assertBadWord(String command, String flag, String value, String message) {
        Cli.Run r = Cli.run(command, flag, value);
        assertEquals(2, r.code(), command + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("error: " + message + " (see --help)", r.err().strip(), command);
    }

    /** {@code eval --agreement-with} takes a precision like {@code --precision} and reports it by its CLI name. */
    @Test
    void evalAgreementWithTakesAPrecision(@TempDir Path tmp) throws IOException {
        Architecture a = Architecture.custom(Architecture.Version.V2, Architecture.Block.BASIC, List.of(1, 1, 1), 8,
                Architecture.Stem.CIFAR).withClasses(2);
        ModelDirectory.save(tmp.resolve("model"), ResNet.build(a), ModelConfig.defaults(a));
        Path data = Scenery.imageFolder(tmp.resolve("data"), 3, 12);
        Cli.Run r = Cli.run("eval", "--model", tmp.resolve("model").toString(), "--data", "folder:" + data,
                "--precision", "FP32", "--agreement-with", "bfloat16", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("bf16", j.at("/agreement/precision").asText(), r.out());
        assertTrue(j.at("/agreement/top1_agreement").asDouble() >= 0, r.out());
    }

    @Test
    void helpListsTheWordsAndTheDefault() {
        Cli.Run bench = Cli.run("bench", "--help");
        assertEquals(0, bench.code());
        String help = bench.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("Arithmetic: fp32, bf16 (bf16: bfloat16 autocast). Default: fp32."), help);
        assertTrue(help.contains("Memory layout: channels_first, channels_last; the numbers do not change. "
                + "Default: channels_last."), help);
        Cli.Run demo = Cli.run("demo", "--help");
        assertTrue(demo.out().replaceAll("\\s+", " ").contains("Default: bf16."), demo.out());
    }
}
