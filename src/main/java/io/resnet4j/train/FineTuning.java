package io.resnet4j.train;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Normalization;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import io.resnet4j.model.Weights;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Fine-tuning from a model directory (one of ours, or one that {@code import} wrote): the model starts from the
 * directory's weights; when the classes differ, the classifier keeps its fresh initialisation (the architecture's
 * own, see {@link ResNet#build}) and everything else is loaded; for the first {@code freezeEpochs}
 * epochs the backbone (every tensor but the classifier's) is frozen: no gradients, no updates, batch norm in
 * evaluation mode, so its parameters and running statistics stay bit for bit what they were.
 *
 * <p>The training run keeps the directory's preprocessing (its normalization), which the weights were trained with,
 * rather than measuring the new data's.
 *
 * @param dir the model directory to start from
 * @param config its config
 * @param freezeEpochs epochs with a frozen backbone: 0 none, {@link Integer#MAX_VALUE} all
 */
public record FineTuning(Path dir, ModelConfig config, int freezeEpochs) {

    /** Freezes the backbone for every epoch. */
    public static final int ALL_EPOCHS = Integer.MAX_VALUE;

    public FineTuning {
        if (freezeEpochs < 0) {
            throw new ResNet4jException("freeze epochs must be at least 0, got " + freezeEpochs);
        }
    }

    /** Reads {@code dir}'s config (not its weights yet). */
    public static FineTuning from(Path dir, int freezeEpochs) {
        return new FineTuning(dir, ModelDirectory.config(dir), freezeEpochs);
    }

    /** The architecture to train: the directory's, with {@code classes} classes. */
    public Architecture architecture(int classes) {
        return config.architecture().withClasses(classes);
    }

    /** The preprocessing the weights were trained with, for {@code channels} input channels. */
    public Normalization normalization(int channels) {
        return config.normalization().withChannels(channels);
    }

    /**
     * Loads the directory's weights into {@code model}: all of them when the classes agree, all but the
     * classifier's otherwise (which {@code model} has freshly initialised).
     */
    public void initialise(ResNet model, Consumer<String> log) {
        Architecture from = config.architecture();
        boolean sameHead = from.numClasses() == model.architecture().numClasses();
        Set<String> head = Set.copyOf(model.classifierTensors());
        Weights.load(model, dir.resolve(ModelDirectory.WEIGHTS), name -> sameHead || !head.contains(name));
        log.accept(String.format("resnet4j: starting from %s (%s)%s", dir, from.name(), sameHead ? ""
                : String.format("; new classifier for %d classes (was %d)", model.architecture().numClasses(),
                        from.numClasses())));
        if (freezeEpochs > 0) {
            log.accept("resnet4j: backbone frozen " + (freezeEpochs == ALL_EPOCHS ? "for the whole run"
                    : "for the first " + freezeEpochs + " epoch" + (freezeEpochs == 1 ? "" : "s")));
        }
    }

    /** Freezes or thaws the backbone for epoch {@code epoch} (0-based); call before the epoch's training. */
    public void beforeEpoch(ResNet model, int epoch) {
        model.freezeBackbone(epoch < freezeEpochs);
    }
}
