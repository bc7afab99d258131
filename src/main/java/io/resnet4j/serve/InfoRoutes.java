package io.resnet4j.serve;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Health, metadata, metrics and the web page. */
final class InfoRoutes {
    private final ModelService model;
    private final ServeMetrics metrics;
    private final String version;
    private final byte[] page;

    InfoRoutes(ModelService model, ServeMetrics metrics, String version) {
        this.model = model;
        this.metrics = metrics;
        this.version = version;
        String html = new String(resource("index.html"), StandardCharsets.UTF_8);
        String name = new String(Protocol.bytes(model.name()), StandardCharsets.UTF_8).replace("<", "\\u003c");
        this.page = html.replace("__MODEL_NAME__", name).getBytes(StandardCharsets.UTF_8);
    }

    void register(RoutesConfig routes) {
        routes.get("/", ctx -> ctx.status(200).contentType("text/html; charset=utf-8").result(page));
        routes.get("/v2", ctx -> Http.json(ctx, 200, Protocol.bytes(Protocol.serverMetadata(version))));
        byte[] live = "{\"live\":true}".getBytes(StandardCharsets.UTF_8);
        routes.get("/v2/health/live", ctx -> Http.json(ctx, 200, live));
        routes.get("/v2/health/ready", this::ready);
        routes.get("/v2/models/{name}", this::metadata);
        routes.get("/v2/models/{name}/ready", ctx -> {
            model.check(ctx.pathParam("name"));
            ready(ctx);
        });
        routes.get("/metrics", ctx -> ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8")
                .result(metrics.scrape()));
    }

    private void ready(Context ctx) {
        boolean ready = model.ready();
        if (!ready) {
            ctx.header("Retry-After", "2");
        }
        Http.json(ctx, ready ? 200 : 503, ("{\"ready\":" + ready + "}").getBytes(StandardCharsets.UTF_8));
    }

    private void metadata(Context ctx) {
        model.check(ctx.pathParam("name"));
        String runtime = model.predictor() == null ? "loading" : model.predictor().compiled() ? "onednn" : "eager";
        Http.json(ctx, 200, Protocol.bytes(Protocol.modelMetadata(model.name(), model.config(),
                model.precision().cliName(), runtime)));
    }

    private static byte[] resource(String name) {
        try (InputStream in = InfoRoutes.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
