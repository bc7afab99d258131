package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.BackendOptional;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.LoggerOptional;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.gloo.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * One process's membership of a data-parallel run: PyTorch's c10d machinery, as {@code torch.distributed}
 * sets it up for {@code init_process_group("gloo", init_method="env://")}. Rank 0 serves a {@code TCPStore} on
 * the master's port, every process connects to it, checks that all agree on the world size, and joins a
 * {@code ProcessGroupGloo} (a full mesh of TCP pairs) wrapped in a c10d {@code ProcessGroup}, which is what
 * libtorch's {@code Reducer} ({@link GradientReducer}) all-reduces on.
 *
 * <p>Every collective here blocks until it is complete on this process, or fails after the group's timeout (a
 * process that died makes its peers' next collective fail at once: the TCP pair closes). Failures are
 * {@link Failure}s whose messages say what happened in one line.
 *
 * <p>The presets' traps, each of which crashes the JVM: a store created with {@code new} is adopted by libtorch
 * the first time it is passed where an intrusive pointer is expected, so each raw store is passed once and
 * {@code clone()}s after that; vectors built from one {@code long} are of that <i>length</i>; everything native
 * stays strongly reachable from this object for the life of the group.
 */
public final class ProcessGroup implements AutoCloseable {
    /** The key prefix of our own rendezvous checks in the store. */
    private static final String KEY = "resnet4j/";

    /**
     * Where and who: the master's address and port (rank 0 listens there), the number of processes and this one's
     * rank, the network interface Gloo's connections use (null: the address that routes to the master), how long
     * any wait may take, and Gloo's worker threads.
     */
    public record Settings(String masterAddr, int masterPort, int worldSize, int rank, String iface,
            Duration timeout, int glooThreads) {
        public Settings {
            if (worldSize < 1) {
                throw new ResNet4jException("the world size must be at least 1, got " + worldSize);
            }
            if (rank < 0 || rank >= worldSize) {
                throw new ResNet4jException("the rank must be in [0, " + (worldSize - 1) + "], got " + rank);
            }
            if (masterPort < 1 || masterPort > 65535) {
                throw new ResNet4jException("the master port must be in [1, 65535], got " + masterPort);
            }
            if (masterAddr == null || masterAddr.isBlank()) {
                throw new ResNet4jException("no master address");
            }
            if (glooThreads < 1) {
                throw new ResNet4jException("Gloo needs at least one thread, got " + glooThreads);
            }
        }
    }

    /** A rendezvous or collective that failed; the message is one line. */
    public static final class Failure extends ResNet4jException {
        private final boolean duringTraining;

        Failure(String message, Throwable cause) {
            this(message, cause, false);
        }

        private Failure(String message, Throwable cause, boolean duringTraining) {
            super(message, cause);
            this.duringTraining = duringTraining;
        }

        /** Whether the run had started training (so its folder may hold a checkpoint to resume from). */
        public boolean duringTraining() {
            return duringTraining;
        }

        /** This failure, marked as one that happened after the run had started training. */
        public Failure duringTrainingToo() {
            return duringTraining ? this : new Failure(getMessage(), getCause(), true);
        }
    }

    private final Settings settings;
    private final TCPStore store;
    private final Store glooStore;
    private final Device device;
    private final GlooDeviceVector devices;
    private final ProcessGroupGloo.Options options;
    private final ProcessGroupGloo gloo;
    private final org.bytedeco.pytorch.ProcessGroup group;
    private volatile boolean broken;

    private ProcessGroup(Settings s) {
        Engine.init();
        this.settings = s;
        this.store = connect(s);
        checkMembers(s);
        String host = s.iface() != null ? null : localAddressTowards(s.masterAddr());
        try {
            this.device = host == null ? ProcessGroupGloo.createDeviceForInterface(s.iface())
                    : ProcessGroupGloo.createDeviceForHostname(host);
        } catch (RuntimeException e) {
            throw new Failure("cannot use " + (host == null ? "network interface " + s.iface() : host)
                    + " for Gloo: " + firstLine(e), e);
        }
        this.devices = new GlooDeviceVector(device);
        this.options = ProcessGroupGloo.Options.create(new Milliseconds(s.timeout().toMillis()));
        options.devices(devices);
        options.threads(s.glooThreads());
        try {
            // Two raw objects, each passed exactly once: a clone of the store for Gloo, the store for c10d.
            this.glooStore = store.clone();
            this.gloo = new ProcessGroupGloo(glooStore, s.rank(), s.worldSize(), options);
            this.group = new org.bytedeco.pytorch.ProcessGroup(store.clone(), s.rank(), s.worldSize());
            group.setBackend(torch.DeviceType.CPU, org.bytedeco.pytorch.ProcessGroup.BackendType.GLOO,
                    new BackendOptional(gloo));
            group.setDefaultBackend(org.bytedeco.pytorch.ProcessGroup.BackendType.GLOO);
        } catch (RuntimeException e) {
            throw new Failure(String.format("rank %d of %d could not connect to the other processes within %d s: %s",
                    s.rank(), s.worldSize(), s.timeout().toSeconds(), firstLine(e)), e);
        }
    }

