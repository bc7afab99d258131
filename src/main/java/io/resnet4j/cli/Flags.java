package io.resnet4j.cli;

import io.resnet4j.ResNet4jException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Checks of flag values that picocli cannot make itself, and the base of the converters of flags that take one of a
 * few words. A value outside its flag's range is a usage error (exit 2) whose message names the flag, so that every
 * command treats {@code --batch-size 0} or {@code --precision fp8} alike.
 */
final class Flags {
    private Flags() {
    }

    /** Throws a usage error {@code FLAG must be RULE, got VALUE} unless {@code ok}; a null value is always fine. */
    static void check(String flag, Object value, boolean ok, String rule) {
        if (value != null && !ok) {
            throw new Main.UsageException(flag + " must be " + rule + ", got " + value);
        }
    }

    static void atLeast(String flag, Integer value, int min) {
        check(flag, value, value == null || value >= min, "at least " + min);
    }

    static void between(String flag, Integer value, int min, int max) {
        check(flag, value, value == null || (value >= min && value <= max), "between " + min + " and " + max);
    }

    static void positive(String flag, Double value) {
        check(flag, value, value == null || (value > 0 && Double.isFinite(value)), "a positive number");
    }

    static void nonNegative(String flag, Double value) {
        check(flag, value, value == null || (value >= 0 && Double.isFinite(value)), "a number of at least 0");
    }

    /** {@code lo <= value < hi} (or {@code <= hi} when {@code hiInclusive}). */
    static void fraction(String flag, Double value, boolean hiInclusive) {
        check(flag, value, value == null || (value >= 0 && (hiInclusive ? value <= 1 : value < 1)),
                hiInclusive ? "in [0, 1]" : "in [0, 1)");
    }

    /**
     * {@code parse(value)}, or a {@link BadValue} {@code must be A or B, got 'VALUE'} listing {@code words} when it
     * refuses the value (by returning null or throwing a {@link ResNet4jException}). For the converters of flags
     * whose value is one of a few words.
     */
    static <T> T word(String value, Function<String, T> parse, Iterable<String> words) {
        T t = null;
        try {
            t = value == null || value.isBlank() ? null : parse.apply(value);
        } catch (ResNet4jException e) {
            // reported below
        }
        if (t == null) {
            throw new BadValue("must be " + oneOf(words) + ", got '" + value + "'");
        }
        return t;
    }

    /** "a", "a or b", "a, b or c". */
    static String oneOf(Iterable<String> words) {
        List<String> w = new ArrayList<>();
        words.forEach(w::add);
        int n = w.size();
        return n <= 1 ? String.join("", w) : String.join(", ", w.subList(0, n - 1)) + " or " + w.get(n - 1);
    }

    /**
     * A flag value that its converter refuses: the message is {@code must be …, got '…'}, and {@link Main} prints
     * it after the flag's name as a usage error (exit 2).
     */
    static final class BadValue extends CommandLine.TypeConversionException {
        private static final long serialVersionUID = 1L;

        BadValue(String message) {
            super(message);
        }
    }
}
