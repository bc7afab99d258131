package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import io.resnet4j.io.TensorEntry;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ResNet;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code forward}: one batch through a model with given weights; writes logits, pooled features and stem. */
@Command(name = "forward", description = "Run one NCHW batch from a safetensors file and write logits, pooled, stem.")
final class ForwardCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ArchitectureOptions archOptions;
    @Mixin DataFormatOption dataFormat;
    @Mixin PrecisionOption precision;
    @Mixin JsonOption json;

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "Model weights.")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "X.safetensors", description = "File holding the batch.")
    Path input;

    @Option(names = "--tensor", defaultValue = "input", paramLabel = "NAME",
            description = "Tensor in the input file (default: ${DEFAULT-VALUE}).")
    String tensor;

    @Option(names = "--output", required = true, paramLabel = "Y.safetensors", description = "Where to write results.")
    Path output;

    @Option(names = "--mode", defaultValue = "eval", paramLabel = "eval|train",
            description = "Batch norm with running statistics (eval) or batch statistics (train).")
    String mode;

    @Override
    public Integer call() {
        boolean train = switch (mode) {
            case "eval" -> false;
            case "train" -> true;
            default -> throw new Main.UsageException("--mode must be eval or train, got '" + mode + "'");
        };
        DataFormat format = dataFormat.get();
        Precision prec = precision.get();
        float[] x;
        long[] shape;
        try (SafeTensorsFile f = SafeTensorsFile.open(input)) {
            TensorEntry e = f.find(tensor).orElseThrow(() -> new ResNet4jException(
                    input.getFileName() + " has no tensor '" + tensor + "' (use --tensor)"));
            if (e.shape().length != 4 || !e.dtype().isFloatingPoint()) {
                throw new ResNet4jException("tensor '" + tensor + "' must be a float [N, C, H, W] batch, got "
                        + e.dtype() + " " + Arrays.toString(e.shape()));
            }
            shape = e.shape();
            x = f.read(tensor).toFloatArray();
        }
        Architecture arch = archOptions.resolve((int) shape[1]).withDataFormat(format);
        if (arch.inChannels() != shape[1]) {
            throw new ResNet4jException("the batch has " + shape[1] + " channels but --in-channels is "
                    + arch.inChannels());
        }
        ResNet model = ResNet.load(arch, weights);
        model.train(train);
        Map<String, TensorData> out = new LinkedHashMap<>();
        try (Scope scope = Scope.open(); NoGrad ng = NoGrad.begin(); Autocast ac = Autocast.begin(prec)) {
            ResNet.Outputs o = model.forwardAll(Tensors.fromFloats(x, shape));
            put(out, "logits", o.logits());
            put(out, "pooled", o.pooled());
            put(out, "stem", o.stem());
        }
        SafeTensorsWriter.write(output, out, Map.of("producer", "resnet4j", "arch", arch.name(), "mode", mode,
                "precision", prec.cliName(), "data_format", format.cliName()));
        if (json.on()) {
            ObjectNode o = Json.object();
            o.put("output", output.toString());
            o.put("mode", mode);
            o.put("precision", prec.cliName());
            o.put("data_format", format.cliName());
            ObjectNode shapes = o.putObject("shapes");
            out.forEach((k, v) -> {
                var arr = shapes.putArray(k);
                for (long d : v.shape()) {
                    arr.add(d);
                }
            });
            Json.print(o);
        }
        return 0;
    }

    private static void put(Map<String, TensorData> out, String name, Tensor t) {
        out.put(name, TensorData.ofFloats(Tensors.shape(t), Tensors.toFloats(t)));
    }

}
