package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.nio.file.Path;

/**
 * An image file that cannot be decoded: empty, not an image, corrupt, truncated, or larger than the
 * pixel limit. The message names the file. {@link BatchLoader} counts and skips examples that throw
 * this (when {@link BatchLoader.Config#skipUnreadable()} is on); everything else propagates it.
 */
public class UnreadableImageException extends ResNet4jException {
    private final transient Path file;

    public UnreadableImageException(Path file, String message) {
        super(message);
        this.file = file;
    }

    public UnreadableImageException(Path file, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** The file at fault, or {@code null} when the image came from memory. */
    public Path file() {
        return file;
    }
}
