package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.convert.KerasImport;
import io.resnet4j.model.Architecture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code import --from keras}: a Keras ResNet file as a model directory, exact. */
@Command(name = "import", description = "Import a Keras ResNet (.keras, .weights.h5 or Keras-2 .h5 of "
        + "keras.applications ResNet50/101/152 or ResNet50V2/101V2/152V2) as a model directory.")
final class ImportCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin JsonOption json;

    @Option(names = "--from", required = true, paramLabel = "keras", description = "Source framework: keras.")
    String from;

    @Parameters(index = "0", paramLabel = "FILE", description = "The .keras, .weights.h5 or .h5 file.")
    Path file;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
    Path out;

    @Option(names = "--arch", paramLabel = "A", description = "The architecture (resnet50-keras, resnet50-v2-keras, "
            + "…); default: inferred from the file.")
    String arch;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line (default 0..N-1).")
    Path labels;

    @Override
    public Integer call() {
        if (!"keras".equalsIgnoreCase(from.trim())) {
            throw new Main.UsageException("--from: only 'keras' is supported, got '" + from + "'");
        }
        Architecture a = arch == null ? null : Architecture.preset(arch);
        List<String> names = null;
        if (labels != null) {
            try {
                names = Files.readAllLines(labels, StandardCharsets.UTF_8).stream().map(String::strip)
                        .filter(s -> !s.isEmpty()).toList();
            } catch (IOException e) {
                throw new ResNet4jException("cannot read --labels " + labels + ": " + e.getMessage());
            }
        }
        KerasImport.Result r = KerasImport.importFile(file, a, names, out);
        r.notes().forEach(n -> System.err.println("resnet4j: " + n));
        Architecture got = r.architecture();
        if (json.on()) {
            ObjectNode o = Json.object();
            o.put("model", out.toString());
            o.put("architecture", got.name());
            o.put("version", got.version().name().toLowerCase(java.util.Locale.ROOT));
            o.put("classes", got.numClasses());
            o.put("tensors", r.tensors().size());
            Json.print(o);
        } else {
            System.out.printf("imported %s as %s (%s, blocks %s, %d classes, %d tensors) into %s%n", file.getFileName(),
                    got.name(), got.version().name().toLowerCase(java.util.Locale.ROOT), got.blocks(),
                    got.numClasses(), r.tensors().size(), out);
        }
        return 0;
    }
}
