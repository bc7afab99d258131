package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.Dataset;
import io.resnet4j.model.ResNet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.bytedeco.pytorch.Tensor;

/**
 * What the trainer does differently when several processes train one model ({@link Coordination}): the data
 * shards, the common start, the agreed clock, the step totals and the gathered validation. With one process every
 * method hands back what it was given.
 */
final class DataParallel {
    private final Coordination co;

    DataParallel(Coordination co) {
        this.co = co;
    }

    boolean on() {
        return co.worldSize() > 1;
    }

    Coordination coordination() {
        return co;
    }

    /** The global batch size split over the processes; it must divide evenly. */
    int localBatch(int globalBatch) {
        if (globalBatch % co.worldSize() != 0) {
            throw new ResNet4jException(String.format("the batch size %d is not a multiple of the %d processes "
                    + "(it is the global batch; each process takes an equal share)", globalBatch, co.worldSize()));
        }
        return globalBatch / co.worldSize();
    }

    /** This process's share of the training data: every N-th position of each epoch, B/N images a step. */
    BatchLoader.Config trainingShard(BatchLoader.Config c) {
        return on() ? c.toBuilder().batchSize(localBatch(c.batchSize())).build().withShard(co.worldSize(), co.rank())
                : c;
    }

    /** This process's share of the validation data: examples rank, rank + N, …, each exactly once overall. */
    Dataset validationShard(Dataset test) {
        return on() ? strided(test, co.rank(), co.worldSize()) : test;
    }

    /**
     * Every process continues from the primary's state: weights, buffers, momentum and position (a resumed run's
     * checkpoint is read by the primary alone, so other machines need no copy of the run folder).
     */
    Trainer.Position start(ResNet model, Sgd sgd, Trainer.Position local) {
        if (!on()) {
            return local;
        }
        double[] p = co.broadcast(new double[] {local.epoch(), local.step(), local.seconds(),
            sgd.hasState() ? 1 : 0});
        List<Tensor> tensors = new ArrayList<>(model.namedTensors().values());
        if (p[3] != 0) {
            tensors.addAll(sgd.stateTensors());
        }
        co.broadcastFromPrimary(tensors);
        return new Trainer.Position((int) p[0], (long) p[1], p[2]);
    }

    /** The primary's clock in every process, when a time budget makes the clock decide when to stop. */
    LongSupplier clock(LongSupplier local, boolean budget) {
        if (!on() || !budget) {
            return local;
        }
        long origin = local.getAsLong();
        return () -> (long) co.broadcast(new double[] {local.getAsLong() - origin})[0];
    }

    /** The whole global batch's mean loss, correct count and images, from this process's share. */
    double[] stepTotals(float loss, long correct, int images) {
        if (!on()) {
            return new double[] {loss, correct, images};
        }
        double[] s = co.sum(new double[] {(double) loss * images, correct, images});
        return new double[] {s[2] == 0 ? Double.NaN : s[0] / s[2], s[1], s[2]};
    }

    /**
     * The validation of the whole set from each process's result on its shard: counts, loss and confusion matrix
     * summed, the predictions put back in the order of the set.
     */
    EvalResult gather(EvalResult local, BatchLoader shardLoader, int fullSize) {
        if (!on()) {
            return local;
        }
        int k = local.labels().size();
        double[] v = new double[4 + k * k + fullSize];
        long n = local.examples();
        v[0] = n == 0 ? 0 : local.loss() * n;
        v[1] = n == 0 ? 0 : Math.round(local.top1() * n);
        v[2] = n == 0 ? 0 : Math.round(local.top5() * n);
        v[3] = n;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                v[4 + i * k + j] = local.confusion()[i][j];
            }
        }
        int[] skipped = shardLoader.skippedExamples();
        int next = 0;
        int shardSize = shardLoader.dataset().size();
        for (int i = 0; i < shardSize && next < local.predicted().length; i++) {
            if (Arrays.binarySearch(skipped, i) >= 0) {
                continue;
            }
            v[4 + k * k + co.rank() + i * co.worldSize()] = local.predicted()[next++] + 1;
        }
        double[] s = co.sum(v);
        long total = (long) s[3];
        int[][] confusion = new int[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                confusion[i][j] = (int) s[4 + i * k + j];
            }
        }
        int[] predicted = new int[(int) total];
        int m = 0;
        for (int i = 0; i < fullSize && m < predicted.length; i++) {
            int p = (int) s[4 + k * k + i];
            if (p > 0) {
                predicted[m++] = p - 1;
            }
        }
        return new EvalResult(total == 0 ? Double.NaN : s[0] / total, total == 0 ? Double.NaN : s[1] / total,
                total == 0 ? Double.NaN : s[2] / total, total, local.labels(), confusion, predicted);
    }

    /** The settings a checkpoint records about the processes. */
    Map<String, Object> describe() {
        return co.describe();
    }

    /** Examples {@code rank, rank + n, rank + 2n, …} of a data set. */
    static Dataset strided(Dataset parent, int rank, int n) {
        int size = Math.max(0, (parent.size() - rank + n - 1) / n);
        return parent.select(size, i -> rank + i * n, "every " + n + "th from " + rank);
    }
}
