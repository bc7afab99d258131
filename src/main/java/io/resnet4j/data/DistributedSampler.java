package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.util.SplittableRandom;

/**
 * The order in which one process visits a data set's examples in an epoch, when {@code replicas} processes share
 * the epoch: torchvision's {@code DistributedSampler}, so that data-parallel training splits each epoch the way
 * PyTorch users expect.
 *
 * <p>The epoch's permutation is drawn from ({@code seed}, epoch) alone (Fisher–Yates on a {@link SplittableRandom};
 * {@code 0..n-1} without shuffling), so every process draws the same one without talking to the others. It is then
 * made a multiple of {@code replicas} long: with {@code dropLast} its tail is cut off, otherwise its start is
 * repeated after its end (torchvision's padding, which evaluates a few examples twice). Process {@code rank} takes
 * the positions {@code rank, rank + replicas, rank + 2·replicas, …} of it. The shards of one epoch are therefore
 * disjoint positions of one permutation, and their union is all of it.
 *
 * <p>Striding rather than cutting the permutation into blocks is what keeps a global batch the same whatever the
 * number of processes: when each of {@code N} processes takes batches of {@code B/N} from its shard, the {@code k}-th
 * batches of all of them together are positions {@code [k·B, (k+1)·B)} of the permutation, the {@code k}-th batch
 * of a single process with batch size {@code B}.
 *
 * <p>torchvision's {@code set_epoch(e)} followed by iteration is {@link #indices(int) indices(e)} here: the epoch is
 * an argument, not state, so a sampler is immutable and shared freely by a loader's threads. With one replica the
 * indices are the whole permutation, the order a {@link BatchLoader} has always used.
 */
public final class DistributedSampler {
    /** Mixed into the seed of every epoch's permutation (as the loader always has: old runs keep their order). */
    private static final long ORDER_TAG = 0x4F52444552L;

    private final int datasetSize;
    private final int replicas;
    private final int rank;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int perReplica;

    private DistributedSampler(Builder b) {
        this.datasetSize = b.datasetSize;
        this.replicas = b.replicas;
        this.rank = b.rank;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.perReplica = dropLast ? datasetSize / replicas : (datasetSize + replicas - 1) / replicas;
    }

    /** A sampler over {@code datasetSize} examples: one replica, shuffled with seed 0, padded (see the setters). */
    public static Builder builder(int datasetSize) {
        return new Builder(datasetSize);
    }

    /**
     * How many examples this process visits per epoch: {@code ⌊n/replicas⌋} with drop-last, else
     * {@code ⌈n/replicas⌉}.
     */
    public int size() {
        return perReplica;
    }

    public int datasetSize() {
        return datasetSize;
    }

    public int replicas() {
        return replicas;
    }

    public int rank() {
        return rank;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public long seed() {
        return seed;
    }

    public boolean dropLast() {
        return dropLast;
    }

    /** The whole permutation of {@code epoch}, before padding and sharding; every process draws the same one. */
    public int[] permutation(int epoch) {
        if (epoch < 0) {
            throw new ResNet4jException("the epoch must not be negative, got " + epoch + ".");
        }
        int[] order = new int[datasetSize];
        for (int i = 0; i < datasetSize; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom random = new SplittableRandom(Seeds.mix(seed, epoch, ORDER_TAG));
            for (int i = datasetSize - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** This process's example indices for {@code epoch}, in the order they are visited ({@link #size()} of them). */
    public int[] indices(int epoch) {
        int[] order = permutation(epoch);
        if (replicas == 1) {
            return order;
        }
        int[] mine = new int[perReplica];
        for (int i = 0; i < perReplica; i++) {
            // Position rank + i·replicas of the padded permutation; padding wraps around to its start.
            mine[i] = order[(int) (((long) rank + (long) i * replicas) % datasetSize)];
        }
        return mine;
    }

    @Override
    public String toString() {
        return "DistributedSampler[" + datasetSize + " examples, replica " + rank + " of " + replicas
                + (shuffle ? ", shuffled with seed " + seed : ", in order") + (dropLast ? ", drop-last" : "") + "]";
    }

    /** Collects and validates a sampler's settings; the defaults are those of torchvision's. */
    public static final class Builder {
        private final int datasetSize;
        private int replicas = 1;
        private int rank;
        private boolean shuffle = true;
        private long seed;
        private boolean dropLast;

        private Builder(int datasetSize) {
            this.datasetSize = datasetSize;
        }

        /** How many processes share each epoch (torchvision's {@code num_replicas}); default 1. */
        public Builder replicas(int n) {
            this.replicas = n;
            return this;
        }

        /** Which of them this one is, 0-based; default 0. */
        public Builder rank(int r) {
            this.rank = r;
            return this;
        }

        /** A new permutation every epoch (default), or {@code 0..n-1} every epoch. */
        public Builder shuffle(boolean on) {
            this.shuffle = on;
            return this;
        }

        /** The seed of the permutations; it must be the same in every process. Default 0. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Cut the permutation to a multiple of the replicas instead of padding it with its start; default off. */
        public Builder dropLast(boolean on) {
            this.dropLast = on;
            return this;
        }

        /** @throws ResNet4jException when a setting is out of range or drop-last would leave a process nothing */
        public DistributedSampler build() {
            if (datasetSize < 1) {
                throw new ResNet4jException("a sampler needs at least one example, got " + datasetSize + ".");
            }
            if (replicas < 1) {
                throw new ResNet4jException("the number of replicas must be at least 1, got " + replicas + ".");
            }
            if (rank < 0 || rank >= replicas) {
                throw new ResNet4jException("the rank must be in [0, " + (replicas - 1) + "], got " + rank + ".");
            }
            if (dropLast && datasetSize < replicas) {
                throw new ResNet4jException("the data set has " + datasetSize + " examples, fewer than the "
                        + replicas + " replicas that share it (drop_last is on).");
            }
            return new DistributedSampler(this);
        }
    }
}
