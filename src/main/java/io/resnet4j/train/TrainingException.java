package io.resnet4j.train;

import io.resnet4j.ResNet4jException;

/**
 * A training run that cannot start or cannot go on, saying which {@link Problem} it is, so that a front end can add
 * advice in its own terms (the CLI names the flag to change) while the message stays in the library's.
 */
public final class TrainingException extends ResNet4jException {
    /** What is wrong, and what the caller could change. */
    public enum Problem {
        /** The model's number of classes is not the data's: make them agree. */
        CLASS_COUNT_MISMATCH,
        /** The checkpoint to resume from is of another architecture: use another run folder or that architecture. */
        CHECKPOINT_OF_ANOTHER_ARCHITECTURE,
        /** The checkpoint to resume from has already done more epochs than asked for: ask for more. */
        NO_EPOCHS_LEFT,
        /** The loss stopped being finite: a lower learning rate usually helps. */
        DIVERGED
    }

    private final Problem problem;

    public TrainingException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
