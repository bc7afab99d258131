package io.resnet4j.serve;

import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.HttpResponseException;
import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP server ({@code resnet4j serve}): Javalin on Jetty 12. {@link #start} listens at once (live), then loads,
 * compiles and warms the model (ready). {@link #stop} stops accepting, lets in-flight requests finish, then closes.
 */
public final class InferenceServer implements AutoCloseable {
    private final ModelService model;
    private final ServeMetrics metrics;
    private final Javalin app;
    private volatile boolean stopping;

    private InferenceServer(ModelService model, ServeMetrics metrics, ServeOptions options, String version) {
        this.model = model;
        this.metrics = metrics;
        InfoRoutes info = new InfoRoutes(model, metrics, version);
        InferenceRoutes inference = new InferenceRoutes(model, options);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = options.maxBodyBytes();
            config.jetty.threadPool = new QueuedThreadPool(options.httpThreads(), Math.min(8, options.httpThreads()));
            config.jetty.multipartConfig.maxFileSize(options.maxBodyBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(options.maxBodyBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE,
                    options.maxBodyBytes()), SizeUnit.BYTES);
            config.requestLogger.http((ctx, ms) -> metrics.request(Http.endpoint(ctx.path()), ctx.statusCode(),
                    (long) (ms * 1e6)));
            config.routes.before(ctx -> {
                if (stopping) {
                    ctx.header("Connection", "close");
                    throw ApiError.unavailable("the server is shutting down", 5);
                }
            });
            info.register(config.routes);
            inference.register(config.routes);
            config.routes.exception(ApiError.class, (e, ctx) -> Http.error(ctx, e));
            // Javalin's own answers (no such endpoint, a known path with another method, a body too large) in our
            // one-line JSON; 405 for the wrong method, as docs/serving.md says (Javalin answers 404 by default).
            config.http.prefer405over404 = true;
            config.routes.exception(HttpResponseException.class, (e, ctx) -> Http.error(ctx, switch (e.getStatus()) {
                case 404 -> ApiError.notFound("no such endpoint: " + ctx.method() + " " + ctx.path());
                case 405 -> new ApiError(405, "method " + ctx.method() + " is not allowed on " + ctx.path());
                default -> new ApiError(e.getStatus(), e.getMessage());
            }));
            config.routes.exception(Exception.class, (e, ctx) -> Http.error(ctx, e));
        });
        app.start(options.host(), options.port());
    }

    /**
     * Starts serving the model directory {@code dir} whose {@code config} was read
     * ({@link ModelDirectory#config}): listens now, and is ready once the model is loaded, compiled and warmed (in
     * the background; {@link #awaitReady} waits for it).
     */
    public static InferenceServer start(Path dir, ModelConfig config, String name, Precision precision,
            ServeOptions options, String version) {
        ServeMetrics metrics = new ServeMetrics(name);
        ModelService model = new ModelService(name, config, precision, options, metrics);
        InferenceServer server = new InferenceServer(model, metrics, options, version);
        Thread loader = new Thread(() -> model.load(dir), "resnet4j-model-loader");
        loader.setDaemon(true);
        loader.start();
        return server;
    }

    /** Serves an already loaded predictor (tests, embedding); ready when this returns. */
    public static InferenceServer start(Predictor predictor, String name, ServeOptions options, String version) {
        ServeMetrics metrics = new ServeMetrics(name);
        ModelService model = new ModelService(name, predictor.config(), predictor.precision(), options, metrics);
        InferenceServer server = new InferenceServer(model, metrics, options, version);
        model.start(predictor);
        return server;
    }

    /** Waits until the model is ready; false if loading failed or {@code ms} passed. */
    public boolean awaitReady(long ms) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!model.ready()) {
            if (model.failure() != null || System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Whether the model is ready. */
    public boolean ready() {
        return model.ready();
    }

    /** Why the model failed to load, or null. */
    public String failure() {
        return model.failure();
    }

    /** The port the server listens on. */
    public int port() {
        return app.port();
    }

    /**
     * Graceful stop: refuses new connections and requests, waits (at most {@code ms}) for the requests in flight to
     * be answered, then stops the HTTP server and the batcher.
     */
    public void stop(long ms) {
        stopping = true;
        for (Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof NetworkConnector n) {
                n.close(); // no new connections; open ones finish
            }
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        try {
            while (model.inFlight() > 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            Thread.sleep(50); // the last answers leave the socket
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        app.stop();
        if (model.ready()) {
            model.batcher().close();
        }
    }

    @Override
    public void close() {
        stop(10_000);
    }

    /** The metrics (for tests). */
    ServeMetrics metrics() {
        return metrics;
    }

    /** Inference requests not answered yet (for tests). */
    int inFlight() {
        return model.inFlight();
    }

    /** The batcher (for tests). */
    Batcher batcher() {
        return model.batcher();
    }
}
