package io.resnet4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} as a data-parallel process from the command line: {@code --nproc 2} end to end, and the
 * rendezvous failures a user meets first (a port in use, an unreachable master, mismatched world sizes), each one
 * {@code error:} line, within the timeout.
 */
class DistributedCliTest {
    @TempDir Path tmp;

    private List<String> trainArgs(Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "folder:" + data, "--out", out.toString(),
                "--epochs", "2", "--batch-size", "4", "--resize-dim", "8", "--min-aspect-dim", "8"));
        a.addAll(Scenery.TINY_FLAGS);
        a.addAll(List.of(more));
        return a;
    }

    private static Process start(List<String> args, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(Cli.childCommand(args.toArray(new String[0])));
        pb.redirectOutput(log.toFile());
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.resolveSibling(log.getFileName() + ".err").toFile()));
        pb.environment().put("RESNET4J_THREADS", "1");
        for (String k : List.of("WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK")) {
            pb.environment().remove(k);
        }
        pb.environment().putAll(env);
        return pb.start();
    }

    private static Cli.Run finish(Process p, Path log, long seconds) throws Exception {
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        String err = Files.readString(log.resolveSibling(log.getFileName() + ".err"), StandardCharsets.UTF_8);
        assertTrue(done, "finished within " + seconds + " s:\n" + err);
        return new Cli.Run(p.exitValue(), out, err);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void nprocTwoTrainsAndRankZeroAloneWrites() throws Exception {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 8, 12);
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("nproc.log");
        Cli.Run r = finish(start(trainArgs(data, run, "--nproc", "2", "--sync-bn"), Map.of(), log), log, 240);
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("test top-1")).count(), r.out());
        assertTrue(Files.exists(run.resolve("model.safetensors")), r.err());
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(3, metrics.size(), "a header and one row per epoch: " + metrics);
        assertTrue(metrics.get(2).startsWith("2,"), metrics.toString());
        // Two processes really trained it (not one that ignored --nproc): the checkpoint says so.
        try (var ckpt = io.resnet4j.io.SafeTensorsFile.open(run.resolve("checkpoints/epoch-0002.safetensors"))) {
            String options = ckpt.metadata().get("options");
            assertTrue(options.contains("\"world_size\":2"), options);
        }
    }

    @Test
    void aPortInUseIsOneErrorLine() throws Exception {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 12);
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(0));
            Path log = tmp.resolve("port.log");
            Cli.Run r = finish(start(trainArgs(data, tmp.resolve("run"), "--dist-timeout", "5"), Map.of(
                    "WORLD_SIZE", "2", "RANK", "0", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT",
                    Integer.toString(taken.getLocalPort())), log), log, 60);
            r.assertOneErrorLine(1, "port in use");
            assertTrue(r.errorLine().contains("in use"), r.errorLine());
        }
    }

    @Test
    void anUnreachableMasterIsOneErrorLineWithinTheTimeout() throws Exception {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 12);
        Path log = tmp.resolve("master.log");
        long t0 = System.nanoTime();
        Cli.Run r = finish(start(trainArgs(data, tmp.resolve("run"), "--dist-timeout", "3"), Map.of("WORLD_SIZE", "2",
                "RANK", "1", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(freePort())), log), log, 60);
        r.assertOneErrorLine(1, "unreachable master");
        assertTrue(r.errorLine().contains("cannot reach the master"), r.errorLine());
        assertTrue((System.nanoTime() - t0) / 1e9 < 45, "gave up in time");
    }

    @Test
    void mismatchedWorldSizesAreRefused() throws Exception {
        Path data = Scenery.imageFolder(tmp.resolve("data"), 4, 12);
        String port = Integer.toString(freePort());
        Path log0 = tmp.resolve("w0.log");
        Path log1 = tmp.resolve("w1.log");
        Process p0 = start(trainArgs(data, tmp.resolve("run"), "--dist-timeout", "10"), Map.of("WORLD_SIZE", "2",
                "RANK", "0", "MASTER_PORT", port), log0);
        Process p1 = start(trainArgs(data, tmp.resolve("run"), "--dist-timeout", "10"), Map.of("WORLD_SIZE", "3",
                "RANK", "1", "MASTER_PORT", port), log1);
        Cli.Run r0 = finish(p0, log0, 60);
        Cli.Run r1 = finish(p1, log1, 60);
        r0.assertOneErrorLine(1, "rank 0");
        r1.assertOneErrorLine(1, "rank 1");
        assertTrue(r0.errorLine().contains("mismatched world sizes") || r1.errorLine().contains("mismatched"),
                r0.errorLine() + " / " + r1.errorLine());
    }
}
