package io.resnet4j.cli;

import picocli.CommandLine.Option;

/** {@code --json}: print one JSON object on stdout instead of text. */
final class JsonOption {
    @Option(names = "--json", description = "Print one JSON object on stdout instead of text.")
    boolean json;

    boolean on() {
        return json;
    }
}
