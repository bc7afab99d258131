package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** Environment variable that switches the {@link SelfCheck} off when {@code off}: for experiments only. */
    public static final String SELF_CHECK_ENV = "RESNET4J_SELF_CHECK";

    /**
     * The OpenBLAS presets release the build pins: the one the libtorch presets ask for (0.3.34-1.5.14) is not
     * served, and this one provides the same {@code libopenblas} ABI (README, "The engine").
     */
    static final String OPENBLAS_PIN = "0.3.31-1.5.13";

    private static final String[] NATIVE_DIRS = {
        "/org/bytedeco/javacpp/", "/org/bytedeco/openblas/", "/org/bytedeco/pytorch/",
    };

    private static volatile boolean ready;
    // Guarded by Engine.class.
    private static boolean loaded;
    private static final List<Runnable> SHUTDOWN_TASKS = new CopyOnWriteArrayList<>();
    private static boolean shutdownHookInstalled;
    private static boolean checking;
    private static SelfCheck.Result selfCheck;
    private static ResNet4jException failure;
    private static Thread background;

    private Engine() {}

    /**
     * Unpacks (first time only) and loads libtorch, sets its thread counts, and runs the {@link SelfCheck}.
     * Idempotent and thread-safe.
     *
     * @throws ResNet4jException if the libraries cannot be unpacked or loaded, or if the self-check finds that the
     *     engine computes wrong numbers on this CPU (then on every call: nothing may run on such an engine)
     */
    public static void init() {
        if (ready) {
            return;
        }
        synchronized (Engine.class) {
            if (failure != null) {
                throw failure;
            }
            if (ready || checking) {
                return; // checking: the self-check's own tensors start the engine again on this thread
            }
            load();
            checking = true;
            try {
                selfCheck = runSelfCheck();
            } finally {
                checking = false;
            }
            if (selfCheck != null && !selfCheck.passed()) {
                failure = selfCheckFailure(selfCheck);
                throw failure;
            }
            ready = true;
        }
    }

    /** The one-line error for a failed self-check: the CPU, the engine's versions, and what disagreed. */
    static ResNet4jException selfCheckFailure(SelfCheck.Result result) {
        return new ResNet4jException("the engine computes wrong numbers on this CPU (" + CpuInfo.current().modelName()
                + "; libtorch " + libtorchVersion() + ", " + oneDnnVersionLoaded() + "): " + result.failures()
                + "; nothing was run (resnet4j doctor prints a report to file with a bug)");
    }

    /**
     * Loads the engine and runs the self-check without failing on its result: for diagnosis ({@code doctor}),
     * which must report a broken engine rather than refuse to start.
     *
     * @return the self-check's result, or null when it was switched off with {@code RESNET4J_SELF_CHECK=off}
     */
    public static SelfCheck.Result initForDiagnosis() {
        try {
            init();
        } catch (ResNet4jException e) {
            if (selfCheck == null || selfCheck.passed()) {
                throw e; // loading failed: nothing to diagnose with
            }
        }
        synchronized (Engine.class) {
            return selfCheck;
        }
    }

    /** The self-check of this process (null before {@link #init()} or when switched off). */
    public static synchronized SelfCheck.Result selfCheckResult() {
        return selfCheck;
    }

    private static SelfCheck.Result runSelfCheck() {
        String env = System.getenv(SELF_CHECK_ENV);
        if (env != null && (env.equalsIgnoreCase("off") || env.equals("0") || env.equalsIgnoreCase("false"))) {
            return null;
        }
        return SelfCheck.run();
    }

    private static void load() {
        Path cache = cacheDir();
        System.setProperty("org.bytedeco.javacpp.cachedir", cache.toString());
        // libtorch's own per-thread allocator caches and OpenMP pool are what we want; JavaCPP must
        // not also try to reclaim native memory through System.gc() on every allocation.
        System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
        System.setProperty("org.bytedeco.javacpp.maxBytes", "0");
        unpackAll(cache);
        withoutPinnedVersionWarning(() -> {
            Loader.load(torch.class);
            setBlasThreads(1);
        });
        int threads = threadsFromEnvironment();
        torch.set_num_threads(threads);
        // NNPACK: libtorch 2.13 asks NNPACK about every eligible convolution, and on CPUs NNPACK does not know
        // (the AMD EPYC machines) it logs "Could not initialize NNPACK! Reason: Unsupported hardware." each time
        // (1 172 lines in one test run). oneDNN runs those convolutions anyway, as PyTorch's
        // torch.backends.nnpack.set_flags(False) would have it.
        torch.globalContext().setUserEnabledNNPACK(false);
        // Ctrl-C or SIGTERM mid-step: let running operations reach a Scope boundary before exit runs
        // libtorch's static destructors under them (see Scope).
        installShutdownHook();
        loaded = true;
    }

    /**
     * Runs {@code task} at JVM shutdown (Ctrl-C, SIGTERM, {@code System.exit}) while native code may still run,
     * before the engine stops it: a server finishes its requests in flight here. Tasks run in the order given.
     */
    public static synchronized void onShutdown(Runnable task) {
        SHUTDOWN_TASKS.add(task);
        installShutdownHook();
    }

    private static synchronized void installShutdownHook() {
        if (shutdownHookInstalled) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Runnable t : SHUTDOWN_TASKS) {
                try {
                    t.run();
                } catch (RuntimeException e) {
                    System.err.println("error: at shutdown: " + e.getMessage());
                }
            }
            Scope.drainForShutdown(10_000);
        }, "resnet4j-drain"));
        shutdownHookInstalled = true;
    }

    /**
     * Runs {@code load} with a filter on {@code System.err} that drops exactly one line: JavaCPP's warning that
     * the pinned OpenBLAS presets ({@value #OPENBLAS_PIN}, see the README) are of another release than JavaCPP
     * itself. That pairing is deliberate and tested; every other line, any other version mismatch included, passes.
     */
    private static void withoutPinnedVersionWarning(Runnable load) {
        String expected = "Warning: Versions of org.bytedeco:javacpp:" + javacppVersion()
                + " and org.bytedeco:openblas:" + OPENBLAS_PIN + " do not match.";
        java.io.PrintStream err = System.err;
        java.io.PrintStream filtered = new java.io.PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                line.write(b);
                if (b == '\n') {
                    String text = line.toString(java.nio.charset.StandardCharsets.UTF_8);
                    if (!text.strip().equals(expected)) {
                        err.print(text);
                        err.flush();
                    }
                    line.reset();
                }
            }

            @Override
            public synchronized void flush() {
                // Whole lines only: a partial line stays until its end arrives (or close() passes it on).
            }

            @Override
            public synchronized void close() {
                if (line.size() > 0) {
                    err.print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
                    err.flush();
                    line.reset();
                }
            }
        }, true, java.nio.charset.StandardCharsets.UTF_8);
        System.setErr(filtered);
        try {
            load.run();
        } finally {
            filtered.close();
            if (System.err == filtered) {
                System.setErr(err);
            }
        }
    }

    /** The libtorch release inside the presets, e.g. {@code 2.13.0}. */
    public static String libtorchVersion() {
        String v = presetsVersion("pytorch", torch.class);
        return v.replaceFirst("-\\d+\\.\\d+\\.\\d+.*$", "");
    }

    /** JavaCPP's own release, e.g. {@code 1.5.14}. */
    public static String javacppVersion() {
        try {
            String v = Loader.getVersion();
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The Maven version of one of the presets jars ({@code org.bytedeco:ARTIFACT}), or "unknown". */
    public static String presetsVersion(String artifact, Class<?> cls) {
        try {
            String v = Loader.getVersion("org.bytedeco", artifact, cls);
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** oneDNN's version as libtorch reports it, e.g. {@code oneDNN v3.12.0}. */
    public static String oneDnnVersion() {
        init();
        return oneDnnVersionLoaded();
    }

    static String oneDnnVersionLoaded() {
        String v = torch.get_mkldnn_version().getString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("v(\\d+\\.\\d+(\\.\\d+)?)").matcher(v);
        return m.find() ? "oneDNN v" + m.group(1) : v.strip();
    }

    /**
     * Starts {@link #init()} on a background thread, so that a command can read its files while libtorch loads
     * (about a second); the first {@link #init()} on another thread then waits for it. Call
     * {@link #awaitBackgroundStart()} before exiting the JVM: exiting while a library's static constructors run
     * would run its destructors under them.
     */
    public static synchronized void startInBackground() {
        if (ready || background != null) {
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

    /**
     * Threads for intra-op parallelism: {@code RESNET4J_THREADS}, else all available cores. Reads the environment
     * only (loads nothing), so a launcher can call it before it starts its workers.
     */
    public static int threadsFromEnvironment() {
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
