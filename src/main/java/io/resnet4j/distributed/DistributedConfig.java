package io.resnet4j.distributed;

import io.resnet4j.ResNet4jException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Who this process is in a data-parallel run, in torchrun's terms: the master's address and port (where rank 0
 * serves the rendezvous), the world size, this process's global and local rank; plus the network interface Gloo
 * should use (null: the one that routes to the master), the timeout of the rendezvous and of every collective, and
 * whether batch-norm statistics are synchronised across the processes ({@code --sync-bn}).
 *
 * @param masterAddr {@code MASTER_ADDR}
 * @param masterPort {@code MASTER_PORT}
 * @param worldSize {@code WORLD_SIZE}
 * @param rank {@code RANK}
 * @param localRank {@code LOCAL_RANK} (informational: there is one CPU device)
 * @param iface network interface for Gloo, e.g. {@code eth0} ({@code GLOO_SOCKET_IFNAME}); null: automatic
 * @param timeout how long a rendezvous or a collective may wait before the run stops with an error
 * @param syncBatchNorm batch-norm statistics over the global batch
 */
public record DistributedConfig(String masterAddr, int masterPort, int worldSize, int rank, int localRank,
        String iface, Duration timeout, boolean syncBatchNorm) {
    /** torchrun's default port. */
    public static final int DEFAULT_PORT = 29500;
    /** The default timeout of the rendezvous and of every collective. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    public DistributedConfig {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new ResNet4jException("RANK must be in [0, WORLD_SIZE), got RANK=" + rank + " WORLD_SIZE="
                    + worldSize);
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new ResNet4jException("MASTER_PORT must be in [1, 65535], got " + masterPort);
        }
        if (masterAddr == null || masterAddr.isBlank()) {
            throw new ResNet4jException("MASTER_ADDR is empty");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new ResNet4jException("the timeout must be positive");
        }
    }

    /** A process of a run on this machine alone (master 127.0.0.1), default timeout, no sync-bn. */
    public static DistributedConfig local(int masterPort, int worldSize, int rank) {
        return new DistributedConfig("127.0.0.1", masterPort, worldSize, rank, rank, null, DEFAULT_TIMEOUT, false);
    }

    /**
     * The settings torchrun, Slurm wrappers and the Kubernetes PyTorchJob operator put in the environment:
     * {@code WORLD_SIZE} and {@code RANK} (both or neither), {@code MASTER_ADDR} (default 127.0.0.1),
     * {@code MASTER_PORT} (default 29500), {@code LOCAL_RANK} (default: the rank), {@code GLOO_SOCKET_IFNAME}.
     *
     * @return empty when {@code WORLD_SIZE} and {@code RANK} are not set
     * @throws ResNet4jException when one is set without the other or a value is not a number
     */
    public static Optional<DistributedConfig> fromEnvironment(Map<String, String> env) {
        String world = env.get("WORLD_SIZE");
        String rank = env.get("RANK");
        if (world == null && rank == null) {
            return Optional.empty();
        }
        if (world == null || rank == null) {
            throw new ResNet4jException((world == null ? "RANK" : "WORLD_SIZE") + " is set but "
                    + (world == null ? "WORLD_SIZE" : "RANK") + " is not");
        }
        int r = number("RANK", rank);
        return Optional.of(new DistributedConfig(env.getOrDefault("MASTER_ADDR", "127.0.0.1"),
                env.containsKey("MASTER_PORT") ? number("MASTER_PORT", env.get("MASTER_PORT")) : DEFAULT_PORT,
                number("WORLD_SIZE", world), r,
                env.containsKey("LOCAL_RANK") ? number("LOCAL_RANK", env.get("LOCAL_RANK")) : r,
                emptyToNull(env.get("GLOO_SOCKET_IFNAME")), DEFAULT_TIMEOUT, false));
    }

    public DistributedConfig withTimeout(Duration v) {
        return new DistributedConfig(masterAddr, masterPort, worldSize, rank, localRank, iface, v, syncBatchNorm);
    }

    public DistributedConfig withSyncBatchNorm(boolean v) {
        return new DistributedConfig(masterAddr, masterPort, worldSize, rank, localRank, iface, timeout, v);
    }

    private static int number(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new ResNet4jException(name + " must be a whole number, got '" + value + "'");
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