    /**
     * Joins the run: connects to (rank 0: serves) the store, checks the members, connects Gloo. Blocks until every
     * process has arrived, at most the timeout.
     *
     * @throws Failure when the port is taken, the master cannot be reached, two processes claim one rank, the
     *     processes disagree on the world size, or not all of them arrive in time
     */
    public static ProcessGroup join(Settings s) {
        return new ProcessGroup(s);
    }

    public int rank() {
        return settings.rank();
    }

    public int worldSize() {
        return settings.worldSize();
    }

    /** The c10d process group, for the {@link GradientReducer}. */
    org.bytedeco.pytorch.ProcessGroup group() {
        return group;
    }

    /** Sums {@code t} over all processes, in place, and waits for it. */
    public void allreduceSum(Tensor t) {
        AllreduceOptions o = new AllreduceOptions();
        o.reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
        await(call(() -> group.allreduce(new TensorVector(t), o)));
    }

    /** {@code values} summed over all processes (float64, exact for counts below 2^53). */
    public double[] sum(double[] values) {
        try (Scope s = Scope.open()) {
            Tensor t = fromDoubles(values);
            allreduceSum(t);
            return toDoubles(t);
        }
    }

    /** Rank 0's {@code values}, in every process. */
    public double[] broadcast(double[] values) {
        try (Scope s = Scope.open()) {
            Tensor t = fromDoubles(values);
            await(call(() -> group.broadcast(new TensorVector(t))));
            return toDoubles(t);
        }
    }

    /**
     * Overwrites {@code tensors} with rank 0's, after checking that every process holds tensors of the same shapes
     * and layouts ({@code verify_params_across_processes}); what DDP does to a model's parameters and buffers.
     */
    public void broadcastFromRank0(List<Tensor> tensors) {
        if (tensors.isEmpty()) {
            return;
        }
        TensorVector v = new TensorVector(tensors.toArray(new Tensor[0]));
        call(() -> {
            torch.verify_params_across_processes(group, v, new LoggerOptional());
            return null;
        });
        broadcastCoalesced(v);
    }

    /**
     * Overwrites {@code tensors} with rank 0's, without the shape check (for tensors {@link #broadcastFromRank0}
     * has checked once: DDP's per-step buffer broadcast).
     */
    public void broadcastCoalesced(List<Tensor> tensors) {
        if (!tensors.isEmpty()) {
            broadcastCoalesced(new TensorVector(tensors.toArray(new Tensor[0])));
        }
    }

    private void broadcastCoalesced(TensorVector tensors) {
        try (NoGrad ng = NoGrad.begin()) {
            call(() -> {
                torch.broadcast_coalesced(group, tensors, 256L << 20, 0);
                return null;
            });
        }
    }

    /** Waits until every process has reached this call. */
    public void barrier() {
        await(call(group::barrier));
    }

    /** Leaves the run: waits for pending work and shuts the group down (best effort; failures are ignored). */
    @Override
    public void close() {
        if (broken) {
            return; // a broken mesh can block in shutdown; the process is about to end anyway
        }
        try {
            group.shutdown();
        } catch (RuntimeException ignored) {
            // the other side may already be gone
        }
    }

    private void await(Work w) {
        call(() -> {
            w._wait(new Milliseconds(settings.timeout().toMillis()));
            return null;
        });
    }

