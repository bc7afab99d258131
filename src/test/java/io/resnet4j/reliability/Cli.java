package io.resnet4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnet4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the command line in this JVM or in a child JVM, capturing what it prints. */
public final class Cli {
    private Cli() {
    }

    /** What one run left behind. */
    public record Run(int code, String out, String err) {
        /** The CLI's contract: the error is exactly one {@code error: …} line and there is no stack trace. */
        void assertOneErrorLine(int expectedCode) {
            assertOneErrorLine(expectedCode, "");
        }

        void assertOneErrorLine(int expectedCode, String what) {
            String context = what + ": exit " + code + ", stderr:\n" + err + "\nstdout:\n" + out;
            assertEquals(expectedCode, code, context);
            List<String> lines = err.strip().lines().toList();
            List<String> errorLines = lines.stream().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errorLines.size(), "exactly one error line: " + context);
            assertEquals(lines.get(lines.size() - 1), errorLines.get(0), "the error line comes last: " + context);
            assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + context);
            assertFalse(err.contains("internal error"), "a known failure, not an internal error: " + context);
            assertFalse(errorLines.get(0).strip().equals("error:"), "the error says something: " + context);
        }

        String errorLine() {
            return err.strip().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("");
        }
    }

    /** Runs {@code Main.run(args)} in this JVM (what {@code ./resnet4j} does, minus System.exit). */
    public static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The command line of a child JVM running the CLI with this test's class path. */
    static List<String> childCommand(String... args) {
        return childCommand(List.of(), args);
    }

    /** The same, with extra JVM options (system properties) before the class name. */
    static List<String> childCommand(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-Xss4m");
        cmd.add("-Xmx512m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts the CLI in a child JVM; stdout and stderr go to {@code log} (appended). */
    static Process start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /** The same, with extra JVM options (system properties). */
    static Process start(Path log, List<String> jvmOptions, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(childCommand(jvmOptions, args));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // One libtorch thread: the test must not take the machine, and it keeps timings stable.
        pb.environment().put("RESNET4J_THREADS", "1");
        return pb.start();
    }

    /** Runs the CLI in a child JVM to completion (at most {@code seconds}) and returns its exit code. */
    static int runChild(Path log, long seconds, String... args) throws IOException, InterruptedException {
        Process p = start(log, args);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the child did not finish in " + seconds + " s; log:\n" + tail(log));
        }
        return p.exitValue();
    }

    static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    static void assertContains(String haystack, String needle) {
        assertTrue(haystack.contains(needle), "expected '" + needle + "' in:\n" + haystack);
    }
}
