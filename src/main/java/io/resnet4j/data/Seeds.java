package io.resnet4j.data;

/** Derivation of independent 64-bit seeds from a tuple of numbers (SplitMix64 finalizer chaining). */
final class Seeds {
    private Seeds() {
    }

    /** A well-mixed seed for the tuple {@code parts}; different tuples give unrelated seeds. */
    static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L ^ parts.length;
        for (long p : parts) {
            h = mix64(h + 0x9E3779B97F4A7C15L + mix64(p ^ 0xD1B54A32D192ED03L));
        }
        return h;
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
