package io.resnet4j.serve;

/**
 * How a server runs.
 *
 * @param host the address to listen on
 * @param port the port (0: any free port)
 * @param name the model's name in URLs
 * @param maxBatch the most images one forward pass runs
 * @param maxDelayMs how long the first request of a batch waits for others
 * @param maxQueue the most requests waiting for the model; more are refused with 503
 * @param maxBodyBytes the largest request body; larger ones are refused with 413
 * @param maxPixels the largest image (width × height) a request may hold; larger ones are refused with 400
 * @param decodeThreads how many images are decoded at once (the rest wait), which bounds decoding memory
 * @param httpThreads the HTTP server's thread pool size
 * @param compile whether to run the fused oneDNN runtime (true) or the model op by op (eager)
 */
public record ServeOptions(String host, int port, String name, int maxBatch, int maxDelayMs, int maxQueue,
        long maxBodyBytes, long maxPixels, int decodeThreads, int httpThreads, boolean compile) {

    /** The defaults, one place for them (the {@code serve} command's flags read these too). */
    public static final int DEFAULT_MAX_BATCH = 16;
    public static final int DEFAULT_MAX_DELAY_MS = 5;
    public static final int DEFAULT_MAX_QUEUE = 256;
    public static final int DEFAULT_MAX_BODY_MB = 16;
    public static final int DEFAULT_MAX_MEGAPIXELS = 25;
    public static final int DEFAULT_HTTP_THREADS = 64;

    /** Defaults for everything but the host, port and name. */
    public static ServeOptions defaults(String host, int port, String name) {
        return new ServeOptions(host, port, name, DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_QUEUE,
                (long) DEFAULT_MAX_BODY_MB << 20, DEFAULT_MAX_MEGAPIXELS * 1_000_000L, defaultDecodeThreads(),
                DEFAULT_HTTP_THREADS, true);
    }

    /** Images decoded at once by default: one per core, at least two. */
    public static int defaultDecodeThreads() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    /** These options with another batch limit and delay. */
    public ServeOptions withBatching(int batch, int delayMs) {
        return new ServeOptions(host, port, name, batch, delayMs, maxQueue, maxBodyBytes, maxPixels, decodeThreads,
                httpThreads, compile);
    }

    /** These options with another queue limit and body limit. */
    public ServeOptions withLimits(int queue, long bodyBytes) {
        return new ServeOptions(host, port, name, maxBatch, maxDelayMs, queue, bodyBytes, maxPixels, decodeThreads,
                httpThreads, compile);
    }
}
