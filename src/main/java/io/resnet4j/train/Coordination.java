package io.resnet4j.train;

import io.resnet4j.model.ResNet;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * How the processes of a data-parallel run agree: the few collective operations the {@link Trainer} needs to train
 * one model in several processes as if it were one process with the whole batch. {@link #single()} is the
 * trivial one of a run in one process; {@code io.resnet4j.distributed.DistributedTrainer} supplies one on
 * PyTorch's c10d (Gloo).
 *
 * <p>With {@code worldSize() > 1} the trainer: gives each process every {@code worldSize()}-th position of each
 * epoch's permutation and {@code batchSize / worldSize} images per step (so step k's global batch is the same
 * images whatever the number of processes); starts every process from the primary's weights, buffers, momentum and
 * position ({@link #broadcastFromPrimary}); averages the gradients ({@link #attach}); sums each step's loss, correct
 * count and images ({@link #sum}), so that all processes see the same loss and stop together when it is not finite;
 * reads the time budget from the primary's clock ({@link #broadcast}), so that all stop at the same step; evaluates
 * a disjoint shard of the validation set in each process and sums the scores (every example exactly once); and
 * writes only in the primary. Every process calls every collective in the same order.
 */
public interface Coordination {
    /** This process's rank, 0-based; rank 0 is the primary, which alone writes. */
    int rank();

    /** How many processes train the model. */
    int worldSize();

    default boolean primary() {
        return rank() == 0;
    }

    /**
     * Called once the model has its starting weights in every process (after {@link #broadcastFromPrimary}): sets up
     * gradient averaging (and whatever else the run synchronises, e.g. batch-norm statistics) and returns the hook
     * that every training step runs.
     */
    GradientHook attach(ResNet model);

    /** Overwrites {@code tensors} (the same list, in the same order, in every process) with the primary's. */
    void broadcastFromPrimary(List<Tensor> tensors);

    /**
     * After {@link #attach}: gives every process the primary's batch-norm buffers, as DistributedDataParallel's
     * {@code broadcast_buffers} does (nothing when the statistics are already synchronised, or in one process).
     */
    default void syncBuffers() {}

    /** The primary's {@code values}, in every process. */
    double[] broadcast(double[] values);

    /** The element-wise sum of every process's {@code values}. */
    double[] sum(double[] values);

    /** Settings recorded with the checkpoints ({@code world_size}, {@code sync_bn}); empty for a single process. */
    default java.util.Map<String, Object> describe() {
        return java.util.Map.of();
    }

    /** The run in one process: no one to agree with. */
    static Coordination single() {
        return Single.INSTANCE;
    }

    /** {@link #single()}. */
    final class Single implements Coordination {
        static final Single INSTANCE = new Single();

        private Single() {}

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }

        @Override
        public GradientHook attach(ResNet model) {
            return (m, step) -> { };
        }

        @Override
        public void broadcastFromPrimary(List<Tensor> tensors) {}

        @Override
        public double[] broadcast(double[] values) {
            return values.clone();
        }

        @Override
        public double[] sum(double[] values) {
            return values.clone();
        }
    }
}
