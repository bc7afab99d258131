package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** Determinism, coverage, resumption, error propagation and shutdown of the batch loader. */
class BatchLoaderTest {

    /**
     * A synthetic data set: example i is a 1×12×12 image filled with (i + 1) / 1024 (exact in float),
     * label i % 7. After pad-and-crop the centre pixel is always inside, so the maximum of an example
     * identifies it.
     */
    static class Synthetic implements Dataset {
        final int n;
        final IntFunction<RuntimeException> failure;
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        volatile long sleepMillis;

        Synthetic(int n) {
            this(n, i -> null);
        }

        Synthetic(int n, IntFunction<RuntimeException> failure) {
            this.n = n;
            this.failure = failure;
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public int label(int i) {
            return i % 7;
        }

        @Override
        public List<String> classes() {
            return List.of("a", "b", "c", "d", "e", "f", "g");
        }

        @Override
        public int channels() {
            return 1;
        }

        @Override
        public Image image(int i) {
            threads.add(Thread.currentThread().getName());
            if (sleepMillis > 0) {
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted");
                }
            }
            RuntimeException e = failure.apply(i);
            if (e != null) {
                throw e;
            }
            float[] d = new float[144];
            Arrays.fill(d, (i + 1) / 1024f);
            return new Image(1, 12, 12, d);
        }
    }

    static BatchLoader.Config train(int batch, long seed, int threads) {
        return BatchLoader.Config.training(batch, 1, 12, 12, Normalization.identity(1), seed)
                .withThreads(threads).withPrefetch(threads + 1);
    }

    static List<Batch> epoch(BatchLoader loader, int epoch, int start) {
        List<Batch> out = new ArrayList<>();
        try (BatchLoader.BatchIterator it = loader.iterator(epoch, start)) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }

    /** The example index of each entry of a batch, recovered from its pixel values. */
    static int[] identities(Batch b) {
        int[] ids = new int[b.size()];
        for (int k = 0; k < b.size(); k++) {
            float max = 0;
            for (float v : b.image(k).data()) {
                max = Math.max(max, v);
            }
            ids[k] = Math.round(max * 1024) - 1;
        }
        return ids;
    }

    @Test
    void sameSeedSameBatchesAcrossRunsAndThreadCounts() {
        Synthetic data = new Synthetic(103);
        List<List<Batch>> runs = new ArrayList<>();
        for (int threads : new int[] {1, 3, 1}) {
            try (BatchLoader loader = new BatchLoader(data, train(8, 42, threads))) {
                List<Batch> both = new ArrayList<>(epoch(loader, 0, 0));
                both.addAll(epoch(loader, 1, 0));
                runs.add(both);
            }
        }
        assertEquals(2 * 12, runs.get(0).size());
        assertEquals(runs.get(0), runs.get(1), "1 thread and 3 threads give the same batches");
        assertEquals(runs.get(0), runs.get(2), "a second run gives the same batches");
        try (BatchLoader other = new BatchLoader(data, train(8, 43, 2))) {
            assertNotEquals(runs.get(0).subList(0, 12), epoch(other, 0, 0), "another seed gives other batches");
        }
        assertNotEquals(runs.get(0).get(0), runs.get(0).get(12), "epochs differ");
        assertTrue(data.threads.stream().allMatch(t -> t.startsWith("resnet4j-data-")),
                "decoding happens on the loader's threads: " + data.threads);
    }

