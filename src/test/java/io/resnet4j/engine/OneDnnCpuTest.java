package io.resnet4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What {@link OneDnnCpu} reads from the running engine equals what the kernel reports in sysfs (both come from the
 * same CPUID leaves), and its layout checks refuse bytes that are not Xbyak's {@code Cpu} for this CPU.
 */
class OneDnnCpuTest {
    private static final Path SYSFS = Path.of("/sys/devices/system/cpu/cpu0/cache");
    private static final CpuInfo ZEN5 = cpu("AuthenticAMD", 26, 2, 1);

    /** One {@code index*} folder of sysfs: a data or unified cache. */
    private record SysfsCache(int index, int level, long size) {}

    @Test
    void readsTheCachesSysfsReports() throws IOException {
        List<SysfsCache> sysfs = sysfsDataCaches();
        Assumptions.assumeFalse(sysfs.isEmpty(), "sysfs lists no caches of cpu0 here: nothing to compare with");
        OneDnnCpu.Reading r = OneDnnCpu.read();
        assertTrue(r.caches().isPresent(), "cannot read oneDNN's caches: " + r.unavailableReason());
        OneDnnCpu.Caches c = r.caches().get();
        Assumptions.assumeFalse(c.hidden(), "oneDNN sees no caches on this machine (CPUID hides them), sysfs "
                + sysfs + ": nothing to compare");
        assertEquals(sysfs.size(), c.levels(), "levels; sysfs " + sysfs + ", oneDNN " + c);
        for (int i = 0; i < sysfs.size(); i++) {
            assertEquals(i + 1, sysfs.get(i).level(), "sysfs lists data caches innermost first: " + sysfs);
            assertEquals(sysfs.get(i).size(), c.sizeBytes()[i], "L" + (i + 1) + " size; oneDNN " + c);
            assertTrue(c.coresSharing()[i] >= 1, "L" + (i + 1) + " shared by " + c.coresSharing()[i]);
        }
        assertEquals(1, c.coresSharing()[0], "oneDNN counts L1d as private");
        assertTrue(r.describe().startsWith("oneDNN sees: L1d "), r.describe());
        System.out.println(r.describe());
    }

    @Test
    void acceptsXbyaksOwnStatesOnly() {
        assertNull(OneDnnCpu.layoutProblem(zen5(3, 48 << 10, 1 << 20, 32 << 20), ZEN5));
        assertNull(OneDnnCpu.layoutProblem(zen5(0), ZEN5), "the hidden-topology state");
        assertNull(OneDnnCpu.layoutProblem(zen5(3, 1, 1, 1), ZEN5), "oneDNN 3.7's state");
        assertNotNull(OneDnnCpu.layoutProblem(zen5(3, 48 << 10, 1 << 20, 32 << 20),
                cpu("AuthenticAMD", 25, 1, 1)), "another CPU's family");
        assertNotNull(OneDnnCpu.layoutProblem(zen5(3, 48 << 10, 1 << 20, 32 << 20),
                cpu("GenuineIntel", 26, 2, 1)), "another vendor");
        assertNotNull(OneDnnCpu.layoutProblem(zen5(11), ZEN5), "more levels than Xbyak keeps");
        ByteBuffer tail = zen5(1, 48 << 10);
        tail.putInt(OneDnnCpu.CACHE_SIZE + 4, 12345);
        assertNotNull(OneDnnCpu.layoutProblem(tail, ZEN5), "an entry past the levels in use");
        ByteBuffer shifted = zen5(3, 48 << 10, 1 << 20, 32 << 20);
        shifted.putInt(OneDnnCpu.DISPLAY_FAMILY, 15);
        assertNotNull(OneDnnCpu.layoutProblem(shifted, ZEN5), "display family not family + extFamily");
    }

