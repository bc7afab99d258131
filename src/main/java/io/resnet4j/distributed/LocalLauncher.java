package io.resnet4j.distributed;

import io.resnet4j.ResNet4jException;
import io.resnet4j.engine.Engine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code torchrun --standalone --nproc-per-node N} for resnet4j: starts N worker JVMs of the same program on this
 * machine, with torchrun's environment ({@code MASTER_ADDR=127.0.0.1}, a free {@code MASTER_PORT},
 * {@code WORLD_SIZE}, {@code RANK}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}) and the libtorch threads split
 * between them ({@code RESNET4J_THREADS}), and waits for them.
 *
 * <p>Rank 0 shares this process's standard output and error (its progress bar and log lines are the run's). The
 * other ranks' output passes through this process line by line, except their {@code error:} lines, which are kept
 * back: when a worker fails, the others stop on their own within the timeout (or are stopped), and the run ends
 * with one error line, rank 0's, or the first other one when rank 0 did not say, or, when no worker said anything,
 * which worker died and how.
 */
public final class LocalLauncher {
    private final int nproc;
    private final Duration timeout;
    private final PrintStream err;

    /**
     * @param timeout how long the others may take to stop after a worker failed before they are killed
     * @param err where the launcher's own error line goes
     */
    public LocalLauncher(int nproc, Duration timeout, PrintStream err) {
        if (nproc < 1) {
            throw new ResNet4jException("--nproc must be at least 1, got " + nproc);
        }
        this.nproc = nproc;
        this.timeout = timeout;
        this.err = err;
    }

    /**
     * Runs {@code mainClass args} in N worker JVMs (this JVM's java, class path and options) and returns the run's
     * exit code: 0 when all succeeded, else the first failure's.
     */
    public int launch(String mainClass, List<String> args) throws InterruptedException {
        int port = freePort();
        int threads = Math.max(1, Engine.threadsFromEnvironment() / nproc);
        List<Process> workers = new ArrayList<>();
        List<String> kept = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> pumps = new ArrayList<>();
        Thread stopper = new Thread(() -> workers.forEach(Process::destroy), "resnet4j-stop-workers");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            for (int r = 0; r < nproc; r++) {
                ProcessBuilder pb = new ProcessBuilder(command(mainClass, args));
                Map<String, String> env = pb.environment();
                env.put("MASTER_ADDR", "127.0.0.1");
                env.put("MASTER_PORT", Integer.toString(port));
                env.put("WORLD_SIZE", Integer.toString(nproc));
                env.put("RANK", Integer.toString(r));
                env.put("LOCAL_RANK", Integer.toString(r));
                env.put("LOCAL_WORLD_SIZE", Integer.toString(nproc));
                env.put("RESNET4J_THREADS", Integer.toString(threads));
                env.put("OMP_NUM_THREADS", Integer.toString(threads));
                if (r == 0) {
                    pb.inheritIO();
                } else {
                    pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
                    pb.redirectErrorStream(true);
                }
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new ResNet4jException("cannot start worker " + r + ": " + e.getMessage(), e);
                }
                workers.add(p);
                if (r > 0) {
                    pumps.add(pump(p, kept));
                }
            }
            return await(workers, kept, pumps);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException ignored) {
                // shutting down: the hook runs
            }
        }
    }

    private int await(List<Process> workers, List<String> kept, List<Thread> pumps) throws InterruptedException {
        int firstFailed = -1;
        long deadline = Long.MAX_VALUE;
        while (true) {
            boolean alive = false;
            for (int r = 0; r < workers.size(); r++) {
                Process p = workers.get(r);
                if (p.isAlive()) {
                    alive = true;
                } else if (p.exitValue() != 0 && firstFailed < 0) {
                    firstFailed = r;
                    deadline = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(10);
                }
            }
            if (!alive) {
                break;
            }
            if (System.nanoTime() > deadline) {
                workers.forEach(Process::destroyForcibly);
            }
            Thread.sleep(50);
        }
        for (Thread t : pumps) {
            t.join(2000);
        }
        if (firstFailed < 0) {
            return 0;
        }
        int code0 = workers.get(0).exitValue();
        if (code0 == 1 || code0 == 2) {
            return code0; // rank 0 said what went wrong
        }
        if (!kept.isEmpty()) {
            err.println(kept.get(0));
        } else {
            int code = workers.get(firstFailed).exitValue();
            err.println(String.format("error: worker %d of %d %s", firstFailed, workers.size(), code > 128
                    ? "was killed by signal " + (code - 128) : "exited with code " + code));
        }
        return code0 != 0 ? code0 : 1;
    }

    /** Forwards a worker's lines, keeping back its {@code error:} lines. */
    private static Thread pump(Process p, List<String> kept) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("error: ")) {
                        kept.add(line);
                    } else {
                        System.err.println(line);
                    }
                }
            } catch (IOException ignored) {
                // the worker is gone
            }
        }, "resnet4j-worker-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static List<String> command(String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String o : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!o.startsWith("-agentlib:jdwp") && !o.startsWith("-javaagent")) {
                cmd.add(o);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** A port nobody listens on now (the kernel's choice); rank 0 binds it moments later. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new ResNet4jException("cannot find a free port for the rendezvous: " + e.getMessage(), e);
        }
    }
}
