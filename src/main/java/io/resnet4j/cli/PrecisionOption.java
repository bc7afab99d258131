package io.resnet4j.cli;

import io.resnet4j.engine.Precision;
import java.util.Arrays;
import java.util.Iterator;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code --precision fp32|bf16}, the arithmetic of a command (default fp32; a command may change the default with a
 * {@code defaultValueProvider}, as {@code demo} does). {@link Converter} and {@link Candidates} also serve other
 * precision-valued flags ({@code eval --agreement-with}).
 */
final class PrecisionOption {
    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16", converter = Converter.class,
            completionCandidates = Candidates.class,
            description = "Arithmetic: ${COMPLETION-CANDIDATES} (bf16: bfloat16 autocast). Default: ${DEFAULT-VALUE}.")
    Precision precision;

    Precision get() {
        return precision;
    }

    /** The CLI spellings ({@code fp32}, {@code bf16}; also {@code float32}, {@code bfloat16}). */
    static final class Converter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            return Flags.word(value, Precision::parse, new Candidates());
        }
    }

    /** What help and shell completion offer: fp32, bf16. */
    static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Precision.values()).map(Precision::cliName).iterator();
        }
    }
}
