package io.resnet4j.engine;

import org.bytedeco.pytorch.NoGradGuard;

/** Autograd off for a region (weight initialisation, loading, optimizer updates): try-with-resources. */
public final class NoGrad implements AutoCloseable {
    private final NoGradGuard guard;

    private NoGrad() {
        this.guard = new NoGradGuard();
    }

    public static NoGrad begin() {
        Engine.init();
        return new NoGrad();
    }

    @Override
    public void close() {
        guard.close();
    }
}
