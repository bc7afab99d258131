package io.resnet4j.cli;

import io.resnet4j.engine.DataFormat;
import java.util.Arrays;
import java.util.Iterator;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** {@code --data-format channels_first|channels_last}: the memory layout a model runs in (default channels_last). */
final class DataFormatOption {
    @Option(names = "--data-format", defaultValue = "channels_last", paramLabel = "channels_first|channels_last",
            converter = Converter.class, completionCandidates = Candidates.class,
            description = "Memory layout: ${COMPLETION-CANDIDATES}; the numbers do not change. "
                    + "Default: ${DEFAULT-VALUE}.")
    DataFormat dataFormat;

    DataFormat get() {
        return dataFormat;
    }

    /** The CLI spellings ({@code channels_first}, {@code channels_last}; also {@code nchw}, {@code nhwc}). */
    static final class Converter implements ITypeConverter<DataFormat> {
        @Override
        public DataFormat convert(String value) {
            return Flags.word(value, DataFormat::parse, new Candidates());
        }
    }

    /** What help and shell completion offer: channels_first, channels_last. */
    static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(DataFormat.values()).map(DataFormat::cliName).iterator();
        }
    }
}
