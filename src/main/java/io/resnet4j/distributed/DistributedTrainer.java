package io.resnet4j.distributed;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.ProcessGroup;
import io.resnet4j.train.Trainer;
import java.util.Objects;

/**
 * Runs a {@link Trainer} as one process of a data-parallel run on PyTorch's c10d: a Gloo process group met through a
 * {@code TCPStore} at the master's address, gradients averaged by libtorch's {@code Reducer} (the engine of
 * {@code DistributedDataParallel}), optionally batch-norm statistics over the global batch. Start one process per
 * rank, each with the same trainer arguments and its own {@link DistributedConfig}:
 *
 * <pre>{@code
 * DistributedConfig me = DistributedConfig.fromEnvironment(System.getenv()).orElseThrow(); // torchrun's variables
 * Trainer trainer = new Trainer(DataSources.open("fashion-mnist"), arch, options, Path.of("runs/fm"), System.err);
 * Trainer.Result r = new DistributedTrainer(me.withSyncBatchNorm(true)).run(trainer);
 * }</pre>
 *
 * <p>What it means ({@link io.resnet4j.train.Coordination}): the options' batch size is the <b>global</b> batch
 * (each of N processes takes B/N images a step, so the run computes what one process with B would, the learning
 * rate schedule included); each process reads a disjoint shard of every epoch (torchvision's
 * {@code DistributedSampler} with {@code set_epoch}); all start from rank 0's weights (broadcast and checked);
 * rank 0 alone writes the run folder; validation covers the whole validation set once, shared out; the loss, the
 * divergence check and the time budget are agreed, so the processes never part ways. A process that dies makes the
 * others stop with a {@link ProcessGroup.Failure} (within the timeout); the run folder then holds the last
 * checkpoint, whole, and {@link Trainer#resume} continues from it.
 *
 * <p>The process group is made by {@link #run} and shut down when it returns; the caller's threads other than the
 * one in {@code run} must not use libtorch collectives meanwhile.
 */
public final class DistributedTrainer {
    private final DistributedConfig config;

    public DistributedTrainer(DistributedConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public DistributedConfig config() {
        return config;
    }

    /**
     * Joins the run (blocking until every process has arrived, at most the timeout), trains, leaves.
     *
     * @throws ProcessGroup.Failure when the rendezvous fails (port in use, master unreachable, mismatched world
     *     sizes, missing ranks) or another process stops during the run
     * @throws io.resnet4j.train.TrainingException as a single-process run would
     */
    public Trainer.Result run(Trainer trainer) {
        ProcessGroup group = ProcessGroup.join(settings(config));
        try {
            return trainer.coordination(new GlooCoordination(group, config.syncBatchNorm())).run();
        } catch (ProcessGroup.Failure e) {
            throw e.duringTrainingToo();
        } catch (ResNet4jException e) {
            throw e;
        } catch (RuntimeException e) {
            // libtorch's errors from a collective inside backward (the Reducer) or the batch-norm hooks
            throw group.lost(e).duringTrainingToo();
        } finally {
            group.close();
        }
    }

    /**
     * The engine's settings. Gloo gets one thread: its collectives run beside the compute threads on the same
     * cores, and one thread moved ResNet-50's 102 MB of gradients at ~1.2 GB/s over loopback (BENCHMARKS.md).
     */
    static ProcessGroup.Settings settings(DistributedConfig c) {
        return new ProcessGroup.Settings(c.masterAddr(), c.masterPort(), c.worldSize(), c.rank(), c.iface(),
                c.timeout(), 1);
    }
}
