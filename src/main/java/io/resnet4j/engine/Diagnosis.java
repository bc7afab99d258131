package io.resnet4j.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.pytorch.global.torch;

/**
 * What a bug report about the engine needs, collected in one place ({@code resnet4j doctor}): the processor and
 * its caches as the operating system and as oneDNN see them, the versions of everything native, the instruction
 * set oneDNN dispatches to, threads, where the native libraries live, and the {@link SelfCheck}'s result.
 *
 * @param cpu            the processor, from {@code /proc/cpuinfo}
 * @param cores          processors available to this JVM
 * @param osCaches       the caches {@code /sys/devices/system/cpu/cpu0/cache} lists (empty where the hypervisor
 *                       hides them)
 * @param oneDnnCaches   the cache sizes oneDNN's kernels are blocked for, in words
 * @param versions       libtorch, oneDNN, presets, JavaCPP, OpenBLAS, Java, OS
 * @param oneDnnIsa      the instruction set oneDNN reports it dispatches to ({@code ONEDNN_VERBOSE}'s isa line)
 * @param atenCapability the vector width libtorch's own kernels were dispatched for (e.g. {@code AVX512})
 * @param threads        libtorch's intra-op threads
 * @param blasThreads    OpenBLAS's threads (1: see {@link Engine})
 * @param environment    the environment variables that change the engine's behaviour, as set
 * @param nativeCache    where the native libraries are unpacked
 * @param selfCheck      the self-check of this process (null when switched off)
 */
public record Diagnosis(CpuInfo cpu, int cores, List<Cache> osCaches, String oneDnnCaches,
        Map<String, String> versions, String oneDnnIsa, String atenCapability, int threads, int blasThreads,
        Map<String, String> environment, Path nativeCache, SelfCheck.Result selfCheck) {

    /** One cache level the operating system reports for the first core. */
    public record Cache(int level, String type, String size, String sharedCpus) {}

    /** Environment variables that change which kernels run, or how many threads. */
    public static final List<String> ENVIRONMENT = List.of("RESNET4J_THREADS", Engine.SELF_CHECK_ENV,
            Engine.CACHE_ENV, "OMP_NUM_THREADS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ONEDNN_VERBOSE",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "ATEN_CPU_CAPABILITY");

    /** Collects everything; loads the engine, runs the self-check (without failing on it) and the ISA probe. */
    public static Diagnosis collect() {
        SelfCheck.Result check = Engine.initForDiagnosis();
        Map<String, String> versions = new java.util.LinkedHashMap<>();
        versions.put("libtorch", Engine.libtorchVersion());
        versions.put("oneDNN", Engine.oneDnnVersionLoaded());
        versions.put("pytorch presets", Engine.presetsVersion("pytorch", torch.class));
        versions.put("javacpp", Engine.javacppVersion());
        versions.put("openblas presets", Engine.presetsVersion("openblas",
                org.bytedeco.openblas.global.openblas_nolapack.class));
        versions.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        versions.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (String name : ENVIRONMENT) {
            String v = System.getenv(name);
            if (v != null) {
                env.put(name, v);
            }
        }
        return new Diagnosis(CpuInfo.current(), Runtime.getRuntime().availableProcessors(),
                osCaches(Path.of("/sys/devices/system/cpu/cpu0/cache")), OneDnnCpu.read().describe(), Map.copyOf(versions),
                probeIsa(), torch.get_cpu_capability().getString(), torch.get_num_threads(),
                org.bytedeco.openblas.global.openblas_nolapack.blas_get_num_threads(), env, Engine.cacheDir(), check);
    }

    /** The caches under {@code dir} ({@code index0}, {@code index1}, …), in order; empty when there are none. */
    static List<Cache> osCaches(Path dir) {
        List<Cache> caches = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return caches;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path index : s.filter(p -> p.getFileName().toString().matches("index\\d+")).sorted().toList()) {
                try {
                    caches.add(new Cache(Integer.parseInt(read(index.resolve("level"))), read(index.resolve("type")),
                            read(index.resolve("size")), read(index.resolve("shared_cpu_list"))));
                } catch (IOException | NumberFormatException e) {
                    // A level the kernel only half describes: leave it out.
                }
            }
        } catch (IOException e) {
            // Not listable: report none.
        }
        return caches;
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).strip();
    }

    /**
     * The instruction set oneDNN dispatches to. oneDNN says so only on its verbose channel, on the process's
     * standard output, when {@code ONEDNN_VERBOSE} is set before it starts; so a child JVM starts the engine with it
     * set and this reads its {@code onednn_verbose,…,info,cpu,isa:…} line.
     */
    static String probeIsa() {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xss4m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), IsaProbe.class.getName());
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("ONEDNN_VERBOSE", "1");
            pb.environment().put(Engine.SELF_CHECK_ENV, "on"); // its convolutions make oneDNN speak
            Process p = pb.start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown (the probe did not finish)";
            }
            return isaFromVerbose(new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    /** The text after {@code isa:} in oneDNN's verbose output, or "unknown". */
    static String isaFromVerbose(String output) {
        Matcher m = Pattern.compile("onednn_verbose,(?:[^,\\n]*,)*?info,cpu,isa:([^\\n]+)").matcher(output);
        return m.find() ? m.group(1).strip() : "unknown (oneDNN printed no isa line)";
    }

    /** The child JVM of {@link #probeIsa()}: starts the engine (whose self-check creates oneDNN primitives). */
    static final class IsaProbe {
        private IsaProbe() {}

        public static void main(String[] args) {
            try {
                Engine.initForDiagnosis();
            } catch (RuntimeException e) {
                System.out.println("probe failed: " + e.getMessage());
            }
            System.out.flush();
            System.exit(0);
        }
    }
}