    @Test
    void describesWhatDoctorPrints() {
        OneDnnCpu.Caches c = new OneDnnCpu.Caches(3, new long[] {48 << 10, 1 << 20, 32 << 20}, new int[] {1, 1, 2});
        assertEquals("oneDNN sees: L1d 48 KiB (shared by 1), L2 1 MiB (shared by 1), L3 32 MiB (shared by 2)",
                OneDnnCpu.Reading.of(c).describe());
        assertEquals("oneDNN sees no cache sizes (hidden by the hypervisor): it uses its built-in guesses "
                + "32 KiB / 512 KiB / 1 MiB per core", OneDnnCpu.Reading.of(OneDnnCpu.caches(zen5(0))).describe());
        assertEquals(new OneDnnCpu.Caches(3, new long[] {48 << 10, 1 << 20, 32 << 20}, new int[] {1, 1, 1}),
                OneDnnCpu.caches(zen5(3, 48 << 10, 1 << 20, 32 << 20)));
    }

    @Test
    void parsesMaps() {
        OneDnnCpu.ProcMaps maps = OneDnnCpu.ProcMaps.parse(List.of(
                "7f00000000-7f00001000 rw-p 0e07a000 fe:00 42  /x/libtorch_cpu.so",
                "7f00001000-7f00003000 rw-p 00000000 00:00 0 ",
                "7f00004000-7f00005000 r--p 00000000 00:00 0 "));
        assertTrue(maps.readWrite(0x7f00000ff0L, 144), "straddles the file-backed and anonymous parts of .bss");
        assertTrue(!maps.readWrite(0x7f00002ff0L, 144), "runs into a hole");
        assertTrue(!maps.readWrite(0x7f00004000L, 8), "read-only");
    }

    private static CpuInfo cpu(String vendor, int family, int model, int stepping) {
        return new CpuInfo(vendor, "test CPU", family, model, stepping, java.util.Set.of(), true);
    }

    /** Bytes as Xbyak 7.37 leaves them on this Zen 5 (family 0xF + 0xB, model 2, stepping 1) with these sizes. */
    private static ByteBuffer zen5(int levels, long... sizes) {
        ByteBuffer b = ByteBuffer.allocate(OneDnnCpu.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(OneDnnCpu.TYPE_LOW, (1L << 25) | (1L << 4));
        b.putInt(16, 1).putInt(20, 2);
        for (int i = 0; i < sizes.length; i++) {
            b.putInt(OneDnnCpu.CACHE_SIZE + 4 * i, (int) sizes[i]);
            b.putInt(OneDnnCpu.CORES_SHARING + 4 * i, 1);
        }
        b.putInt(OneDnnCpu.LEVELS, levels);
        b.putInt(OneDnnCpu.MODEL, 2).putInt(OneDnnCpu.FAMILY, 15).putInt(OneDnnCpu.STEPPING, 1);
        b.putInt(OneDnnCpu.EXT_MODEL, 0).putInt(OneDnnCpu.EXT_FAMILY, 11);
        b.putInt(OneDnnCpu.DISPLAY_FAMILY, 26).putInt(OneDnnCpu.DISPLAY_MODEL, 2);
        return b;
    }

    /** cpu0's data and unified caches in sysfs order (innermost first), as oneDNN lists them. */
    private static List<SysfsCache> sysfsDataCaches() throws IOException {
        if (!Files.isDirectory(SYSFS)) {
            return List.of();
        }
        List<SysfsCache> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(SYSFS)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().matches("index\\d+")).sorted(
                    (a, b) -> Integer.compare(index(a), index(b))).toList()) {
                String type = Files.readString(d.resolve("type")).strip();
                if (type.equals("Data") || type.equals("Unified")) {
                    out.add(new SysfsCache(index(d), Integer.parseInt(Files.readString(d.resolve("level")).strip()),
                            size(Files.readString(d.resolve("size")).strip())));
                }
            }
        }
        return out;
    }

    private static int index(Path dir) {
        return Integer.parseInt(dir.getFileName().toString().substring("index".length()));
    }

    /** sysfs writes sizes as {@code 48K} or {@code 32768K} (kernel units of 1024). */
    private static long size(String s) {
        String u = s.toUpperCase(Locale.ROOT);
        long scale = u.endsWith("K") ? 1L << 10 : u.endsWith("M") ? 1L << 20 : u.endsWith("G") ? 1L << 30 : 1;
        return Long.parseLong(scale == 1 ? u : u.substring(0, u.length() - 1)) * scale;
    }
}
