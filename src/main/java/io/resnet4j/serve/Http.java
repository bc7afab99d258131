package io.resnet4j.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletionException;

/** Small HTTP helpers: bounded body reads, JSON answers, errors as one-line JSON. */
final class Http {
    static final String JSON = "application/json";

    private Http() {
    }

    /**
     * The whole body of a request, at most {@code max} bytes: a 413 {@link ApiError} past that (told by
     * {@code Content-Length} before anything is read, or while reading a body without one).
     */
    static byte[] body(Context ctx, long max) {
        refuseDeclaredLarger(ctx, max);
        try (InputStream in = ctx.req().getInputStream()) {
            return readAtMost(in, max);
        } catch (IOException e) {
            throw ApiError.badRequest("the request body could not be read: " + e.getMessage());
        }
    }

    /** A 413 {@link ApiError} when the request's {@code Content-Length} says more than {@code max} bytes. */
    static void refuseDeclaredLarger(Context ctx, long max) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) {
            throw tooLarge(declared, max);
        }
    }

    /** All of {@code in}, at most {@code max} bytes: a 413 {@link ApiError} past that. */
    static byte[] readAtMost(InputStream in, long max) throws IOException {
        byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (b.length > max) {
            throw tooLarge(-1, max);
        }
        return b;
    }

    static ApiError tooLarge(long declared, long max) {
        return ApiError.tooLarge("the request body " + (declared >= 0 ? "of " + declared + " bytes " : "")
                + "is larger than the limit of " + max + " bytes (--max-body-mb)");
    }

    static void json(Context ctx, int status, byte[] body) {
        ctx.status(status).contentType(JSON).result(body);
    }

    /** Answers {@code error} (an {@link ApiError}, or anything else as a 500) as {@code {"error": "..."}}. */
    static void error(Context ctx, Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof ApiError a) {
            if (a.retryAfterSeconds() != null) {
                ctx.header("Retry-After", Integer.toString(a.retryAfterSeconds()));
            }
            json(ctx, a.status(), Protocol.error(a.getMessage()));
        } else if (e instanceof OutOfMemoryError) {
            ctx.header("Retry-After", "1");
            json(ctx, 503, Protocol.error("out of memory running the request; retry later"));
        } else {
            json(ctx, 500, Protocol.error("internal error: " + oneLine(String.valueOf(e))));
        }
    }

    static String oneLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** The {@code endpoint} label of a request path (a fixed, small set, so metrics cannot grow without bound). */
    static String endpoint(String path) {
        if (path.equals("/")) {
            return "page";
        } else if (path.equals("/metrics")) {
            return "metrics";
        } else if (path.startsWith("/v2/health/")) {
            return "health";
        } else if (path.startsWith("/v2/models/") && path.endsWith("/infer")) {
            return "infer";
        } else if (path.startsWith("/v1/models/") && path.endsWith(":predict")) {
            return "predict";
        } else if (path.startsWith("/v2")) {
            return "metadata";
        }
        return "other";
    }
}
