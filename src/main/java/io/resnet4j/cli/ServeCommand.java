package io.resnet4j.cli;

import io.javalin.util.JavalinException;
import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Engine;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.serve.InferenceServer;
import io.resnet4j.serve.ServeOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code serve}: an HTTP inference server for a model directory (docs/serving.md). */
@Command(name = "serve", description = "Serve a model over HTTP: Open Inference Protocol v2, raw-image predict, "
        + "dynamic batching, Prometheus metrics, a web page (docs/serving.md).")
final class ServeCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PrecisionOption precision;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path modelDir;

    @Option(names = "--name", paramLabel = "NAME", description = "The model's name in URLs (default: the folder name).")
    String name;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "H",
            description = "Address to listen on (default ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "P", description = "Port (default 8080; 0: any).")
    int port;

    @Option(names = "--runtime", defaultValue = "onednn", paramLabel = "onednn|eager",
            description = "oneDNN fused convolutions (default) or the model op by op (eager).")
    String runtime;

    @Option(names = "--max-batch", defaultValue = "" + ServeOptions.DEFAULT_MAX_BATCH, paramLabel = "B",
            description = "Most images per forward pass (default ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "" + ServeOptions.DEFAULT_MAX_DELAY_MS, paramLabel = "MS",
            description = "How long a request waits for others to batch with (default ${DEFAULT-VALUE}).")
    int maxDelayMs;

    @Option(names = "--max-queue", defaultValue = "" + ServeOptions.DEFAULT_MAX_QUEUE, paramLabel = "Q",
            description = "Most requests waiting; more get 503 and Retry-After (default ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--max-body-mb", defaultValue = "" + ServeOptions.DEFAULT_MAX_BODY_MB, paramLabel = "MB",
            description = "Largest request body; larger ones get 413 (default ${DEFAULT-VALUE}).")
    int maxBodyMb;

    @Option(names = "--max-megapixels", defaultValue = "" + ServeOptions.DEFAULT_MAX_MEGAPIXELS,
            paramLabel = "MP",
            description = "Largest image (width x height); larger ones get 400 (default ${DEFAULT-VALUE}).")
    int maxMegapixels;

    @Option(names = "--threads", paramLabel = "N", description = "libtorch threads (default: all cores).")
    Integer threads;

    @Option(names = "--http-threads", defaultValue = "" + ServeOptions.DEFAULT_HTTP_THREADS, paramLabel = "N",
            description = "HTTP worker threads (default ${DEFAULT-VALUE}).")
    int httpThreads;

    @Override
    public Integer call() throws InterruptedException {
        Flags.atLeast("--max-batch", maxBatch, 1);
        Flags.atLeast("--max-delay-ms", maxDelayMs, 0);
        Flags.atLeast("--max-queue", maxQueue, 1);
        Flags.atLeast("--max-body-mb", maxBodyMb, 1);
        Flags.atLeast("--max-megapixels", maxMegapixels, 1);
        Flags.atLeast("--threads", threads, 1);
        Flags.atLeast("--http-threads", httpThreads, 8);
        Flags.between("--port", port, 0, 65535);
        boolean compile = switch (runtime) {
            case "onednn" -> true;
            case "eager" -> false;
            default -> throw new Main.UsageException("--runtime must be onednn or eager, got '" + runtime + "'");
        };
        ModelConfig config = ModelDirectory.config(modelDir); // before anything starts: a bad folder is one line
        String model = name != null ? name : modelDir.toAbsolutePath().normalize().getFileName().toString();
        if (model.isBlank() || model.contains("/") || model.contains(":")) {
            throw new Main.UsageException("--name must be a non-empty name without '/' or ':', got '" + model + "'");
        }
        if (threads != null) {
            Engine.setThreads(threads);
        }
        Engine.startInBackground();
        ServeOptions options = new ServeOptions(host, port, model, maxBatch, maxDelayMs, maxQueue,
                (long) maxBodyMb << 20, maxMegapixels * 1_000_000L, ServeOptions.defaultDecodeThreads(), httpThreads,
                compile);
        InferenceServer server;
        try {
            server = InferenceServer.start(modelDir, config, model, precision.get(), options, version());
        } catch (JavalinException e) { // the port is taken, or the address is not this machine's
            throw new ResNet4jException("cannot listen on " + host + ":" + port + ": " + Main.oneLine(
                    String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage())));
        }
        System.err.printf("serve: listening on http://%s:%d/ (model '%s'; loading)%n", host, server.port(), model);
        if (!server.awaitReady(java.util.concurrent.TimeUnit.DAYS.toMillis(1))) {
            server.stop(0);
            throw new ResNet4jException("cannot serve " + modelDir + ": " + server.failure());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // Before the engine stops native work at exit: the requests in flight still need it. Registered once the
        // model is ready (a failed load is one error line, with no stopping lines after it).
        Engine.onShutdown(() -> {
            System.err.println("serve: stopping (finishing the requests in flight)");
            server.stop(30_000);
            System.err.println("serve: stopped");
            stopped.countDown();
        });
        System.err.printf("serve: ready: http://%s:%d/v2/models/%s (%s, %s, max batch %d, max delay %d ms)%n",
                host, server.port(), model, runtime, precision.get().cliName(), maxBatch, maxDelayMs);
        stopped.await();
        return 0;
    }

    private static String version() {
        String v = ServeCommand.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
