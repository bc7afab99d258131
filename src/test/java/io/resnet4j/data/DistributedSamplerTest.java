package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.ResNet4jException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sharding an epoch across processes the way torchvision's {@code DistributedSampler} does. */
class DistributedSamplerTest {

    private static DistributedSampler sampler(int n, int replicas, int rank, boolean shuffle, boolean dropLast) {
        return DistributedSampler.builder(n).replicas(replicas).rank(rank).shuffle(shuffle).seed(5)
                .dropLast(dropLast).build();
    }

    /** The padded (or cut) permutation, rebuilt from the shards: position p belongs to rank p % N. */
    private static int[] interleave(int n, int replicas, boolean dropLast, int epoch) {
        List<int[]> shards = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            shards.add(sampler(n, replicas, r, true, dropLast).indices(epoch));
        }
        int per = shards.get(0).length;
        int[] all = new int[per * replicas];
        for (int p = 0; p < all.length; p++) {
            all[p] = shards.get(p % replicas)[p / replicas];
        }
        return all;
    }

    @Test
    void theShardsOfAnEpochAreDisjointAndTogetherItsPermutation() {
        int n = 96;
        for (int replicas : new int[] {1, 2, 3, 4, 8}) {
            int[] union = interleave(n, replicas, true, 3);
            assertArrayEquals(sampler(n, 1, 0, true, false).permutation(3), union, replicas + " replicas");
            int[] sorted = union.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < n; i++) {
                assertEquals(i, sorted[i], "every example exactly once over " + replicas + " replicas");
            }
        }
    }

    @Test
    void withoutDropLastTheStartIsRepeatedAndWithItTheTailIsCut() {
        // torchvision: n = 10, 4 replicas, no shuffle.
        int[][] padded = {{0, 4, 8}, {1, 5, 9}, {2, 6, 0}, {3, 7, 1}};
        int[][] cut = {{0, 4}, {1, 5}, {2, 6}, {3, 7}};
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(padded[r], sampler(10, 4, r, false, false).indices(0), "rank " + r + " padded");
            assertArrayEquals(cut[r], sampler(10, 4, r, false, true).indices(0), "rank " + r + " cut");
        }
        // Fewer examples than replicas: the permutation repeats as often as needed.
        assertArrayEquals(new int[] {0}, sampler(2, 5, 4, false, false).indices(0));
        assertArrayEquals(new int[] {1}, sampler(2, 5, 3, false, false).indices(0));
        // Shuffled: the padded permutation is the permutation followed by its start.
        int[] perm = sampler(10, 1, 0, true, false).permutation(2);
        int[] union = interleave(10, 4, false, 2);
        assertArrayEquals(perm, Arrays.copyOf(union, 10));
        assertArrayEquals(Arrays.copyOf(perm, 2), Arrays.copyOfRange(union, 10, 12));
    }

    @Test
    void theEpochReseedsTheOrderDeterministically() {
        DistributedSampler a = sampler(50, 2, 1, true, false);
        DistributedSampler b = sampler(50, 2, 1, true, false);
        assertArrayEquals(a.indices(4), b.indices(4), "same seed and epoch, same order");
        assertArrayEquals(a.indices(4), a.indices(4), "asking again changes nothing");
        assertFalse(Arrays.equals(a.indices(4), a.indices(5)), "another epoch, another order");
        DistributedSampler otherSeed = DistributedSampler.builder(50).replicas(2).rank(1).seed(6).build();
        assertFalse(Arrays.equals(a.indices(4), otherSeed.indices(4)), "another seed, another order");
        assertArrayEquals(sampler(50, 2, 1, false, false).indices(4), sampler(50, 2, 1, false, false).indices(9),
                "without shuffling every epoch is in order");
    }

    @Test
    void oneReplicaIsTheUnshardedLoader() {
        BatchLoaderTest.Synthetic data = new BatchLoaderTest.Synthetic(103);
        try (BatchLoader plain = new BatchLoader(data, BatchLoaderTest.train(8, 42, 1));
                BatchLoader sharded = new BatchLoader(data, BatchLoaderTest.train(8, 42, 1).withShard(1, 0))) {
            for (int epoch = 0; epoch < 3; epoch++) {
                assertArrayEquals(plain.permutation(epoch), sharded.permutation(epoch));
                assertArrayEquals(plain.permutation(epoch), sharded.sampler().permutation(epoch));
            }
            assertEquals(BatchLoaderTest.epoch(plain, 1, 0), BatchLoaderTest.epoch(sharded, 1, 0));
        }
    }

    /**
     * The seam for data-parallel training with a global batch: N processes taking batches of B/N from their shards
     * see, at step k, together exactly the examples (with the same augmentation) of batch k of one process taking
     * batches of B.
     */
    @Test
    void stepKsGlobalBatchIsTheSameWhateverTheNumberOfProcesses() {
        BatchLoaderTest.Synthetic data = new BatchLoaderTest.Synthetic(103);
        int global = 12;
        try (BatchLoader single = new BatchLoader(data, BatchLoaderTest.train(global, 9, 1))) {
            for (int replicas : new int[] {2, 3, 4}) {
                List<BatchLoader> ranks = new ArrayList<>();
                try {
                    for (int r = 0; r < replicas; r++) {
                        ranks.add(new BatchLoader(data, BatchLoaderTest.train(global / replicas, 9, 1)
                                .withShard(replicas, r)));
                    }
                    assertEquals(single.batchesPerEpoch(), ranks.get(0).batchesPerEpoch(), replicas + " replicas");
                    for (int k = 0; k < single.batchesPerEpoch(); k++) {
                        Batch whole = single.batch(1, k);
                        List<float[]> rows = new ArrayList<>();
                        List<Integer> ids = new ArrayList<>();
                        for (BatchLoader rank : ranks) {
                            Batch part = rank.batch(1, k);
                            for (int i = 0; i < part.size(); i++) {
                                rows.add(part.image(i).data());
                            }
                            Arrays.stream(BatchLoaderTest.identities(part)).forEach(ids::add);
                        }
                        int[] expected = BatchLoaderTest.identities(whole);
                        assertEquals(sorted(expected), sorted(ids.stream().mapToInt(Integer::intValue).toArray()),
                                "batch " + k + " over " + replicas + " replicas");
                        for (int i = 0; i < whole.size(); i++) {
                            float[] want = whole.image(i).data();
                            assertTrue(rows.stream().anyMatch(row -> Arrays.equals(row, want)),
                                    "example " + expected[i] + " augmented alike in batch " + k);
                        }
                    }
                } finally {
                    ranks.forEach(BatchLoader::close);
                }
            }
        }
    }

    private static List<Integer> sorted(int[] a) {
        return Arrays.stream(a).sorted().boxed().toList();
    }

    @Test
    void badSettingsAreClearErrors() {
        assertThrows(ResNet4jException.class, () -> DistributedSampler.builder(10).replicas(0).build());
        ResNet4jException rank = assertThrows(ResNet4jException.class,
                () -> DistributedSampler.builder(10).replicas(2).rank(2).build());
        assertTrue(rank.getMessage().contains("rank"), rank.getMessage());
        assertThrows(ResNet4jException.class, () -> DistributedSampler.builder(0).build());
        assertThrows(ResNet4jException.class, () -> DistributedSampler.builder(3).replicas(4).dropLast(true).build());
        assertThrows(ResNet4jException.class, () -> BatchLoaderTest.train(4, 1, 1).withShard(2, -1));
        assertThrows(ResNet4jException.class, () -> sampler(10, 2, 0, true, false).indices(-1));
    }
}
