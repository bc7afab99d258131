package io.resnet4j;

/**
 * The one exception type resnet4j throws for bad input, bad files and failed operations.
 *
 * <p>Its message is a complete, single-line sentence meant for a person (the CLI prints it after
 * {@code error: }), so it names the file or value at fault and what is wrong with it.
 */
public class ResNet4jException extends RuntimeException {
    public ResNet4jException(String message) {
        super(message);
    }

    public ResNet4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