    private <T> T call(java.util.function.Supplier<T> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            broken = true;
            throw lost(e);
        }
    }

    /** The one-line error for a failed collective (or a failure during a backward pass that all-reduces). */
    public Failure lost(RuntimeException e) {
        broken = true;
        return lost(settings, e);
    }

    static Failure lost(Settings s, Throwable e) {
        String m = firstLine(e);
        String inner = Failure.class.getName() + ": ";
        if (m.startsWith(inner)) {
            // A failure of ours thrown in a gradient hook, carried through libtorch's backward as its message.
            return new Failure(m.substring(inner.length()), e);
        }
        String why = m.contains("Timed out") || m.contains("timed out") || m.contains("Timeout")
                ? String.format("no answer within the %d s timeout", s.timeout().toSeconds())
                : "a process stopped";
        return new Failure(String.format("the data-parallel run broke off (rank %d of %d): %s (%s)", s.rank(),
                s.worldSize(), why, m), e);
    }

    private static TCPStore connect(Settings s) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) s.masterPort());
        o.isServer(s.rank() == 0);
        o.waitWorkers(false);
        o.timeout(new Milliseconds(s.timeout().toMillis()));
        try {
            return new TCPStore(s.masterAddr(), o);
        } catch (RuntimeException e) {
            String m = firstLine(e);
            if (s.rank() == 0 && (m.contains("EADDRINUSE") || m.contains("address already in use")
                    || m.contains("Address already in use"))) {
                throw new Failure("the master port " + s.masterPort() + " is in use on this machine; rank 0 serves "
                        + "the rendezvous there (choose another MASTER_PORT)", e);
            }
            if (s.rank() == 0) {
                throw new Failure("rank 0 cannot serve the rendezvous on port " + s.masterPort() + ": " + m, e);
            }
            throw new Failure(String.format("cannot reach the master %s:%d within %d s (is rank 0 running, and are "
                    + "MASTER_ADDR and MASTER_PORT the same for every process?): %s", s.masterAddr(),
                    s.masterPort(), s.timeout().toSeconds(), m), e);
        }
    }

    /** Every rank registers; all must agree with rank 0 on the world size, and no rank may be taken twice. */
    private void checkMembers(Settings s) {
        try {
            long claims = store.add(KEY + "claim/" + s.rank(), 1);
            if (claims > 1) {
                throw new Failure(String.format("two processes claim rank %d of %d (RANK must differ between "
                        + "processes)", s.rank(), s.worldSize()), null);
            }
            store.set(KEY + "world/" + s.rank(), Integer.toString(s.worldSize()));
            String rank0 = waitFor(s, KEY + "world/0", "rank 0");
            if (Integer.parseInt(rank0) != s.worldSize()) {
                throw new Failure(String.format("mismatched world sizes: rank 0 has WORLD_SIZE=%s, rank %d has %d",
                        rank0, s.rank(), s.worldSize()), null);
            }
            if (s.rank() == 0) {
                List<String> missing = new ArrayList<>();
                long deadline = System.nanoTime() + s.timeout().toNanos();
                for (int r = 1; r < s.worldSize(); r++) {
                    String key = KEY + "world/" + r;
                    while (!store.check(new StringVector(key)) && System.nanoTime() < deadline) {
                        sleep(20);
                    }
                    if (!store.check(new StringVector(key))) {
                        missing.add(Integer.toString(r));
                    } else {
                        String theirs = store.get_to_str(key);
                        if (Integer.parseInt(theirs) != s.worldSize()) {
                            throw new Failure(String.format("mismatched world sizes: rank 0 has WORLD_SIZE=%d, "
                                    + "rank %d has %s", s.worldSize(), r, theirs), null);
                        }
                    }
                }
                if (!missing.isEmpty()) {
                    throw new Failure(String.format("rank%s %s of %d did not join within %d s", missing.size() == 1
                            ? "" : "s", String.join(", ", missing), s.worldSize(), s.timeout().toSeconds()), null);
                }
                store.set(KEY + "complete", "1");
            } else {
                waitFor(s, KEY + "complete", "the other processes");
            }
        } catch (Failure f) {
            throw f;
        } catch (RuntimeException e) {
            throw new Failure("the rendezvous failed: " + firstLine(e), e);
        }
    }

    private String waitFor(Settings s, String key, String who) {
        long deadline = System.nanoTime() + s.timeout().toNanos();
        while (!store.check(new StringVector(key))) {
            if (System.nanoTime() > deadline) {
                throw new Failure(String.format("waited %d s for %s to join the run (rank %d of %d)",
                        s.timeout().toSeconds(), who, s.rank(), s.worldSize()), null);
            }
            sleep(20);
        }
        return store.get_to_str(key);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResNet4jException("interrupted while joining the run", e);
        }
    }

    /**
     * The local address a packet to the master leaves from (what Gloo must listen on and announce); Gloo's own
     * default resolves the host name, which is loopback on many machines. No packet is sent.
     */
    static String localAddressTowards(String master) {
        try (DatagramSocket socket = new DatagramSocket()) {
            InetAddress target = InetAddress.getByName(master);
            if (target.isLoopbackAddress()) {
                return target.getHostAddress();
            }
            socket.connect(new InetSocketAddress(target, 9));
            InetAddress local = socket.getLocalAddress();
            if (local == null || local.isAnyLocalAddress()) {
                throw new Failure("no route from this machine to the master " + master + " (name the network "
                        + "interface)", null);
            }
            return local.getHostAddress();
        } catch (IOException e) {
            throw new Failure("cannot find the master " + master + ": " + e.getMessage(), e);
        }
    }

    private static Tensor fromDoubles(double[] values) {
        return Tensor.create(values, values.length);
    }

    private static double[] toDoubles(Tensor t) {
        Tensor c = t.contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        if (out.length > 0) {
            java.nio.DoubleBuffer b = c.createBuffer();
            b.get(out);
        }
        return out;
    }

    /** The first line of libtorch's message, without its source path and Gloo's boilerplate advice. */
    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        m = (nl < 0 ? m : m.substring(0, nl)).trim();
        m = m.replaceAll("\\[[^\\]]*\\.(cc|cpp|hpp|h):\\d+\\] ?", "");
        int advice = m.indexOf(" This is typically");
        return (advice < 0 ? m : m.substring(0, advice)).trim();
    }
}
