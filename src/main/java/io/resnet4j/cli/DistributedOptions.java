package io.resnet4j.cli;

import io.resnet4j.distributed.DistributedConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The data-parallel flags of {@code train}: {@code --nproc N} starts N local workers (like {@code torchrun
 * --standalone}); a process started by torchrun, a Slurm wrapper or the PyTorchJob operator reads {@code
 * MASTER_ADDR}, {@code MASTER_PORT}, {@code WORLD_SIZE}, {@code RANK} and {@code LOCAL_RANK}, which the flags
 * override.
 */
final class DistributedOptions {
    @Option(names = "--nproc", paramLabel = "N", description = "Train with N worker processes on this machine "
            + "(data-parallel over c10d/Gloo; the libtorch threads are split between them).")
    Integer nproc;

    @Option(names = "--sync-bn", description = "Batch-norm statistics over the global batch of all processes.")
    boolean syncBn;

    @Option(names = "--master-addr", paramLabel = "HOST", description = "Rank 0's address (default: $MASTER_ADDR, "
            + "else 127.0.0.1).")
    String masterAddr;

    @Option(names = "--master-port", paramLabel = "PORT", description = "The rendezvous port rank 0 serves "
            + "(default: $MASTER_PORT, else 29500).")
    Integer masterPort;

    @Option(names = "--world-size", paramLabel = "N", description = "Processes in the run (default: $WORLD_SIZE).")
    Integer worldSize;

    @Option(names = "--rank", paramLabel = "R", description = "This process's rank (default: $RANK).")
    Integer rank;

    @Option(names = "--local-rank", paramLabel = "R", description = "Rank on this machine (default: $LOCAL_RANK).")
    Integer localRank;

    @Option(names = "--iface", paramLabel = "NAME", description = "Network interface for the processes' connections, "
            + "e.g. eth0 (default: $GLOO_SOCKET_IFNAME, else the one that routes to the master).")
    String iface;

    @Option(names = "--dist-timeout", paramLabel = "SECONDS", description = "How long the rendezvous and every "
            + "all-reduce may wait for the other processes before the run stops (default 120).")
    Integer timeout;

    /** Every flag given is in its range. */
    void check() {
        Flags.between("--nproc", nproc, 1, 1024);
        Flags.between("--master-port", masterPort, 1, 65535);
        Flags.atLeast("--world-size", worldSize, 1);
        Flags.atLeast("--rank", rank, 0);
        Flags.atLeast("--local-rank", localRank, 0);
        Flags.atLeast("--dist-timeout", timeout, 1);
        if (nproc != null && (worldSize != null || rank != null)) {
            throw new Main.UsageException("--nproc starts its own workers; drop --world-size and --rank");
        }
    }

    /** Whether this invocation should start {@code --nproc} local workers rather than train itself. */
    boolean launches(Map<String, String> env) {
        return nproc != null && nproc > 1 && !env.containsKey("RANK");
    }

    /** How long the rendezvous and every collective may wait: {@code --dist-timeout}, else the default. */
    Duration timeout() {
        return timeout != null ? Duration.ofSeconds(timeout) : DistributedConfig.DEFAULT_TIMEOUT;
    }

    /**
     * This process's place in a data-parallel run, from the environment and the flags (already {@link #check}ed);
     * empty for a plain run.
     */
    Optional<DistributedConfig> resolve(Map<String, String> env) {
        Optional<DistributedConfig> fromEnv;
        try {
            fromEnv = DistributedConfig.fromEnvironment(env);
        } catch (io.resnet4j.ResNet4jException e) {
            throw new Main.UsageException(e.getMessage());
        }
        if (fromEnv.isEmpty() && worldSize == null && rank == null) {
            return Optional.empty(); // a single process: --sync-bn and the addresses have nothing to do
        }
        if (fromEnv.isEmpty() && (worldSize == null || rank == null)) {
            throw new Main.UsageException("a data-parallel process needs both --world-size and --rank (or WORLD_SIZE "
                    + "and RANK)");
        }
        int world = worldSize != null ? worldSize : fromEnv.get().worldSize();
        int r = rank != null ? rank : fromEnv.get().rank();
        if (r >= world) {
            throw new Main.UsageException("--rank must be below the world size " + world + ", got " + r);
        }
        int local = localRank != null ? localRank : fromEnv.map(DistributedConfig::localRank).orElse(r);
        String addr = masterAddr != null ? masterAddr : fromEnv.map(DistributedConfig::masterAddr).orElse("127.0.0.1");
        int port = masterPort != null ? masterPort
                : fromEnv.map(DistributedConfig::masterPort).orElse(DistributedConfig.DEFAULT_PORT);
        String nic = iface != null ? iface : fromEnv.map(DistributedConfig::iface).orElse(null);
        return Optional.of(new DistributedConfig(addr, port, world, r, local, nic, timeout(), syncBn));
    }
}
