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

    /** Moves a native object out of this scope to the enclosing one (or to the GC when there is none). */
    public <T extends org.bytedeco.javacpp.Pointer> T keep(T pointer) {
        scope.detach(pointer);
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            outer.attach(pointer);
        }
        return pointer;
    }

    @Override
    public void close() {
        scope.close();
    }
}
