package io.resnet4j.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics, kept by Micrometer's Prometheus registry (names in docs/serving.md):
 * {@code resnet4j_requests_total{endpoint,code}}, {@code resnet4j_request_duration_seconds} (histogram),
 * {@code resnet4j_batch_size} (histogram), {@code resnet4j_queue_depth}, {@code resnet4j_images_total},
 * {@code resnet4j_images_per_second} (over the last 10 seconds), {@code resnet4j_rejected_total}.
 */
public final class ServeMetrics {
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final DistributionSummary batchSize;
    private final Counter images;
    private final Counter rejected;
    private final long[] windowImages = new long[10];
    private final long[] windowSecond = new long[10];
    private final Meter.MeterProvider<Counter> requests;
    private final Meter.MeterProvider<Timer> durations;

    ServeMetrics(String model) {
        batchSize = DistributionSummary.builder("resnet4j.batch.size").description("Images per forward pass")
                .tag("model", model).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
        images = Counter.builder("resnet4j.images").description("Images run through the model").tag("model", model)
                .register(registry);
        rejected = Counter.builder("resnet4j.rejected").description("Requests refused because the queue was full")
                .register(registry);
        Gauge.builder("resnet4j.images.per.second", this, ServeMetrics::imagesPerSecond)
                .description("Images per second over the last 10 seconds").tag("model", model).register(registry);
        requests = Counter.builder("resnet4j.requests").description("HTTP requests by endpoint and status code")
                .withRegistry(registry);
        durations = Timer.builder("resnet4j.request.duration").description("HTTP request latency")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).withRegistry(registry);
    }

    void queueDepth(Supplier<Number> depth) {
        Gauge.builder("resnet4j.queue.depth", depth).description("Requests waiting for the model")
                .register(registry);
    }

    /** One answered request. */
    void request(String endpoint, int code, long nanos) {
        requests.withTags("endpoint", endpoint, "code", Integer.toString(code)).increment();
        durations.withTags("endpoint", endpoint).record(nanos, TimeUnit.NANOSECONDS);
    }

    void batch(int n) {
        batchSize.record(n);
        images.increment(n);
        synchronized (windowImages) {
            long second = System.nanoTime() / 1_000_000_000L;
            int slot = (int) (second % windowImages.length);
            if (windowSecond[slot] != second) {
                windowSecond[slot] = second;
                windowImages[slot] = 0;
            }
            windowImages[slot] += n;
        }
    }

    void rejected() {
        rejected.increment();
    }

    private double imagesPerSecond() {
        long now = System.nanoTime();
        long second = now / 1_000_000_000L;
        long sum = 0;
        synchronized (windowImages) {
            for (int i = 0; i < windowImages.length; i++) {
                if (second - windowSecond[i] < windowImages.length) {
                    sum += windowImages[i];
                }
            }
        }
        return sum / (double) TimeUnit.NANOSECONDS.toSeconds(WINDOW_NANOS);
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }
}
