package io.resnet4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.cli.Main;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code resnet4j serve} in a child JVM: ready only when loaded, and SIGTERM lets a request in flight finish. */
class ServeShutdownTest {
    @TempDir
    Path dir;

    @Test
    void sigtermFinishesTheRequestInFlightThenExits() throws Exception {
        Path modelDir = TinyModel.write(dir.resolve("tiny"));
        Path image = TinyModel.images(dir.resolve("images")).get(0);
        Path log = dir.resolve("serve.log");
        // A long batching delay, and a second request still arriving, keep the first queued when the signal comes.
        Process p = start(log, "serve", "--model", modelDir.toString(), "--port", "0", "--max-delay-ms", "1500",
                "--max-batch", "8");
        try {
            int port = awaitLine(p, log, Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/"));
            awaitLine(p, log, Pattern.compile("serve: (ready)"));
            Http1 http = new Http1(port);
            assertEquals(200, http.get("/v2/health/ready").status());
            CompletableFuture<Http1.Resp> inFlight;
            try (Socket slow = new Socket("127.0.0.1", port)) {
                // Headers sent, the body not: its handler is reading, so the batcher waits for it (a lone request
                // would run at once and be answered before the signal).
                slow.getOutputStream().write(("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                slow.getOutputStream().flush();
                Thread.sleep(300);
                inFlight = http.postAsync("/v1/models/tiny:predict", Files.readAllBytes(image), "image/png");
                Thread.sleep(400);
                assertFalse(inFlight.isDone(), "the request waits in the batcher when the signal comes");
                p.destroy(); // SIGTERM
                Thread.sleep(200);
            } // the slow client hangs up: the batcher stops waiting and runs the queued request
            Http1.Resp r;
            try {
                r = inFlight.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("no answer after SIGTERM; log:\n" + read(log), e);
            }
            assertEquals(200, r.status(), r.toString());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after SIGTERM; log:\n" + read(log));
            assertEquals(143, p.exitValue(), read(log)); // 128 + SIGTERM, after the shutdown hook
            String text = read(log);
            assertTrue(text.contains("serve: stopping") && text.contains("serve: stopped"), text);
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aMissingModelDirectoryIsOneErrorLine() throws Exception {
        Path log = dir.resolve("missing.log");
        Process p = start(log, "serve", "--model", dir.resolve("nope").toString(), "--port", "0");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue());
        String text = read(log).strip();
        assertTrue(text.lines().filter(l -> l.startsWith("error: ")).count() == 1 && !text.contains("\tat "), text);
    }

    static Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xss4m");
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("RESNET4J_THREADS", "1");
        return pb.start();
    }

    static int awaitLine(Process p, Path log, Pattern pattern) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            Matcher m = pattern.matcher(read(log));
            if (m.find()) {
                String g = m.group(1);
                return g.chars().allMatch(Character::isDigit) ? Integer.parseInt(g) : 0;
            }
            if (!p.isAlive()) {
                throw new AssertionError("serve exited " + p.exitValue() + ":\n" + read(log));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line " + pattern + " in:\n" + read(log));
    }

    static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
