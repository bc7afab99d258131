package io.resnet4j.engine;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.bytedeco.javacpp.PointerScope;

/**
 * A region whose native tensors are freed when it closes: wrap every step (a forward, a training step,
 * a batch of predictions) in one so native memory stays flat over long loops.
 *
 * <p>Tensors created inside the scope are released at {@link #close()}; anything that must outlive it
 * (model weights, optimizer state, a result handed to the caller) is created outside it.
 * Scopes nest; they are per thread.
 *
 * <p>Scopes are also where a stopping JVM (Ctrl-C, SIGTERM) waits for native work: libtorch's static destructors
 * run at exit, and an operation still running then crashes the process. So once the JVM is shutting down, a thread
 * that reaches a scope boundary parks there, and the shutdown hook waits (a few seconds at most) until no thread
 * is inside a scope before letting the JVM exit.
 */
public final class Scope implements AutoCloseable {
    private static final AtomicInteger ACTIVE = new AtomicInteger();
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static volatile boolean stopping;

    private final PointerScope scope;

    private Scope() {
        this.scope = new PointerScope();
    }

    /** Opens a scope on the current thread. */
    public static Scope open() {
        Engine.init();
        parkIfStopping();
        ACTIVE.incrementAndGet();
        DEPTH.get()[0]++;
        return new Scope();
    }

    /**
     * Keeps a native object created inside the current thread's scope alive past it (the garbage collector frees it
     * once unreachable). A scope counts references: closing it drops one from everything attached, so one more keeps
     * the object. Outside any scope this does nothing.
     */
    public static <T extends org.bytedeco.javacpp.Pointer> T outlive(T pointer) {
        if (PointerScope.getInnerScope() != null) {
            pointer.retainReference();
        }
        return pointer;
    }

    @Override
    public void close() {
        scope.close();
        DEPTH.get()[0]--;
        ACTIVE.decrementAndGet();
        parkIfStopping();
    }

    /** Called by the shutdown hook: stop new native work and wait for running steps to reach a boundary. */
    static void drainForShutdown(long timeoutMillis) {
        stopping = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (ACTIVE.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static void parkIfStopping() {
        if (!stopping) {
            return;
        }
        // This thread runs no more native code: it no longer counts as being inside its open scopes.
        int depth = DEPTH.get()[0];
        DEPTH.get()[0] = 0;
        ACTIVE.addAndGet(-depth);
        while (true) {
            LockSupport.park();
        }
    }
}
