package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns a {@link Dataset} into epochs of preprocessed {@link Batch}es (NCHW floats), decoding on a
 * small pool of background threads with a bounded number of batches prepared ahead.
 *
 * <p><b>Determinism.</b> Everything is a function of ({@code seed}, epoch) and never of thread
 * timing or thread count:
 * <ul>
 *   <li>the order of examples in epoch {@code e} is a permutation drawn from
 *       {@code (seed, e)} (Fisher–Yates on a {@link SplittableRandom}), or {@code 0..n-1} without
 *       shuffling; see {@link #permutation(int)}. When several processes share the epoch
 *       ({@link Config#withShard}), each takes every {@code replicas}-th position of that permutation
 *       ({@link DistributedSampler}); with one the order is the whole permutation;</li>
 *   <li>batch {@code b} holds the examples at positions {@code [b·B, (b+1)·B)} of that order;</li>
 *   <li>the augmentation of example {@code i} in epoch {@code e} draws from its own
 *       {@code SplittableRandom} seeded from {@code (seed, e, i)}, so an example gets the same
 *       augmentation in that epoch wherever it lands;</li>
 *   <li>batches come out in order; {@link #iterator(int, int)} starts at any batch, and its batches
 *       equal the tail of the full epoch, so training resumes exactly.</li>
 * </ul>
 *
 * <p><b>Per example:</b> {@link Dataset#image(int)} → {@link Image#withChannels(int)} to
 * {@link Config#channels()} → {@link Transforms#train} (augment on) or {@link Transforms#eval}
 * with the config's {@code minAspectDim}, {@code resizeDim} and normalization. Every batch is
 * {@code channels × resizeDim × resizeDim} per example.
 *
 * <p><b>Errors.</b> An example that throws {@link UnreadableImageException} (a corrupt file in an
 * image folder) is skipped and counted ({@link #skippedCount()}, {@link #skippedExamples()}) when
 * {@link Config#skipUnreadable()} is on; its batch is then smaller. Any other failure, or an
 * unreadable image with skipping off, ends the iteration: {@code next()} throws it as a
 * {@link ResNet4jException}.
 *
 * <p><b>Threads.</b> {@link #close()} cancels pending work and stops the threads (they are also
 * daemons, so a forgotten loader never keeps the JVM alive). Iterators should be closed when
 * abandoned before their end (try-with-resources); an iterator that ran to its end or failed
 * closes itself.
 */
public final class BatchLoader implements AutoCloseable {

    /**
     * How batches are made.
     *
     * @param batchSize      examples per batch B (at least 1); with several replicas, this process's part of
     *                       the global batch
     * @param channels       channel count C of every example (1 or 3); images are converted
     * @param minAspectDim   the shorter side after resizing
     * @param resizeDim      output height and width H = W
     * @param normalization  per-channel mean/std with {@code channels} entries
     * @param augment        training augmentation ({@link Transforms#train}) instead of
     *                       {@link Transforms#eval}
     * @param shuffle        a new example order every epoch
     * @param dropLast       leave out the last batch when it would be smaller than B; with several replicas,
     *                       also cut the epoch to a multiple of them rather than pad it ({@link DistributedSampler})
     * @param seed           the root of all randomness (order and augmentation)
     * @param threads        background decoding threads (at least 1)
     * @param prefetch       batches prepared ahead of the consumer (at least 1)
     * @param skipUnreadable count and skip examples whose image cannot be decoded
     * @param erasing        with augmentation: probability of {@link Transforms#randomErasing} per example
     *                       (0 turns it off)
     * @param replicas       how many processes share each epoch (1: this one has it all)
     * @param rank           which of them this one is, in {@code [0, replicas)}
     */
    public record Config(int batchSize, int channels, int minAspectDim, int resizeDim, Normalization normalization,
            boolean augment, boolean shuffle, boolean dropLast, long seed, int threads, int prefetch,
            boolean skipUnreadable, double erasing, int replicas, int rank) {

        public Config {
            if (batchSize < 1) {
                throw new ResNet4jException("the batch size must be at least 1, got " + batchSize + ".");
            }
            if (channels != 1 && channels != 3) {
                throw new ResNet4jException("the data loader produces 1 or 3 channels, not " + channels + ".");
            }
            if (minAspectDim < 1 || resizeDim < 1) {
                throw new ResNet4jException("min_aspect_dim and resize_dim must be positive, got " + minAspectDim
                        + " and " + resizeDim + ".");
            }
            if (normalization == null) {
                normalization = Normalization.identity(channels);
            }
            if (normalization.channels() != channels) {
                throw new ResNet4jException("the normalization has " + normalization.channels()
                        + " channels but the loader produces " + channels + ".");
            }
            if (threads < 1 || threads > 256) {
                throw new ResNet4jException("the number of data loading threads must be between 1 and 256, got "
                        + threads + ".");
            }
            if (!(erasing >= 0 && erasing <= 1)) {
                throw new ResNet4jException("the random erasing probability must be in [0, 1], got " + erasing + ".");
            }
            if (prefetch < 1) {
                throw new ResNet4jException("the prefetch depth must be at least 1, got " + prefetch + ".");
            }
            if (replicas < 1 || rank < 0 || rank >= replicas) {
                throw new ResNet4jException("the rank must be in [0, replicas) and replicas at least 1, got rank "
                        + rank + " of " + replicas + ".");
            }
        }

        /**
         * Training defaults: augmentation, shuffling and drop-last on, {@link #defaultThreads()}
         * threads, prefetch threads + 1, unreadable images skipped, one replica.
         */
        public static Config training(int batchSize, int channels, int minAspectDim, int resizeDim,
                Normalization normalization, long seed) {
            int threads = defaultThreads();
            return new Config(batchSize, channels, minAspectDim, resizeDim, normalization, true, true, true, seed,
                    threads, threads + 1, true, 0.0, 1, 0);
        }

        /** Evaluation defaults: no augmentation, no shuffling, every example (no drop-last), one replica. */
        public static Config evaluation(int batchSize, int channels, int minAspectDim, int resizeDim,
                Normalization normalization) {
            int threads = defaultThreads();
            return new Config(batchSize, channels, minAspectDim, resizeDim, normalization, false, false, false, 0L,
                    threads, threads + 1, true, 0.0, 1, 0);
        }

        /** 1 on machines with fewer than 8 cores, else 2: the model needs the cores. */
        public static int defaultThreads() {
            return Runtime.getRuntime().availableProcessors() >= 8 ? 2 : 1;
        }

        /** A builder starting from this config, to change several settings at once. */
        public Builder toBuilder() {
            return new Builder(this);
        }

        public Config withThreads(int n) {
            return toBuilder().threads(n).build();
        }

        public Config withPrefetch(int n) {
            return toBuilder().prefetch(n).build();
        }

        public Config withBatchSize(int n) {
            return toBuilder().batchSize(n).build();
        }

        public Config withSeed(long s) {
            return toBuilder().seed(s).build();
        }

        public Config withAugment(boolean b) {
            return toBuilder().augment(b).build();
        }

        public Config withDropLast(boolean b) {
            return toBuilder().dropLast(b).build();
        }

        /** Random erasing with probability {@code p} per training example (augment on only). */
        public Config withErasing(double p) {
            return toBuilder().erasing(p).build();
        }

        public Config withSkipUnreadable(boolean b) {
            return toBuilder().skipUnreadable(b).build();
        }

        /** This process's share of every epoch when {@code replicas} processes share it ({@link DistributedSampler}). */
        public Config withShard(int replicas, int rank) {
            return toBuilder().replicas(replicas).rank(rank).build();
        }

        /** Changes some settings of an existing config; {@link #build()} validates. */
        public static final class Builder {
            private int batchSize;
            private final int channels;
            private final int minAspectDim;
            private final int resizeDim;
            private final Normalization normalization;
            private boolean augment;
            private final boolean shuffle;
            private boolean dropLast;
            private long seed;
            private int threads;
            private int prefetch;
            private boolean skipUnreadable;
            private double erasing;
            private int replicas;
            private int rank;

            private Builder(Config c) {
                batchSize = c.batchSize;
                channels = c.channels;
                minAspectDim = c.minAspectDim;
                resizeDim = c.resizeDim;
                normalization = c.normalization;
                augment = c.augment;
                shuffle = c.shuffle;
                dropLast = c.dropLast;
                seed = c.seed;
                threads = c.threads;
                prefetch = c.prefetch;
                skipUnreadable = c.skipUnreadable;
                erasing = c.erasing;
                replicas = c.replicas;
                rank = c.rank;
            }

            public Builder batchSize(int v) { batchSize = v; return this; }
            public Builder augment(boolean v) { augment = v; return this; }
            public Builder dropLast(boolean v) { dropLast = v; return this; }
            public Builder seed(long v) { seed = v; return this; }
            public Builder threads(int v) { threads = v; return this; }
            public Builder prefetch(int v) { prefetch = v; return this; }
            public Builder skipUnreadable(boolean v) { skipUnreadable = v; return this; }
            public Builder erasing(double v) { erasing = v; return this; }
            public Builder replicas(int v) { replicas = v; return this; }
            public Builder rank(int v) { rank = v; return this; }

            public Config build() {
                return new Config(batchSize, channels, minAspectDim, resizeDim, normalization, augment, shuffle,
                        dropLast, seed, threads, prefetch, skipUnreadable, erasing, replicas, rank);
            }
        }
    }

    private static final AtomicInteger LOADERS = new AtomicInteger();
    private static final long EXAMPLE_TAG = 0x4558414D504CL;
    private static final int MAX_SKIP_MESSAGES = 20;

    private final Dataset dataset;
    private final Config config;
    private final Transform transform;
    private final DistributedSampler sampler;
    private final int size;
    private final int batches;
    private final String threadPrefix;
    private final ExecutorService pool;
    private final Set<BatchIterator> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicLong skipped = new AtomicLong();
    private final Set<Integer> skippedExamples = new ConcurrentSkipListSet<>();
    private final List<String> skipMessages = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /**
     * A loader over {@code dataset}; starts {@code config.threads()} daemon threads.
     *
     * @throws ResNet4jException when the data set is empty or, with drop-last, smaller than one batch
     */
    public BatchLoader(Dataset dataset, Config config) {
        this.dataset = dataset;
        this.config = config;
        if (dataset.size() < 1) {
            throw new ResNet4jException("the data set " + dataset + " has no examples.");
        }
        this.sampler = DistributedSampler.builder(dataset.size()).replicas(config.replicas()).rank(config.rank())
                .shuffle(config.shuffle()).seed(config.seed()).dropLast(config.dropLast()).build();
        this.size = sampler.size();
        long b = config.dropLast() ? size / config.batchSize() : (size + (long) config.batchSize() - 1) / config.batchSize();
        if (b < 1) {
            throw new ResNet4jException((config.replicas() == 1 ? "the data set has " + size + " examples"
                    : "this process's share of the data set has " + size + " examples")
                    + ", fewer than one batch of " + config.batchSize() + " (drop_last is on); use a smaller batch size.");
        }
        this.batches = (int) b;
        this.transform = config.augment()
                ? Transforms.train(config.minAspectDim(), config.resizeDim(), config.normalization(),
                        config.erasing())
                : Transforms.eval(config.minAspectDim(), config.resizeDim(), config.normalization());
        this.threadPrefix = "resnet4j-data-" + LOADERS.incrementAndGet() + "-";
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, threadPrefix + n.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
        this.pool = Executors.newFixedThreadPool(config.threads(), factory);
    }

    public Dataset dataset() {
        return dataset;
    }

    public Config config() {
        return config;
    }

    /** Where the example order comes from: the whole data set, or this process's share of it. */
    public DistributedSampler sampler() {
        return sampler;
    }

    /**
     * Batches in one epoch: {@code floor(n / B)} with drop-last, else {@code ceil(n / B)}, where {@code n} is
     * {@link DistributedSampler#size()} (the data set's size with one replica).
     */
    public int batchesPerEpoch() {
        return batches;
    }

    /**
     * The example indices of {@code epoch} in the order they are batched (a new array): the epoch's permutation,
     * or with several replicas this process's share of it ({@link DistributedSampler#indices(int)}).
     */
    public int[] permutation(int epoch) {
        return sampler.indices(epoch);
    }

    /** The random source for example {@code index} in {@code epoch} (a fresh generator each call). */
    public SplittableRandom exampleRandom(int epoch, int index) {
        return new SplittableRandom(Seeds.mix(config.seed(), epoch, index, EXAMPLE_TAG));
    }

    /** All batches of {@code epoch}, from the first. */
    public BatchIterator iterator(int epoch) {
        return iterator(epoch, 0);
    }

    /**
     * Batches {@code startBatch .. batchesPerEpoch()-1} of {@code epoch}; identical to those of a
     * full-epoch iterator. Work starts at once in the background.
     *
     * @throws ResNet4jException when {@code epoch < 0} or {@code startBatch} is outside
     *                           {@code [0, batchesPerEpoch()]}
     */
    public BatchIterator iterator(int epoch, int startBatch) {
        ensureOpen();
        if (startBatch < 0 || startBatch > batches) {
            throw new ResNet4jException("cannot start at batch " + startBatch + ": an epoch has " + batches
                    + " batches.");
        }
        BatchIterator it = new BatchIterator(epoch, permutation(epoch), startBatch);
        open.add(it);
        if (closed) { // raced with close()
            it.close();
            ensureOpen();
        }
        it.fill();
        return it;
    }

    /** Builds batch {@code batchIndex} of {@code epoch} on the calling thread (same result as an iterator). */
    public Batch batch(int epoch, int batchIndex) {
        if (batchIndex < 0 || batchIndex >= batches) {
            throw new ResNet4jException("batch " + batchIndex + " does not exist: an epoch has " + batches
                    + " batches.");
        }
        return build(epoch, permutation(epoch), batchIndex, false);
    }

    /** Number of example loads skipped because the image could not be decoded, over all epochs so far. */
    public long skippedCount() {
        return skipped.get();
    }

    /** The distinct indices of examples skipped so far, ascending. */
    public int[] skippedExamples() {
        return skippedExamples.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The messages of the first skipped examples (at most 20). */
    public List<String> skipMessages() {
        return List.copyOf(skipMessages);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /** Whether every background thread has ended (true once {@link #close()} has returned). */
    public boolean isTerminated() {
        return pool.isTerminated() && threads.stream().noneMatch(Thread::isAlive);
    }

    /** The name prefix of this loader's threads. */
    String threadPrefix() {
        return threadPrefix;
    }

    /**
     * Cancels pending batches, stops the background threads and waits (up to 30 s) until they have
     * ended. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        for (BatchIterator it : open) {
            it.close();
        }
        pool.shutdownNow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
            for (Thread t : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0 && t != Thread.currentThread()) {
                    t.join(left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the batch loader is closed");
        }
    }

    private Batch build(int epoch, int[] order, int batchIndex, boolean background) {
        int from = batchIndex * config.batchSize();
        int to = Math.min(from + config.batchSize(), order.length);
        int c = config.channels(), r = config.resizeDim();
        int per = c * r * r;
        float[] data = new float[(to - from) * per];
        int[] labels = new int[to - from];
        int k = 0;
        for (int p = from; p < to; p++) {
            if (background && Thread.currentThread().isInterrupted()) {
                throw new CancellationException("batch loading was cancelled");
            }
            int index = order[p];
            Image out;
            try {
                Image image = dataset.image(index).withChannels(c);
                out = transform.apply(image, exampleRandom(epoch, index));
            } catch (UnreadableImageException e) {
                if (!config.skipUnreadable()) {
                    throw e;
                }
                skipped.incrementAndGet();
                if (skippedExamples.add(index) && skipMessages.size() < MAX_SKIP_MESSAGES) {
                    skipMessages.add(e.getMessage());
                }
                continue;
            } catch (ResNet4jException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ResNet4jException("loading example " + index + " of " + dataset + " failed: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ".", e);
            }
            if (out.channels() != c || out.height() != r || out.width() != r) {
                throw new ResNet4jException("preprocessing produced a " + out.channels() + "x" + out.height() + "x"
                        + out.width() + " image for example " + index + ", expected " + c + "x" + r + "x" + r + ".");
            }
            System.arraycopy(out.data(), 0, data, k * per, per);
            labels[k] = dataset.label(index);
            k++;
        }
        if (k < to - from) {
            data = Arrays.copyOf(data, k * per);
            labels = Arrays.copyOf(labels, k);
        }
        return new Batch(data, labels, k, c, r, r);
    }

    /**
     * The batches of one epoch, in order, prepared ahead on the loader's threads. Not thread-safe:
     * one consumer. Closing it cancels the batches prepared ahead.
     */
    public final class BatchIterator implements Iterator<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final ArrayDeque<Future<Batch>> ahead = new ArrayDeque<>();
        private int next;        // index of the batch next() returns
        private int submitted;   // index of the next batch to submit
        private volatile boolean done;

        private BatchIterator(int epoch, int[] order, int start) {
            this.epoch = epoch;
            this.order = order;
            this.next = start;
            this.submitted = start;
        }

        private synchronized void fill() {
            while (!done && ahead.size() < config.prefetch() && submitted < batches) {
                int b = submitted;
                try {
                    ahead.add(pool.submit(() -> build(epoch, order, b, true)));
                } catch (RejectedExecutionException e) {
                    return; // the loader was closed; next() reports it
                }
                submitted++;
            }
        }

        /** The epoch this iterator walks. */
        public int epoch() {
            return epoch;
        }

        @Override
        public boolean hasNext() {
            return !done && next < batches;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more batches in epoch " + epoch);
            }
            Future<Batch> head;
            synchronized (this) {
                head = ahead.poll();
            }
            if (head == null) {
                close();
                throw new ResNet4jException("batch " + next + " of epoch " + epoch
                        + " cannot be loaded because the data loader was closed.");
            }
            fill();
            try {
                Batch batch = head.get();
                next++;
                if (next >= batches) {
                    close();
                }
                return batch;
            } catch (ExecutionException e) {
                close();
                Throwable cause = e.getCause();
                if (cause instanceof ResNet4jException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new ResNet4jException("loading batch " + next + " of epoch " + epoch + " failed: "
                        + cause + ".", cause);
            } catch (CancellationException e) {
                close();
                throw new ResNet4jException("loading batch " + next + " of epoch " + epoch
                        + " was cancelled because the data loader was closed.", e);
            } catch (InterruptedException e) {
                close();
                Thread.currentThread().interrupt();
                throw new ResNet4jException("interrupted while waiting for batch " + next + " of epoch " + epoch + ".",
                        e);
            }
        }

        /** Cancels the batches prepared ahead; afterwards {@link #hasNext()} is false. Idempotent. */
        @Override
        public void close() {
            synchronized (this) {
                done = true;
                for (Future<Batch> f : ahead) {
                    f.cancel(true);
                }
                ahead.clear();
            }
            open.remove(this);
        }
    }
}
