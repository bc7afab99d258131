package io.resnet4j.train;

import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog.MetricsRow;

/**
 * Everything a training run leaves for people and later runs: the run folder's files (checkpoints, {@code
 * metrics.csv}, plots, the final model directory), the progress bar and the log lines. The trainer decides what
 * happens; this decides whether and where it is written down.
 *
 * <p>It is one seam so that data-parallel training can switch all of it off at once: every process trains, but
 * only the primary one (rank 0) writes; the others run with {@link #silent()}. {@link RunFolderOutput} is the
 * primary's (and a single process's).
 */
public interface RunOutput {
    /** Makes the run folder ready (created, temporaries of interrupted writes removed, {@code metrics.csv} open). */
    void open();

    /** One line for the person watching the run. */
    void log(String line);

    /** The progress display of one epoch's training, {@code total} images. */
    Progress progress(String task, long total);

    /** Drops the metrics rows of epochs after {@code epoch}: they are about to be redone. */
    void retainMetricsUpTo(int epoch);

    /**
     * One optimizer step was taken: {@code step} (0-based, over the whole run) of epoch {@code epoch} (1-based) on
     * {@code images} images, of which {@code correct} the model classified correctly (before the update), at mean
     * loss {@code loss}. For curves finer than an epoch; by default nothing is recorded.
     */
    default void recordStep(int epoch, long step, int images, long correct, double loss) {
    }

    /** Records the metrics of a finished epoch, and the curves of all epochs so far. */
    void recordEpoch(MetricsRow row);

    /**
     * Writes the checkpoint after {@code epoch} completed epochs ({@link Checkpoint}), then removes the ones of later
     * epochs, which an earlier run in the same folder left.
     */
    void checkpoint(ResNet model, Sgd sgd, int epoch, long step, double seconds, ModelConfig config, String options);

    /** Saves the trained model as a model directory. */
    void saveModel(ResNet model, ModelConfig config);

    /** Output that writes nothing and shows nothing: a process of a data-parallel run other than the primary. */
    static RunOutput silent() {
        return SilentRunOutput.INSTANCE;
    }
}
