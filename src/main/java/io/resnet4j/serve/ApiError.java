package io.resnet4j.serve;

/**
 * A request the server answers with an error status and a one-line JSON body {@code {"error": "..."}}: the
 * client's fault (400, 404, 413) or the server's state (503, with {@code Retry-After} seconds).
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final Integer retryAfterSeconds;

    ApiError(int status, String message) {
        this(status, message, null);
    }

    ApiError(int status, String message, Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, message);
    }

    static ApiError notFound(String message) {
        return new ApiError(404, message);
    }

    static ApiError tooLarge(String message) {
        return new ApiError(413, message);
    }

    static ApiError unavailable(String message, int retryAfterSeconds) {
        return new ApiError(503, message, retryAfterSeconds);
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** Seconds for a {@code Retry-After} header, or null for none. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
