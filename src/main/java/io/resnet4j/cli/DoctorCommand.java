package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.engine.CpuInfo;
import io.resnet4j.engine.Diagnosis;
import io.resnet4j.engine.SelfCheck;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code doctor}: what a bug report needs — the CPU and the flags that decide kernels, the caches as the OS and
 * as oneDNN see them, libtorch/oneDNN versions and ISA, threads, the native cache, and the engine's self-check.
 * Exit 0 when the self-check passed, 1 when it failed (the report is printed either way).
 */
@Command(name = "doctor", description = "Print what a bug report needs: CPU, caches, engine versions and ISA, "
        + "threads, native cache, and the engine's self-check. Exit 1 if the self-check failed.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin JsonOption json;

    @Override
    public Integer call() {
        Diagnosis d = Diagnosis.collect();
        if (json.on()) {
            Json.print(toJson(d));
        } else {
            print(d);
        }
        return d.selfCheck() == null || d.selfCheck().passed() ? 0 : 1;
    }

    private static void print(Diagnosis d) {
        CpuInfo c = d.cpu();
        row("cpu", String.format("%s (%s, family %d model %d stepping %d)%s, %d cores available", c.modelName(),
                c.vendor(), c.family(), c.model(), c.stepping(), c.hypervisor() ? ", virtual machine" : "", d.cores()));
        row("kernel flags", String.join(" ", c.kernelFlags()));
        row("caches (OS)", (d.osCaches().isEmpty() ? "none listed (hidden by the hypervisor?)"
                : String.join(", ", d.osCaches().stream().map(k -> "L" + k.level() + " " + k.type().toLowerCase(
                        Locale.ROOT) + " " + k.size()).toList())));
        row("caches (oneDNN)", d.oneDnnCaches().replaceFirst("^oneDNN sees: ", ""));
        for (Map.Entry<String, String> v : new java.util.TreeMap<>(d.versions()).entrySet()) {
            row(v.getKey(), v.getValue());
        }
        row("oneDNN isa", d.oneDnnIsa());
        row("aten kernels", d.atenCapability());
        row("threads", "libtorch " + d.threads() + ", OpenBLAS " + d.blasThreads());
        row("environment", (d.environment().isEmpty() ? "(none of " + String.join(", ",
                Diagnosis.ENVIRONMENT) + ")" : d.environment().toString()));
        row("native cache", d.nativeCache().toString());
        SelfCheck.Result r = d.selfCheck();
        if (r == null) {
            row("self-check", "off (RESNET4J_SELF_CHECK)");
            return;
        }
        row("self-check", String.format(Locale.ROOT, "%s in %.0f ms", r.passed() ? "passed" : "FAILED",
                r.nanos() / 1e6));
        for (SelfCheck.Case k : r.cases()) {
            System.out.println("  " + (k.passed() ? "ok    " : "WRONG ") + k.describe());
        }
    }

    /** One {@code label: value} line, the values aligned. */
    private static void row(String label, String value) {
        System.out.printf("%-18s%s%n", label + ":", value);
    }

    private static ObjectNode toJson(Diagnosis d) {
        ObjectNode o = Json.object();
        ObjectNode cpu = o.putObject("cpu");
        cpu.put("model_name", d.cpu().modelName());
        cpu.put("vendor", d.cpu().vendor());
        cpu.put("family", d.cpu().family());
        cpu.put("model", d.cpu().model());
        cpu.put("stepping", d.cpu().stepping());
        cpu.put("virtual_machine", d.cpu().hypervisor());
        cpu.put("cores", d.cores());
        ArrayNode flags = cpu.putArray("kernel_flags");
        d.cpu().kernelFlags().forEach(flags::add);
        ArrayNode caches = o.putArray("os_caches");
        for (Diagnosis.Cache k : d.osCaches()) {
            caches.addObject().put("level", k.level()).put("type", k.type()).put("size", k.size())
                    .put("shared_cpus", k.sharedCpus());
        }
        o.put("onednn_caches", d.oneDnnCaches());
        ObjectNode versions = o.putObject("versions");
        new java.util.TreeMap<>(d.versions()).forEach(versions::put);
        o.put("onednn_isa", d.oneDnnIsa());
        o.put("aten_cpu_capability", d.atenCapability());
        o.putObject("threads").put("libtorch", d.threads()).put("openblas", d.blasThreads());
        ObjectNode env = o.putObject("environment");
        d.environment().forEach(env::put);
        o.put("native_cache", d.nativeCache().toString());
        SelfCheck.Result r = d.selfCheck();
        if (r == null) {
            o.putNull("self_check");
        } else {
            ObjectNode check = o.putObject("self_check");
            check.put("passed", r.passed());
            check.put("millis", Math.round(r.nanos() / 1e6));
            ArrayNode cases = check.putArray("cases");
            for (SelfCheck.Case k : r.cases()) {
                cases.addObject().put("data_format", k.format().cliName()).put("precision", k.precision().cliName())
                        .put("passed", k.passed()).put("worst_tensor", k.worstTensor()).put("error", k.error())
                        .put("tolerance", k.tolerance());
            }
        }
        return o;
    }
}
