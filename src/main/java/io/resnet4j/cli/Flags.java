package io.resnet4j.cli;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.DataFormat;
import io.resnet4j.engine.Precision;

/**
 * Checks of flag values that picocli cannot make itself. A value outside its flag's range is a usage error (exit 2)
 * whose message names the flag, so that every command treats {@code --batch-size 0} or {@code --precision fp8} alike.
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

    static Precision precision(String value) {
        try {
            return Precision.parse(value);
        } catch (ResNet4jException e) {
            throw new Main.UsageException("--precision must be fp32 or bf16, got '" + value + "'");
        }
    }

    static DataFormat dataFormat(String value) {
        try {
            return DataFormat.parse(value);
        } catch (ResNet4jException e) {
            throw new Main.UsageException("--data-format must be channels_first or channels_last, got '" + value + "'");
        }
    }
}
