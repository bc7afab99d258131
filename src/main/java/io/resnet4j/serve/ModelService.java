package io.resnet4j.serve;

import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The served model: its configuration (known at once, from {@code config.json}), and, once loaded, compiled and
 * warmed, its {@link Batcher}. Until then it is live but not ready, and inference answers 503.
 */
final class ModelService {
    private final String name;
    private final ModelConfig config;
    private final Precision precision;
    private final ServeOptions options;
    private final ServeMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger arriving = new AtomicInteger();
    private volatile Predictor predictor;
    private volatile Batcher batcher;
    private volatile String failure;

    ModelService(String name, ModelConfig config, Precision precision, ServeOptions options, ServeMetrics metrics) {
        this.name = name;
        this.config = config;
        this.precision = precision;
        this.options = options;
        this.metrics = metrics;
    }

    /** Loads the model directory, compiles it (with the fused runtime), warms every batch size, then is ready. */
    void load(Path dir) {
        try {
            start(new Predictor(ModelDirectory.load(dir, config), precision, options.maxBatch()));
        } catch (RuntimeException | OutOfMemoryError e) {
            failure = String.valueOf(e.getMessage()); // failure() says why; awaitReady returns false
        }
    }

    /** Compiles and warms {@code predictor}, then takes requests. */
    void start(Predictor predictor) {
        if (options.compile()) {
            predictor.compile(options.maxBatch());
            if (options.maxBatch() > 1) {
                predictor.compileForSingleImages(); // a lone request runs on layouts chosen for one image
            }
        }
        int c = config.architecture().inChannels();
        int s = config.resizeDim();
        // Every batch size once: oneDNN creates its kernels for a shape on first use, not in a client's request.
        for (int n = 1; n <= options.maxBatch(); n++) {
            predictor.softmax(predictor.run(new float[n * c * s * s], n, false), n);
        }
        this.predictor = predictor;
        batcher = new Batcher(predictor, options.maxBatch(), options.maxDelayMs(), options.maxQueue(), metrics,
                arriving::get);
    }

    String name() {
        return name;
    }

    ModelConfig config() {
        return config;
    }

    Precision precision() {
        return precision;
    }

    /** The loaded predictor (after {@link #start}). */
    Predictor predictor() {
        return predictor;
    }

    boolean ready() {
        return batcher != null;
    }

    /** Why loading failed, or null. */
    String failure() {
        return failure;
    }

    /** The batcher; a 503 {@link ApiError} while the model is still loading. */
    Batcher batcher() {
        Batcher b = batcher;
        if (b == null) {
            throw failure != null ? new ApiError(503, "the model failed to load: " + failure)
                    : ApiError.unavailable("the model is still loading", 2);
        }
        return b;
    }

    /** Counts a request that is being received and decoded (until {@link #arrived}): the batcher waits for it. */
    void arriving() {
        arriving.incrementAndGet();
    }

    void arrived() {
        arriving.decrementAndGet();
    }

    /** Counts an inference request in (until {@link #done}), so that shutdown can wait for it. */
    void begin() {
        inFlight.incrementAndGet();
    }

    void done() {
        inFlight.decrementAndGet();
    }

    /** Requests being received, decoded, queued or run: not answered yet. */
    int inFlight() {
        return inFlight.get() + arriving.get();
    }

    /** Checks a model name from a URL. */
    void check(String requested) {
        if (!name.equals(requested)) {
            throw ApiError.notFound("unknown model '" + requested + "'; this server has '" + name + "'");
        }
    }
}
