package io.resnet4j.train;

import io.resnet4j.distributed.DistributedConfig;
import io.resnet4j.distributed.DistributedTrainer;
import io.resnet4j.engine.Precision;
import io.resnet4j.model.Architecture;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One process of a data-parallel test run, in a child JVM: trains the tiny net on {@link SyntheticData} with
 * the Java API and leaves its own model directory (every rank writes, so that the test can compare them).
 *
 * <p>Arguments: {@code RANK WORLD PORT OUT EPOCHS BATCH SYNC_BN RESUME [TIMEOUT_S]}; world 1 trains without any
 * process group (the single-process reference).
 */
public final class DistributedChild {
    private DistributedChild() {}

    static Architecture arch() {
        return Architecture.custom(Architecture.Version.V2, Architecture.Block.BASIC, List.of(1, 1, 1), 8,
                Architecture.Stem.CIFAR).withInChannels(1).withClasses(4);
    }

    static TrainOptions options(int epochs, int batch) {
        return TrainOptions.defaults().withEpochs(epochs).withBatchSize(batch).withLr(0.05).withWarmupEpochs(0.5)
                .withAugment(false).withPrecision(Precision.FP32);
    }

    public static void main(String[] a) {
        int rank = Integer.parseInt(a[0]);
        int world = Integer.parseInt(a[1]);
        int port = Integer.parseInt(a[2]);
        Path out = Path.of(a[3]);
        int epochs = Integer.parseInt(a[4]);
        int batch = Integer.parseInt(a[5]);
        boolean syncBn = Boolean.parseBoolean(a[6]);
        boolean resume = Boolean.parseBoolean(a[7]);
        int timeout = a.length > 8 ? Integer.parseInt(a[8]) : 60;
        PrintStream log = System.err;
        Trainer t = new Trainer(SyntheticData.splits(256, 40), arch(), options(epochs, batch), out, log)
                .resume(resume).output(new RunFolderOutput(out, log));
        Trainer.Result r;
        try {
            if (world == 1 && port == 0) {
                r = t.run();
            } else {
                DistributedConfig c = DistributedConfig.local(port, world, rank).withSyncBatchNorm(syncBn)
                        .withTimeout(Duration.ofSeconds(timeout));
                r = new DistributedTrainer(c).run(t);
            }
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.printf("done rank %d: %d epochs, val loss %.6f top-1 %.4f examples %d%n", rank, r.epochs(),
                r.validation().loss(), r.validation().top1(), r.validation().examples());
        System.exit(0);
    }
}
