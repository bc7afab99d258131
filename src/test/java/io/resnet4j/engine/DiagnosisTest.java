package io.resnet4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code doctor} reads: the ISA line of oneDNN's verbose output, sysfs caches, /proc/cpuinfo. */
class DiagnosisTest {
    @TempDir Path tmp;

    @Test
    void readsTheIsaLineOfOneDnn3Verbose() {
        String out = """
                onednn_verbose,v1,info,oneDNN v3.12.0 (commit 0123abc)
                onednn_verbose,v1,info,cpu,runtime:OpenMP,nthr:2
                onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with Intel DL Boost and bfloat16 support
                onednn_verbose,v1,primitive,exec,cpu,convolution,brgconv:avx512_core_bf16,forward_training
                """;
        assertEquals("Intel AVX-512 with Intel DL Boost and bfloat16 support", Diagnosis.isaFromVerbose(out));
        assertTrue(Diagnosis.isaFromVerbose("onednn_verbose,info,cpu,runtime:OpenMP\n").startsWith("unknown"));
        // oneDNN 3.0–3.3 wrote no "v1" field.
        assertEquals("Intel AVX2", Diagnosis.isaFromVerbose("onednn_verbose,info,cpu,isa:Intel AVX2\n"));
    }

    @Test
    void theIsaProbeFindsTheLineOfARealEngine() {
        String isa = Diagnosis.probeIsa();
        assertTrue(isa.startsWith("Intel ") || isa.contains("AVX") || isa.contains("SSE"), isa);
    }

    @Test
    void osCachesReadEveryIndexInOrderAndSkipHalfDescribedOnes() throws IOException {
        cache(tmp.resolve("index0"), "1", "Data", "48K", "0");
        cache(tmp.resolve("index1"), "1", "Instruction", "32K", "0");
        cache(tmp.resolve("index2"), "2", "Unified", "1024K", "0");
        Files.createDirectories(tmp.resolve("index3")); // no files: what a broken sysfs may show
        Files.writeString(tmp.resolve("uevent"), "");
        assertEquals(List.of(new Diagnosis.Cache(1, "Data", "48K", "0"), new Diagnosis.Cache(1, "Instruction", "32K",
                "0"), new Diagnosis.Cache(2, "Unified", "1024K", "0")), Diagnosis.osCaches(tmp));
        assertEquals(List.of(), Diagnosis.osCaches(tmp.resolve("absent")), "a hypervisor that hides caches");
    }

    @Test
    void cpuInfoReadsTheFirstProcessor() throws IOException {
        Path f = Files.writeString(tmp.resolve("cpuinfo"), """
                processor\t: 0
                vendor_id\t: AuthenticAMD
                cpu family\t: 26
                model\t\t: 2
                model name\t: AMD EPYC
                stepping\t: 1
                flags\t\t: fpu avx2 avx512f avx512_bf16 hypervisor

                processor\t: 1
                vendor_id\t: GenuineIntel
                """);
        CpuInfo c = CpuInfo.read(f);
        assertEquals(new CpuInfo("AuthenticAMD", "AMD EPYC", 26, 2, 1, c.flags(), true), c);
        assertEquals(List.of("avx2", "avx512f", "avx512_bf16"), c.kernelFlags());
    }

    private static void cache(Path dir, String level, String type, String size, String shared) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("level"), level + "\n");
        Files.writeString(dir.resolve("type"), type + "\n");
        Files.writeString(dir.resolve("size"), size + "\n");
        Files.writeString(dir.resolve("shared_cpu_list"), shared + "\n");
    }
}