    @Test
    void everyExampleExactlyOncePerEpoch() {
        Synthetic data = new Synthetic(103);
        try (BatchLoader loader = new BatchLoader(data, train(8, 7, 2).withDropLast(false))) {
            assertEquals(13, loader.batchesPerEpoch());
            for (int e = 0; e < 3; e++) {
                List<Batch> batches = epoch(loader, e, 0);
                assertEquals(13, batches.size());
                int[] seen = new int[103];
                for (int b = 0; b < batches.size(); b++) {
                    Batch batch = batches.get(b);
                    assertEquals(b < 12 ? 8 : 103 - 96, batch.size());
                    assertEquals(batch.size() * 144, batch.data().length);
                    int[] ids = identities(batch);
                    for (int k = 0; k < ids.length; k++) {
                        seen[ids[k]]++;
                        assertEquals(ids[k] % 7, batch.labels()[k], "label travels with its image");
                    }
                }
                int[] ones = new int[103];
                Arrays.fill(ones, 1);
                assertArrayEquals(ones, seen, "epoch " + e);
            }
            assertFalse(Arrays.equals(loader.permutation(0), loader.permutation(1)));
            int[] p = loader.permutation(5).clone();
            Arrays.sort(p);
            for (int i = 0; i < p.length; i++) {
                assertEquals(i, p[i]);
            }
        }
        try (BatchLoader loader = new BatchLoader(data, train(8, 7, 1))) {
            assertEquals(12, loader.batchesPerEpoch(), "drop_last leaves out the partial batch");
            Set<Integer> distinct = new java.util.HashSet<>();
            int count = 0;
            for (Batch b : epoch(loader, 0, 0)) {
                assertEquals(8, b.size());
                for (int id : identities(b)) {
                    distinct.add(id);
                    count++;
                }
            }
            assertEquals(96, count);
            assertEquals(96, distinct.size(), "no example twice");
        }
    }

    @Test
    void resumingAtABatchGivesTheTailOfTheEpoch() {
        Synthetic data = new Synthetic(50);
        try (BatchLoader loader = new BatchLoader(data, train(6, 99, 2))) {
            List<Batch> full = epoch(loader, 3, 0);
            for (int start : new int[] {0, 1, 4, full.size() - 1, full.size()}) {
                assertEquals(full.subList(start, full.size()), epoch(loader, 3, start), "start " + start);
            }
            assertEquals(full.get(5), loader.batch(3, 5), "synchronous build matches");
            assertThrows(ResNet4jException.class, () -> loader.iterator(3, full.size() + 1));
        }
        try (BatchLoader fresh = new BatchLoader(data, train(6, 99, 1))) {
            // A new process resuming mid-epoch sees the same batches.
            try (BatchLoader reference = new BatchLoader(data, train(6, 99, 3))) {
                assertEquals(epoch(reference, 3, 0).subList(2, 8), epoch(fresh, 3, 2));
            }
        }
    }

