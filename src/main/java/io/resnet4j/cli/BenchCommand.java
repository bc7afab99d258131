package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Benchmark;
import io.resnet4j.model.Architecture;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench}: images/s and GFLOP/s of inference or training, against a matrix-product ceiling. */
@Command(name = "bench", description = "Measure inference or training speed (images/s, GFLOP/s, fraction of peak).")
final class BenchCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ArchitectureOptions archOptions;
    @Mixin PrecisionOption precision;
    @Mixin DataFormatOption dataFormat;
    @Mixin JsonOption json;

    @Option(names = "--mode", defaultValue = "infer", paramLabel = "infer|train", description = "What to time.")
    String mode;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Images per batch (default 16).")
    int batch;

    @Option(names = "--input", paramLabel = "HxW", description = "Input size (default 224x224; 32x32 for CIFAR stems).")
    String input;

    @Option(names = "--seconds", defaultValue = "10", paramLabel = "S", description = "Timed duration (default 10).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "Untimed batches first.")
    int warmup;

    @Option(names = "--runtime", defaultValue = "onednn", paramLabel = "onednn|torchscript|onnxruntime|eager",
            description = "Inference runtime: oneDNN fused convolutions (default), a frozen TorchScript graph, "
                    + "ONNX Runtime on resnet4j's ONNX export (fp32), or op-by-op eager.")
    String runtime;

    @Option(names = "--threads", paramLabel = "N", description = "libtorch threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        Benchmark.Mode m = switch (mode) {
            case "infer" -> Benchmark.Mode.INFER;
            case "train" -> Benchmark.Mode.TRAIN;
            default -> throw new Main.UsageException("--mode must be infer or train, got '" + mode + "'");
        };
        Flags.atLeast("--batch", batch, 1);
        Flags.positive("--seconds", seconds);
        Flags.atLeast("--warmup", warmup, 0);
        Flags.atLeast("--threads", threads, 1);
        Precision prec = precision.get();
        Architecture arch = archOptions.resolve(null).withDataFormat(dataFormat.get());
        int[] hw = SummaryCommand.parseSize(input, arch.stem() == Architecture.Stem.CIFAR ? 32 : 224);
        if (threads != null) {
            Engine.setThreads(threads);
        }
        Benchmark.Runtime rt = switch (runtime) {
            case "eager" -> Benchmark.Runtime.EAGER;
            case "torchscript" -> Benchmark.Runtime.TORCHSCRIPT;
            case "onnxruntime" -> Benchmark.Runtime.ONNXRUNTIME;
            case "onednn" -> Benchmark.Runtime.ONEDNN;
            default -> throw new Main.UsageException(
                    "--runtime must be onednn, torchscript, onnxruntime or eager, got '" + runtime + "'");
        };
        long values = Benchmark.inputValues(arch, batch, hw[0], hw[1]);
        if (values > Benchmark.MAX_INPUT_VALUES) {
            throw new ResNet4jException("--batch " + batch + " of " + arch.inChannels() + "x" + hw[0] + "x" + hw[1]
                    + " images is " + values + " input values, more than one Java array holds; use a smaller --batch "
                    + "or --input");
        }
        Benchmark.Result r = Benchmark.run(arch, m, rt, batch, prec, hw[0], hw[1], seconds,
                warmup);
        if (json.on()) {
            ObjectNode o = Json.object();
            o.put("arch", r.arch());
            o.put("mode", r.mode());
            o.put("runtime", r.runtime().name().toLowerCase(Locale.ROOT));
            o.put("images_per_second", r.imagesPerSecond());
            o.put("gflops_per_second", r.gflopsPerSecond());
            o.put("peak_fraction", r.peakFraction());
            o.put("ceiling_gflops_per_second", r.ceilingGflops());
            o.put("latency_ms", r.latencyMs());
            o.put("batch", r.batch());
            o.put("precision", r.precision().cliName());
            o.put("data_format", r.dataFormat().cliName());
            o.put("threads", r.threads());
            o.put("iterations", r.iterations());
            Json.print(o);
        } else {
            System.out.printf(Locale.ROOT, "%s %s (%s) batch %d %s %s, %d threads: %.1f images/s, %.1f ms per batch, "
                    + "%.0f GFLOP/s = %.0f%% of the %.0f GFLOP/s matrix-product ceiling%n", r.arch(), r.mode(),
                    r.runtime().name().toLowerCase(Locale.ROOT),
                    r.batch(), r.precision().cliName(), r.dataFormat().cliName(), r.threads(), r.imagesPerSecond(),
                    r.latencyMs(), r.gflopsPerSecond(), 100 * r.peakFraction(), r.ceilingGflops());
        }
        return 0;
    }
}
