package io.resnet4j.data;

import java.util.random.RandomGenerator;

/**
 * One preprocessing step or pipeline: a function of an image and a random source. Deterministic
 * transforms ignore {@code random}; random ones draw from it only, so the same image and a
 * generator in the same state always give the same result. Implementations are stateless and safe
 * to share between threads. See {@link Transforms}.
 */
@FunctionalInterface
public interface Transform {

    /** Transforms {@code image} (which is not modified) into a new or the same image. */
    Image apply(Image image, RandomGenerator random);
}
