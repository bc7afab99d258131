package io.resnet4j.serve;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.resnet4j.data.Image;
import io.resnet4j.infer.Predictor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The inference endpoints: {@code POST /v2/models/{name}/infer} (Open Inference Protocol, preprocessed tensors) and
 * {@code POST /v1/models/{name}:predict} (raw image bytes or multipart uploads, answered like {@code predict --json}).
 */
final class InferenceRoutes {
    private static final String PREDICT = ":predict";
    /** The most images one multipart request may hold. */
    static final int MAX_FILES = 64;

    private final ModelService model;
    private final ImageInput images;
    private final ServeOptions options;

    InferenceRoutes(ModelService model, ServeOptions options) {
        this.model = model;
        this.options = options;
        this.images = new ImageInput(model.config(), options.maxPixels(), options.decodeThreads());
    }

    void register(RoutesConfig routes) {
        routes.post("/v2/models/{name}/infer", ctx -> arriving(ctx, this::infer));
        routes.post("/v1/models/{spec}", ctx -> arriving(ctx, this::predict));
    }

    /** A request handler that calls {@code arrived} once its inputs are read and decoded, before it queues them. */
    private interface ArrivingHandler {
        void handle(Context ctx, Runnable arrived) throws Exception;
    }

    /**
     * Runs {@code handler} counted as arriving while it reads and decodes, so that the batcher waits for it; the
     * count ends before the request is queued (a queued request is company already there, not one to wait for).
     */
    private void arriving(Context ctx, ArrivingHandler handler) throws Exception {
        model.arriving();
        boolean[] counted = {true};
        Runnable arrived = () -> {
            if (counted[0]) {
                counted[0] = false;
                model.arrived();
            }
        };
        try {
            handler.handle(ctx, arrived);
        } finally {
            arrived.run();
        }
    }

    private void infer(Context ctx, Runnable arrived) {
        model.check(ctx.pathParam("name"));
        Batcher batcher = model.batcher();
        byte[] body = Http.body(ctx, options.maxBodyBytes());
        int c = model.config().architecture().inChannels();
        int s = model.config().resizeDim();
        InferRequest req = InferRequest.parse(body, c, s, s);
        int classes = model.config().labels().size();
        answer(ctx, arrived, () -> batcher.submit(req.data(), req.batch()),
                out -> Protocol.inferResponse(model.name(), req, out, classes));
    }

    private void predict(Context ctx, Runnable arrived) {
        String spec = ctx.pathParam("spec");
        if (!spec.endsWith(PREDICT)) {
            throw ApiError.notFound("no such endpoint: POST " + ctx.path() + " (did you mean /v1/models/"
                    + model.name() + PREDICT + "?)");
        }
        model.check(spec.substring(0, spec.length() - PREDICT.length()));
        int k = top(ctx.queryParam("top"));
        Batcher batcher = model.batcher();
        List<String> names = new ArrayList<>();
        List<Image> inputs = new ArrayList<>();
        if (ctx.isMultipartFormData()) {
            Http.refuseDeclaredLarger(ctx, options.maxBodyBytes());
            List<UploadedFile> files = uploads(ctx);
            if (files.isEmpty()) {
                throw ApiError.badRequest("the multipart form holds no file; upload the image as a file field");
            }
            if (files.size() > MAX_FILES) {
                // Each decoded image becomes C x H x W floats: a form of many tiny files must not multiply memory.
                throw ApiError.badRequest("the form holds " + files.size() + " files; at most " + MAX_FILES
                        + " images per request");
            }
            for (UploadedFile f : files) {
                String name = f.filename() == null || f.filename().isBlank() ? "upload" : f.filename();
                names.add(name);
                inputs.add(images.preprocess(read(f), name));
            }
        } else {
            byte[] body = Http.body(ctx, options.maxBodyBytes());
            String name = ctx.queryParam("file") != null ? ctx.queryParam("file") : "upload";
            names.add(name);
            inputs.add(images.preprocess(body, name));
        }
        int per = inputs.get(0).data().length;
        float[] data = new float[inputs.size() * per];
        for (int i = 0; i < inputs.size(); i++) {
            System.arraycopy(inputs.get(i).data(), 0, data, i * per, per);
        }
        int classes = model.config().labels().size();
        answer(ctx, arrived, () -> batcher.submit(data, inputs.size()), out -> {
            List<List<Predictor.Scored>> tops = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                tops.add(model.predictor().top(out.probabilities(), i * classes, k));
            }
            return Protocol.predictions(names, tops);
        });
    }

    private List<UploadedFile> uploads(Context ctx) {
        try {
            return ctx.uploadedFiles();
        } catch (RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("exceeds") || m.contains("too large") || m.contains("max")) {
                throw Http.tooLarge(-1, options.maxBodyBytes());
            }
            throw ApiError.badRequest("the multipart form cannot be read: " + Http.oneLine(m));
        }
    }

    private byte[] read(UploadedFile f) {
        try (InputStream in = f.content()) {
            return Http.readAtMost(in, options.maxBodyBytes());
        } catch (IOException e) {
            throw ApiError.badRequest("the upload " + f.filename() + " could not be read: " + e.getMessage());
        }
    }

    private static int top(String value) {
        if (value == null) {
            return 5;
        }
        try {
            int k = Integer.parseInt(value.trim());
            if (k >= 1) {
                return k;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest("top must be a whole number of at least 1, got '" + value + "'");
    }

    /**
     * Queues the request and answers when its batch has run. It counts in flight from before it is queued until
     * answered (shutdown waits for it), and stops counting as arriving before it is queued (the batcher waits only
     * for requests still on their way, not for this one).
     */
    private void answer(Context ctx, Runnable arrived, Supplier<CompletableFuture<Batcher.Output>> submit,
            Function<Batcher.Output, byte[]> render) {
        model.begin();
        arrived.run();
        CompletableFuture<Batcher.Output> result;
        try {
            result = submit.get();
        } catch (RuntimeException e) {
            model.done();
            throw e;
        }
        ctx.future(() -> result.handle((out, err) -> {
            try {
                if (err != null) {
                    Http.error(ctx, err);
                } else {
                    Http.json(ctx, 200, render.apply(out));
                }
            } catch (RuntimeException e) {
                Http.error(ctx, e);
            } finally {
                model.done();
            }
            return null;
        }));
    }
}
