package io.resnet4j.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the operating system says about the processor ({@code /proc/cpuinfo} on Linux): enough to name the machine
 * in an error or a bug report, and the instruction-set flags that decide which kernels oneDNN runs.
 *
 * @param vendor    e.g. {@code GenuineIntel}, {@code AuthenticAMD}
 * @param modelName e.g. {@code AMD EPYC 9B45}
 * @param family    the CPU family (26 for AMD Zen 5), or -1 when unknown
 * @param model     the model number within the family, or -1
 * @param stepping  the stepping, or -1
 * @param flags     every flag the kernel reports
 * @param hypervisor whether the kernel reports running under a hypervisor
 */
public record CpuInfo(String vendor, String modelName, int family, int model, int stepping, Set<String> flags,
        boolean hypervisor) {

    /** The flags that decide oneDNN's and libtorch's kernels, in the order a reader scans them. */
    public static final List<String> KERNEL_FLAGS = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl",
            "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "avx_vnni");

    private static volatile CpuInfo current;

    /** This machine's processor (read once). */
    public static CpuInfo current() {
        CpuInfo c = current;
        if (c == null) {
            c = read(Path.of("/proc/cpuinfo"));
            current = c;
        }
        return c;
    }

    /** Parses the first processor's block of a {@code /proc/cpuinfo} file; unknown fields stay empty or -1. */
    static CpuInfo read(Path file) {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() && !fields.isEmpty()) {
                    break; // the first processor is enough: they are all the same model here
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not readable: say so in the name rather than fail.
        }
        Set<String> flags = new TreeSet<>(Arrays.asList(fields.getOrDefault("flags", "").split("\\s+")));
        flags.remove("");
        String name = fields.getOrDefault("model name", System.getProperty("os.arch") + " (no /proc/cpuinfo)");
        return new CpuInfo(fields.getOrDefault("vendor_id", "unknown"), name, number(fields.get("cpu family")),
                number(fields.get("model")), number(fields.get("stepping")), Set.copyOf(flags),
                flags.contains("hypervisor"));
    }

    /** Which of {@link #KERNEL_FLAGS} this CPU has. */
    public List<String> kernelFlags() {
        return KERNEL_FLAGS.stream().filter(flags::contains).toList();
    }

    private static int number(String s) {
        try {
            return s == null ? -1 : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
