package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.io.AtomicFiles;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog.MetricsRow;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The run folder and the log of a single process, or of the primary process of a data-parallel run: {@code
 * config.json} and {@code model.safetensors} at the end, {@code metrics.csv}, {@code loss.png}, {@code accuracy.png},
 * {@code lr.png} after every epoch, and {@code checkpoints/}; every file written atomically ({@link AtomicFiles}).
 * Log lines go to the given stream, the progress bar to stderr.
 */
public final class RunFolderOutput implements RunOutput {
    private final Path dir;
    private final PrintStream log;
    private MetricsLog metrics;

    /**
     * @param dir the run folder (created by {@link #open()})
     * @param log where the log lines go
     */
    public RunFolderOutput(Path dir, PrintStream log) {
        this.dir = dir;
        this.log = log;
    }

    /** The run folder. */
    public Path dir() {
        return dir;
    }

    @Override
    public void open() {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ResNet4jException("the run folder " + dir + " is a file, not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ResNet4jException("cannot create the run folder " + dir + ": " + AtomicFiles.describe(e), e);
        }
        // A run killed in the middle of a write leaves its temporary file behind; this folder is ours.
        for (Path d : List.of(dir, dir.resolve(Checkpoint.DIR))) {
            int stale = AtomicFiles.removeStaleTemporaries(d);
            if (stale > 0) {
                log.printf("resnet4j: removed %d temporary file%s left in %s by an interrupted write%n", stale,
                        stale == 1 ? "" : "s", d);
            }
        }
        metrics = MetricsLog.open(dir);
    }

    @Override
    public void log(String line) {
        log.println(line);
    }

    @Override
    public Progress progress(String task, long total) {
        return Progress.start(task, total);
    }

    @Override
    public void retainMetricsUpTo(int epoch) {
        metrics().retainUpTo(epoch);
    }

    @Override
    public void recordEpoch(MetricsRow row) {
        metrics().append(row);
        Plots.trainingCurves(metrics.rows(), dir);
    }

    @Override
    public void checkpoint(ResNet model, Sgd sgd, int epoch, long step, double seconds, ModelConfig config,
            String options) {
        Checkpoint.write(dir, model, sgd, epoch, step, seconds, config, options);
        int later = Checkpoint.removeAfter(dir, epoch);
        if (later > 0) {
            log.printf("resnet4j: removed %d checkpoint%s after epoch %d, of an earlier or abandoned run%n", later,
                    later == 1 ? "" : "s", epoch);
        }
    }

    @Override
    public void saveModel(ResNet model, ModelConfig config) {
        ModelDirectory.save(dir, model, config);
    }

    private MetricsLog metrics() {
        if (metrics == null) {
            throw new IllegalStateException("the run folder output is not open");
        }
        return metrics;
    }
}
