package io.resnet4j.serve;

import io.resnet4j.infer.Predictor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * Dynamic batching: requests from many clients wait in one bounded queue, and one worker thread runs them together,
 * up to {@code maxBatch} images or until the oldest has waited {@code maxDelayMs}, whichever comes first; it waits
 * only while other requests are arriving (being received or decoded), so a lone request runs at once. Every
 * forward pass runs on that thread. A full queue refuses at once ({@link #submit} throws a 503 {@link ApiError}),
 * so memory stays bounded however many clients there are.
 *
 * <p>Each request gets back exactly its own rows of the batch: an image's logits do not depend on what it was
 * batched with (up to the last bits of the oneDNN kernels a batch size selects; see docs/serving.md).
 */
public final class Batcher implements AutoCloseable {
    /** What a request gets back: logits and softmax probabilities, {@code [n, classes]} each. */
    public record Output(float[] logits, float[] probabilities) {}

    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private record Job(float[] data, int n, long enqueuedNanos, CompletableFuture<Output> result) {}

    private final Predictor predictor;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    /** Requests accepted and not yet running (queued or carried), at most {@code maxQueue}. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final int maxQueue;
    private final ServeMetrics metrics;
    private final IntSupplier arriving;
    private final Thread worker;
    private volatile boolean running = true;
    private volatile Job carried;
    private final Object holdLock = new Object();
    private boolean held;

    Batcher(Predictor predictor, int maxBatch, int maxDelayMs, int maxQueue, ServeMetrics metrics,
            IntSupplier arriving) {
        this.predictor = predictor;
        this.arriving = arriving;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
        this.maxQueue = maxQueue;
        this.metrics = metrics;
        metrics.queueDepth(this::queued);
        this.worker = new Thread(this::loop, "resnet4j-batcher");
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Queues {@code n} preprocessed inputs ({@code [n, C, H, W]} in {@code data}); the future completes when their
     * batch has run.
     *
     * @throws ApiError 503 with {@code Retry-After} when the queue is full or the batcher is stopping
     */
    public CompletableFuture<Output> submit(float[] data, int n) {
        CompletableFuture<Output> f = new CompletableFuture<>();
        if (!running) {
            throw ApiError.unavailable("the server is shutting down", 5);
        }
        // Counted, not left to a bounded queue's capacity: a request the worker has taken but carries over to the
        // next batch still waits, and still counts against --max-queue.
        if (waiting.incrementAndGet() > maxQueue) {
            waiting.decrementAndGet();
            metrics.rejected();
            throw ApiError.unavailable("the server is overloaded: " + maxQueue
                    + " requests are waiting already; retry later", 1);
        }
        queue.add(new Job(data, n, System.nanoTime(), f));
        return f;
    }

    /** Requests waiting now. */
    public int queued() {
        return waiting.get();
    }

    private void loop() {
        while (running) {
            List<Job> batch;
            try {
                waitWhileHeld();
                batch = nextBatch();
            } catch (InterruptedException e) {
                break;
            }
            if (!batch.isEmpty()) {
                run(batch);
            }
        }
        Job left = carried;
        if (left != null) { // interrupted while carrying it: it must be answered too
            left.result().completeExceptionally(ApiError.unavailable("the server is shutting down", 5));
        }
        failAll(queue);
    }

    /** For tests: while held, the worker starts no batch, so requests stay queued. */
    void hold(boolean on) {
        synchronized (holdLock) {
            held = on;
            holdLock.notifyAll();
        }
    }

    private void waitWhileHeld() throws InterruptedException {
        synchronized (holdLock) {
            while (held && running) {
                holdLock.wait(100);
            }
        }
    }

    private List<Job> nextBatch() throws InterruptedException {
        Job first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
        carried = null;
        List<Job> batch = new ArrayList<>();
        if (first == null) {
            return batch;
        }
        synchronized (holdLock) {
            if (held) {
                carried = first; // taken just as the worker was held: it waits with the others
                return batch;
            }
        }
        batch.add(first);
        waiting.decrementAndGet();
        int images = first.n();
        long deadline = first.enqueuedNanos() + maxDelayNanos;
        while (images < maxBatch) {
            Job next = queue.poll();
            if (next == null) {
                // Wait for more only while other requests are on their way (being received or decoded): a lone
                // client is not kept waiting for company that cannot come.
                long wait = deadline - System.nanoTime();
                if (wait <= 0 || arriving.getAsInt() == 0) {
                    break;
                }
                next = queue.poll(Math.min(wait, POLL_NANOS), TimeUnit.NANOSECONDS);
                if (next == null) {
                    continue;
                }
            }
            if (images + next.n() > maxBatch) {
                carried = next; // the next batch starts with it
                break;
            }
            batch.add(next);
            waiting.decrementAndGet();
            images += next.n();
        }
        return batch;
    }

    private void run(List<Job> batch) {
        int total = 0;
        for (Job j : batch) {
            total += j.n();
        }
        try {
            float[] logits = forward(batch, total);
            float[] probs = predictor.softmax(logits, total);
            int classes = logits.length / total;
            int row = 0;
            for (Job j : batch) {
                int from = row * classes, to = (row + j.n()) * classes;
                j.result().complete(new Output(Arrays.copyOfRange(logits, from, to),
                        Arrays.copyOfRange(probs, from, to)));
                row += j.n();
            }
            metrics.batch(total);
        } catch (RuntimeException | OutOfMemoryError e) {
            for (Job j : batch) {
                j.result().completeExceptionally(e);
            }
        }
    }

    /** Logits of the batch's inputs, in order; a single request above the batch limit runs in slices. */
    private float[] forward(List<Job> batch, int total) {
        // Only a lone request can exceed the batch limit: nextBatch carries a job that does not fit to the next one.
        int per = batch.get(0).data().length / batch.get(0).n();
        float[] all = batch.size() == 1 ? batch.get(0).data() : new float[total * per];
        if (batch.size() > 1) {
            int at = 0;
            for (Job j : batch) {
                System.arraycopy(j.data(), 0, all, at, j.data().length);
                at += j.data().length;
            }
        }
        if (total <= maxBatch) {
            return predictor.run(all, total, false);
        }
        float[] out = null;
        for (int start = 0; start < total; start += maxBatch) {
            int n = Math.min(maxBatch, total - start);
            float[] part = predictor.run(Arrays.copyOfRange(all, start * per, (start + n) * per), n, false);
            if (out == null) {
                out = new float[total * (part.length / n)];
            }
            System.arraycopy(part, 0, out, start * (part.length / n), part.length);
        }
        return out;
    }

    private static void failAll(BlockingQueue<Job> queue) {
        for (Job j; (j = queue.poll()) != null; ) {
            j.result().completeExceptionally(ApiError.unavailable("the server is shutting down", 5));
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
    }
}
