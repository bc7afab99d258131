package io.resnet4j.cli;

import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.OnnxExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code export}: a model directory as ONNX, for ONNX Runtime, TensorRT, OpenVINO and friends. */
@Command(name = "export", description = "Write a model directory as ONNX (opset 17; input 'input' NCHW float, "
        + "output 'logits').")
final class ExportCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path modelDir;

    @Option(names = "--output", required = true, paramLabel = "FILE.onnx",
            description = "Where to write the ONNX file.")
    Path output;

    @Override
    public Integer call() {
        OnnxExport.write(ModelDirectory.load(modelDir).model(), output);
        System.out.println(output);
        return 0;
    }
}
