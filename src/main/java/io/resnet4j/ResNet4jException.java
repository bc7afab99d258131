package io.resnet4j;

/**
 * The one exception type resnet4j throws for bad input, bad files and failed operations.
 *
 * <p>Its message is a complete, single-line sentence meant for a person (the CLI prints it after
 * {@code error: }), so it names the file or value at fault and what is wrong with it. Subclasses say more where a
 * caller may act on it ({@link io.resnet4j.data.UnreadableImageException}: one image could not be decoded;
 * {@link io.resnet4j.train.TrainingException}: a training run cannot start or diverged).
 */
public class ResNet4jException extends RuntimeException {
    /**
     * An exception with a one-line message.
     *
     * @param message what is wrong, naming the file or value at fault
     */
    public ResNet4jException(String message) {
        super(message);
    }

    /**
     * An exception with a one-line message and the failure that caused it.
     *
     * @param message what is wrong, naming the file or value at fault
     * @param cause the underlying failure (an {@link java.io.IOException}, say)
     */
    public ResNet4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