    @Test
    void evalLoaderKeepsOrderConvertsChannelsAndNormalizes() {
        Synthetic data = new Synthetic(10);
        Normalization n = new Normalization(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0.5f, 0.25f, 2f});
        BatchLoader.Config config = BatchLoader.Config.evaluation(4, 3, 12, 12, n);
        try (BatchLoader loader = new BatchLoader(data, config)) {
            List<Batch> batches = epoch(loader, 0, 0);
            assertEquals(3, batches.size());
            assertEquals(2, batches.get(2).size(), "the last partial batch is kept");
            Batch b = batches.get(1);
            assertArrayEquals(new long[] {4, 3, 12, 12}, b.shape());
            assertArrayEquals(new int[] {4, 5, 6, 0}, b.labels());
            // Example 5 (value 6/1024) in channel c at (7, 3): NCHW index ((1*3 + c)*12 + 7)*12 + 3.
            float v = 6 / 1024f;
            float[] mean = {0.1f, 0.2f, 0.3f}, std = {0.5f, 0.25f, 2f};
            for (int c = 0; c < 3; c++) {
                assertEquals((v - mean[c]) / std[c], b.data()[((3 + c) * 12 + 7) * 12 + 3], 1e-6f);
            }
        }
    }

    @Test
    void realFashionMnistTestSetInOrder() {
        Dataset test = FashionMnistTest.real().test();
        Normalization n = Normalization.FASHION_MNIST;
        try (BatchLoader loader = new BatchLoader(test, BatchLoader.Config.evaluation(256, 1, 28, 28, n)
                .withThreads(2))) {
            int seen = 0;
            int[] counts = new int[10];
            for (Batch b : epoch(loader, 0, 0)) {
                for (int k = 0; k < b.size(); k++) {
                    assertEquals(test.label(seen + k), b.labels()[k]);
                    counts[b.labels()[k]]++;
                }
                if (seen == 256) {
                    Image expected = n.apply(test.image(256 + 17));
                    assertEquals(expected, b.image(17));
                }
                seen += b.size();
            }
            assertEquals(10000, seen);
            for (int c : counts) {
                assertEquals(1000, c);
            }
        }
    }

    @Test
    void errorsPropagate() {
        Synthetic failing = new Synthetic(40, i -> i == 17 ? new ResNet4jException("example 17 is broken") : null);
        try (BatchLoader loader = new BatchLoader(failing, train(4, 1, 2))) {
            ResNet4jException e = assertThrows(ResNet4jException.class, () -> epoch(loader, 0, 0));
            assertEquals("example 17 is broken", e.getMessage());
            BatchLoader.BatchIterator it = loader.iterator(0);
            assertThrows(ResNet4jException.class, () -> {
                while (it.hasNext()) {
                    it.next();
                }
            });
            assertFalse(it.hasNext(), "a failed iterator is finished");
        }
        Synthetic buggy = new Synthetic(10, i -> i == 3 ? new IllegalStateException("boom") : null);
        try (BatchLoader loader = new BatchLoader(buggy, train(2, 1, 1))) {
            ResNet4jException e = assertThrows(ResNet4jException.class, () -> epoch(loader, 0, 0));
            assertTrue(e.getMessage().contains("example 3") && e.getMessage().contains("boom"), e.getMessage());
        }
    }

    @Test
    void unreadableImagesAreCountedAndSkipped() {
        Synthetic data = new Synthetic(30, i -> i == 3 || i == 10
                ? new UnreadableImageException(Path.of("img" + i + ".jpg"), "image file img" + i + ".jpg is corrupt.")
                : null);
        try (BatchLoader loader = new BatchLoader(data, train(5, 3, 2))) {
            int total = 0;
            for (Batch b : epoch(loader, 0, 0)) {
                for (int id : identities(b)) {
                    assertTrue(id != 3 && id != 10);
                }
                total += b.size();
            }
            assertEquals(28, total);
            assertEquals(2, loader.skippedCount());
            assertArrayEquals(new int[] {3, 10}, loader.skippedExamples());
            assertEquals(2, loader.skipMessages().size());
            epoch(loader, 1, 0);
            assertEquals(4, loader.skippedCount(), "counted again in every epoch");
        }
        try (BatchLoader strict = new BatchLoader(data, train(5, 3, 2).withSkipUnreadable(false))) {
            ResNet4jException e = assertThrows(UnreadableImageException.class, () -> epoch(strict, 0, 0));
            assertTrue(e.getMessage().contains(".jpg is corrupt"), e.getMessage());
        }
    }

    private static long liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    @Test
    void threadsEndAfterClose() {
        Synthetic slow = new Synthetic(200);
        slow.sleepMillis = 20;
        BatchLoader loader = new BatchLoader(slow, train(4, 5, 3).withPrefetch(6));
        String prefix = loader.threadPrefix();
        BatchLoader.BatchIterator it = loader.iterator(0);
        it.next();
        assertTrue(liveThreads(prefix) > 0, "threads run while loading");
        assertTimeoutPreemptively(Duration.ofSeconds(10), loader::close);
        assertTrue(loader.isTerminated());
        assertEquals(0, liveThreads(prefix), "no thread of the loader is left");
        assertFalse(it.hasNext(), "iterators end with their loader");
        assertThrows(IllegalStateException.class, () -> loader.iterator(0));
        loader.close(); // idempotent
    }

    @Test
    void badConfigurationsAreClearErrors() {
        Synthetic data = new Synthetic(5);
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> new BatchLoader(data, train(8, 1, 1)));
        assertTrue(e.getMessage().contains("fewer than one batch"), e.getMessage());
        assertThrows(ResNet4jException.class,
                () -> BatchLoader.Config.training(8, 3, 12, 12, Normalization.identity(1), 0));
        assertThrows(ResNet4jException.class, () -> train(0, 1, 1));
        assertThrows(ResNet4jException.class, () -> train(4, 1, 0));
    }
}
