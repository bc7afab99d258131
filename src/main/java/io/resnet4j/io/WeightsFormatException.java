package io.resnet4j.io;

import io.resnet4j.ResNet4jException;

import java.nio.file.Path;

/**
 * A weights file (safetensors) is malformed, truncated or inconsistent.
 *
 * <p>The message is one line that names the file and the exact problem, e.g.
 * {@code model.safetensors: tensor 'fc.weight': data_offsets [0, 12] hold 12 bytes but shape [10, 64] of F32 needs 2560}.
 * Problems reaching the file at all (missing, unreadable) are plain {@link ResNet4jException}s.
 */
public class WeightsFormatException extends ResNet4jException {

    private static final long serialVersionUID = 1L;

    /** Longest piece of untrusted text (a tensor name, a dtype) quoted in a message. */
    private static final int MAX_QUOTED = 80;

    /** @param message the complete one-line message, which should start with the file name */
    public WeightsFormatException(String message) {
        super(message);
    }

    /**
     * @param message the complete one-line message, which should start with the file name
     * @param cause   the underlying error
     */
    public WeightsFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Builds the message {@code "<file>: <problem>"}.
     *
     * @param file    the file at fault, named as the caller named it
     * @param problem what is wrong, without a trailing period
     */
    public WeightsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /** Same as {@link #WeightsFormatException(Path, String)}, with the underlying error kept as the cause. */
    public WeightsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }

    /**
     * Quotes untrusted text for a message: single quotes, control and format characters escaped so the
     * message stays one printable line, and long text shortened.
     */
    static String quote(String s) {
        return "'" + clean(s) + "'";
    }

    /** Escapes characters that would break a one-line message and shortens long text. */
    static String clean(String s) {
        return clean(s, MAX_QUOTED);
    }

    /** Escapes characters that would break a one-line message and shortens text beyond {@code max} characters. */
    static String clean(String s, int max) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 8);
        int i = 0;
        for (; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            int type = Character.getType(c);
            if (c < 0x20 || c == 0x7f || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                    || type == Character.UNASSIGNED || type == Character.PRIVATE_USE || type == Character.CONTROL) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (i < s.length()) {
            b.append("...");
        }
        return b.toString();
    }
}
