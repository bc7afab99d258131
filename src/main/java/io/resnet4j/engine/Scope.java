package io.resnet4j.engine;

import org.bytedeco.javacpp.PointerScope;

/**
 * A region whose native tensors are freed when it closes: wrap every step (a forward, a training step,
 * a batch of predictions) in one so native memory stays flat over long loops.
 *
 * <p>Tensors created inside the scope are released at {@link #close()}; anything that must outlive it
 * (model weights, optimizer state, a result handed to the caller) is created outside or {@link #keep kept}.
 * Scopes nest; they are per thread.
 */
public final class Scope implements AutoCloseable {
    private final PointerScope scope;

    private Scope() {
        this.scope = new PointerScope();
    }

    /** Opens a scope on the current thread. */
    public static Scope open() {
        Engine.init();
        return new Scope();
    }

    /**
     * Keeps a native object alive past this scope; the garbage collector frees it once unreachable. (A scope
     * counts references: closing it drops one from everything attached, so one more keeps the object.)
     */
    public <T extends org.bytedeco.javacpp.Pointer> T keep(T pointer) {
        pointer.retainReference();
        return pointer;
    }

    @Override
    public void close() {
        scope.close();
    }
}
