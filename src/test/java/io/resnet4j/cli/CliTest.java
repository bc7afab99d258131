package io.resnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.reliability.Cli;
import io.resnet4j.reliability.Cli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract (README, "Command line"): JSON fields, exit codes, one error line, no stack trace. */
class CliTest {
    @TempDir Path tmp;

    static Run run(String... args) {
        return Cli.run(args);
    }

    static Path fixture(String file) throws Exception {
        return Path.of(CliTest.class.getResource("/fixtures/" + file).toURI());
    }

    @Test
    void summaryJsonHasSpecCounts() throws Exception {
        Run r = run("summary", "--arch", "resnet50-v2", "--classes", "1001", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(25551401, j.get("params").asLong());
        Run v1 = run("summary", "--arch", "resnet50", "--json");
        assertEquals(4089184256L, new ObjectMapper().readTree(v1.out()).get("macs").asLong());
        Run custom = run("summary", "--arch", "custom", "--version", "v1", "--block", "basic", "--blocks", "1,1,1,1",
                "--base-width", "8", "--classes", "10", "--input", "37x45", "--json");
        assertEquals(78962, new ObjectMapper().readTree(custom.out()).get("params").asLong(), custom.err());
    }

    /** {@code doctor --json}: engine versions, this machine's caches and flags, a passed four-case self-check. */
    @Test
    void doctorReportsTheEngineAndItsSelfCheck() throws Exception {
        Run r = run("doctor", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("2.13.0", j.at("/versions/libtorch").asText());
        assertTrue(j.at("/versions/oneDNN").asText().startsWith("oneDNN v3.12"), r.out());
        assertFalse(j.get("onednn_isa").asText().startsWith("unknown"), r.out());
        String[] sysfs = Path.of("/sys/devices/system/cpu/cpu0/cache").toFile().list((d, n) -> n.matches("index\\d+"));
        assertEquals(sysfs == null ? 0 : sysfs.length, j.get("os_caches").size(), r.out());
        String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        assertTrue(cpuinfo.contains(j.at("/cpu/model_name").asText()), r.out());
        for (JsonNode flag : j.at("/cpu/kernel_flags")) {
            assertTrue(cpuinfo.contains(" " + flag.asText()), flag + " is not in /proc/cpuinfo");
        }
        assertTrue(j.at("/self_check/passed").asBoolean(), r.out());
        assertEquals(4, j.at("/self_check/cases").size(), r.out());
        Run text = run("doctor");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("self-check:       passed"), text.out());
    }

    @Test
    void forwardMatchesTheFixtureInBothFormats() throws Exception {
        for (String format : new String[] {"channels_first", "channels_last"}) {
            Path out = tmp.resolve(format + ".safetensors");
            Run r = run("forward", "--arch", "custom", "--version", "v2", "--block", "basic", "--blocks", "1,1,1,1",
                    "--base-width", "8", "--classes", "10", "--weights", fixture("dev_v2_basic.safetensors").toString(),
                    "--input", fixture("dev_v2_basic.io.safetensors").toString(), "--output", out.toString(),
                    "--data-format", format);
            assertEquals(0, r.code(), r.err());
            try (SafeTensorsFile got = SafeTensorsFile.open(out);
                    SafeTensorsFile ref = SafeTensorsFile.open(fixture("dev_v2_basic.io.safetensors"))) {
                assertClose(ref.readFloats("logits_eval"), got.readFloats("logits"), 2e-5);
                assertClose(ref.readFloats("pooled_eval"), got.readFloats("pooled"), 5e-5);
                assertClose(ref.readFloats("stem_eval"), got.readFloats("stem"), 5e-5);
            }
        }
        Path train = tmp.resolve("train.safetensors");
        Run t = run("forward", "--arch", "cifar-resnet20", "--classes", "10", "--weights",
                fixture("dev_v1_cifar20.safetensors").toString(), "--input",
                fixture("dev_v1_cifar20.io.safetensors").toString(), "--output", train.toString(), "--mode", "train");
        assertEquals(0, t.code(), t.err());
        try (SafeTensorsFile got = SafeTensorsFile.open(train);
                SafeTensorsFile ref = SafeTensorsFile.open(fixture("dev_v1_cifar20.io.safetensors"))) {
            assertClose(ref.readFloats("logits_train"), got.readFloats("logits"), 5e-5);
        }
    }

    @Test
    void badInputIsOneErrorLineWithTheRightExitCode() throws Exception {
        Run unknownArch = run("summary", "--arch", "resnet42");
        assertEquals(1, unknownArch.code());
        assertOneErrorLine(unknownArch);
        Run missingOption = run("forward", "--arch", "resnet18");
        assertEquals(2, missingOption.code());
        assertOneErrorLine(missingOption);
        Run unknownFlag = run("summary", "--arch", "resnet18", "--frobnicate");
        assertEquals(2, unknownFlag.code());
        Run noCommand = run();
        assertEquals(2, noCommand.code());
        Run badSize = run("summary", "--arch", "resnet18", "--input", "big");
        assertEquals(2, badSize.code());
        assertOneErrorLine(badSize);
        Path garbage = Files.write(tmp.resolve("w.safetensors"), "not a safetensors file".getBytes());
        Run badWeights = run("forward", "--arch", "resnet18", "--classes", "10", "--weights", garbage.toString(),
                "--input", fixture("dev_v1_basic.io.safetensors").toString(), "--output", tmp.resolve("o").toString());
        assertEquals(1, badWeights.code());
        assertOneErrorLine(badWeights);
        assertTrue(badWeights.err().contains("w.safetensors"), badWeights.err());
        Run mismatch = run("forward", "--arch", "resnet18", "--classes", "10", "--weights",
                fixture("dev_v1_basic.safetensors").toString(), "--input",
                fixture("dev_v1_basic.io.safetensors").toString(), "--output", tmp.resolve("o").toString());
        assertEquals(1, mismatch.code());
        assertOneErrorLine(mismatch);
        assertTrue(mismatch.err().contains("missing") && mismatch.err().contains("mis-shaped"), mismatch.err());
        assertFalse(Files.exists(tmp.resolve("o")), "no output on failure");
    }

    @Test
    void benchReportsTheSpecFields() throws Exception {
        Run r = run("bench", "--arch", "cifar-resnet8", "--mode", "train", "--batch", "4", "--input", "16x16",
                "--seconds", "0.2", "--warmup", "1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String f : new String[] {"images_per_second", "gflops_per_second", "peak_fraction", "threads"}) {
            assertTrue(j.get(f).asDouble() > 0, f + " in " + r.out());
        }
        assertEquals(4, j.get("batch").asInt());
        assertEquals("fp32", j.get("precision").asText());
        assertEquals(2, run("bench", "--arch", "resnet18", "--mode", "fly").code());
    }

    @Test
    void verboseShowsTheStackTrace() {
        Run r = run("summary", "--arch", "resnet42", "--verbose");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("\tat "), r.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"summary", "forward", "train", "eval", "predict", "bench", "export", "demo"}) {
            Run r = run(c, "--help");
            assertEquals(0, r.code(), c);
            assertTrue(r.out().contains("Usage: resnet4j " + c), r.out());
        }
    }

    private static void assertOneErrorLine(Run r) {
        assertTrue(r.err().startsWith("error: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    private static void assertClose(float[] want, float[] got, double atol) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], atol, "element " + i);
        }
    }
}
