package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Starts libtorch once per JVM: where its native libraries live, how they are loaded, how many threads it uses.
 *
 * <p>Every entry point that touches a tensor calls {@link #init()} first; it is cheap after the first call.
 *
 * <h2>Why the libraries are unpacked before anything is loaded</h2>
 * JavaCPP unpacks each native library from its jar lazily, right before loading it. With an empty cache it
 * reaches {@code libtorch.so} before its dependency {@code libtorch_cpu.so} is on disk, so the dynamic linker
 * looks for {@code libtorch_cpu.so} (and {@code libc10.so}) along the system search path instead. On a machine
 * that also has a system libtorch (Debian's {@code python3-torch}, which the peer benchmarks install), that
 * finds PyTorch 1.13's libraries and mixes them with 2.10's, which crashed the JVM with SIGSEGV in
 * {@code pthread_mutex_lock} during static initialisation. Later starts found everything in the cache and
 * worked. So we unpack every library of the three native jars first, under a file lock shared by concurrent
 * first starts, and only then load: the first start now loads exactly what every later start loads.
 *
 * <h2>Why OpenBLAS runs on one thread</h2>
 * libtorch runs its own work on an OpenMP pool ({@link #threads()}); only small matrix products (the classifier)
 * reach OpenBLAS. But OpenBLAS keeps its own worker threads, and after every call they busy-wait for the next one
 * (about 0.1 s). With two cores, that spinning thread takes a core from libtorch's OpenMP workers for most of every
 * step: ResNet-50 bf16 inference ran at 82 images/s with it and 151 without (same sitting, BENCHMARKS.md). So
 * OpenBLAS gets one thread (the caller's); {@link Probe} lends it all cores while it measures.
 */
public final class Engine {
    /** Environment variable naming the folder where native libraries are unpacked. */
    public static final String CACHE_ENV = "RESNET4J_CACHE";

    private static final String[] NATIVE_DIRS = {
        "/org/bytedeco/javacpp/", "/org/bytedeco/openblas/", "/org/bytedeco/pytorch/",
    };

    private static volatile boolean started;
    private static Thread background;

    private Engine() {}

    /** Unpacks (first time only) and loads libtorch, and sets its thread counts. Idempotent and thread-safe. */
    public static void init() {
        if (started) {
            return;
        }
        synchronized (Engine.class) {
            if (started) {
                return;
            }
            Path cache = cacheDir();
            System.setProperty("org.bytedeco.javacpp.cachedir", cache.toString());
            // libtorch's own per-thread allocator caches and OpenMP pool are what we want; JavaCPP must
            // not also try to reclaim native memory through System.gc() on every allocation.
            System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
            System.setProperty("org.bytedeco.javacpp.maxBytes", "0");
            unpackAll(cache);
            Loader.load(torch.class);
            int threads = threadsFromEnvironment();
            torch.set_num_threads(threads);
            setBlasThreads(1);
            // Ctrl-C or SIGTERM mid-step: let running operations reach a Scope boundary before exit runs
            // libtorch's static destructors under them (see Scope).
            Runtime.getRuntime().addShutdownHook(new Thread(() -> Scope.drainForShutdown(10_000), "resnet4j-drain"));
            started = true;
        }
    }

    /**
     * Starts {@link #init()} on a background thread, so that a command can read its files while libtorch loads
     * (about a second); the first {@link #init()} on another thread then waits for it. Call
     * {@link #awaitBackgroundStart()} before exiting the JVM: exiting while a library's static constructors run
     * would run its destructors under them.
     */
    public static synchronized void startInBackground() {
        if (started || background != null) {
            return;
        }
        background = new Thread(() -> {
            try {
                init();
            } catch (RuntimeException | LinkageError e) {
                // Reported again, with its message, by the first init() the command itself makes.
            }
        }, "resnet4j-engine-start");
        background.setDaemon(true);
        background.start();
    }

    /** Waits until a {@link #startInBackground()} has finished, if one was started. */
    public static void awaitBackgroundStart() {
        Thread t;
        synchronized (Engine.class) {
            t = background;
        }
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The folder native libraries unpack into: {@code $RESNET4J_CACHE}, else {@code ~/.cache/resnet4j}. */
    public static Path cacheDir() {
        String env = System.getenv(CACHE_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "resnet4j").toAbsolutePath();
    }

    /** Threads for intra-op parallelism: {@code RESNET4J_THREADS}, else all available cores. */
    static int threadsFromEnvironment() {
        String env = System.getenv("RESNET4J_THREADS");
        if (env != null && !env.isBlank()) {
            try {
                int n = Integer.parseInt(env.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default
            }
            throw new ResNet4jException("RESNET4J_THREADS must be a positive integer, got '" + env + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Number of threads libtorch uses inside one operation. */
    public static int threads() {
        init();
        return torch.get_num_threads();
    }

    /** Sets the number of threads libtorch uses inside one operation. */
    public static void setThreads(int n) {
        init();
        if (n < 1) {
            throw new ResNet4jException("thread count must be at least 1, got " + n);
        }
        torch.set_num_threads(n);
    }

    /** Threads OpenBLAS's own matrix products use (see the class description); 1 outside {@link Probe}. */
    static void setBlasThreads(int n) {
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(n);
    }

    /** Seeds libtorch's default generator (weight initialisation, random tensors). */
    public static void seed(long seed) {
        init();
        torch.manual_seed(seed);
    }

    private static void unpackAll(Path cache) {
        try {
            Files.createDirectories(cache);
            Path lockFile = cache.resolve(".resnet4j-unpack.lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = ch.lock()) {
                String platformDir = Loader.getPlatform() + "/";
                for (String dir : NATIVE_DIRS) {
                    Loader.cacheResources(dir + platformDir);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ResNet4jException("cannot unpack the native libraries into " + cache + ": " + e.getMessage()
                    + " (set " + CACHE_ENV + " to a writable folder)", e);
        }
    }
}
