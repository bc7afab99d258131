package io.resnet4j.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * The data caches oneDNN, libtorch's CPU kernel library, believes this CPU has: it sizes the blocks of its
 * convolution and matrix kernels by them.
 *
 * <h2>Why this matters</h2>
 * oneDNN learns the cache topology from CPUID (leaf 4 on Intel, 0x8000001D on AMD) through Xbyak's
 * {@code Xbyak::util::Cpu}. Some AMD EPYC VMs zero those leaves. The Xbyak of oneDNN 3.7 then took "3 levels, each
 * of 1 byte", and oneDNN crashed (SIGFPE) or computed channels_last convolutions wrongly. The engine we ship bundles
 * oneDNN 3.12 (Xbyak 7.37), whose loop stops at the first cache of type 0: it sees 0 levels, and oneDNN's
 * {@code platform::get_per_core_cache_size} then falls back to its built-in guesses (32 KiB, 512 KiB, 1 MiB per
 * core). oneDNN prints none of this, so {@code doctor} reads it here; and tests put a healthy machine into that
 * state ({@link #hideCachesForTest()}) to check that the engine computes right there.
 *
 * <h2>How it is read</h2>
 * The object is the function-local static {@code cpu_} of {@code dnnl::impl::cpu::x64::cpu()}, a local symbol of
 * {@code libtorch_cpu.so}: we find it in the file's {@code .symtab} ({@link ElfSymbols}), add the library's load bias
 * from {@code /proc/self/maps}, check that its C++ guard says it has been constructed, and read its 144 bytes. The
 * member layout is Xbyak 7.37's (oneDNN v3.12, {@code third_party/xbyak/xbyak_util.h}); since a different engine
 * build could lay it out differently, nothing is trusted until the bytes pass {@link #layoutProblem}: the seven
 * family/model/stepping ints must equal what {@code /proc/cpuinfo} and CPUID leaf 1 say, the vendor bit must match,
 * the level count must be 0..10, the sizes in use plausible and the rest of both arrays zero, as Xbyak leaves them.
 * Anything else and {@link #read()} says why it cannot tell, instead of guessing.
 */
public final class OneDnnCpu {
    /** {@code dnnl::impl::cpu::x64::cpu()::cpu_}: the static {@code Xbyak::util::Cpu}. */
    static final String OBJECT_SYMBOL = "_ZZN4dnnl4impl3cpu3x643cpuEvE4cpu_";
    /** Its guard variable (Itanium C++ ABI): first byte non-zero once the constructor has run. */
    static final String GUARD_SYMBOL = "_ZGVZN4dnnl4impl3cpu3x643cpuEvE4cpu_";
    static final String LIBRARY = "libtorch_cpu.so";

    // Xbyak 7.37 Xbyak::util::Cpu (x86-64): Type type_ {uint64 L, H}; uint32 numCores_[2];
    // uint32 dataCacheSize_[10]; uint32 coresSharingDataCache_[10]; uint32 dataCacheLevels_; uint32 avx10version_;
    // int model, family, stepping, extModel, extFamily, displayFamily, displayModel; padded to 8.
    static final int SIZE = 144;
    static final int MAX_LEVELS = 10;
    static final int TYPE_LOW = 0;
    static final int CACHE_SIZE = 24;
    static final int CORES_SHARING = 64;
    static final int LEVELS = 104;
    static final int MODEL = 112;
    static final int FAMILY = 116;
    static final int STEPPING = 120;
    static final int EXT_MODEL = 124;
    static final int EXT_FAMILY = 128;
    static final int DISPLAY_FAMILY = 132;
    static final int DISPLAY_MODEL = 136;
    private static final long T_SSE2 = 1L << 4;
    private static final long T_INTEL = 1L << 24;
    private static final long T_AMD = 1L << 25;

    /** oneDNN 3.12's {@code get_per_core_cache_size} guesses for L1, L2, L3 when it sees no caches. */
    static final long[] GUESSES = {32L << 10, 512L << 10, 1L << 20};

    private static volatile Location location;

    private OneDnnCpu() {}

    /**
     * The data and unified caches as oneDNN sees them, innermost first.
     *
     * @param levels how many oneDNN knows of; 0 when CPUID hid them and oneDNN uses its {@link #GUESSES}
     * @param sizeBytes the size of level {@code i + 1} at index {@code i}, {@code levels} entries
     * @param coresSharing how many cores share that cache, as oneDNN divides the size by it
     */
    public record Caches(int levels, long[] sizeBytes, int[] coresSharing) {
        public Caches {
            if (levels < 0 || levels > MAX_LEVELS || sizeBytes.length != levels || coresSharing.length != levels) {
                throw new IllegalArgumentException("levels " + levels + " with " + sizeBytes.length + " sizes and "
                        + coresSharing.length + " sharing counts");
            }
            sizeBytes = sizeBytes.clone();
            coresSharing = coresSharing.clone();
        }

        @Override
        public long[] sizeBytes() {
            return sizeBytes.clone();
        }

        @Override
        public int[] coresSharing() {
            return coresSharing.clone();
        }

        /** Whether oneDNN sees no caches at all (so it sizes its blocks by its built-in guesses). */
        public boolean hidden() {
            return levels == 0;
        }

        /** "L1d 48 KiB (shared by 1), L2 1 MiB (shared by 1), L3 32 MiB (shared by 2)", or "none". */
        public String summary() {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < levels; i++) {
                String name = i == 0 ? "L1d" : "L" + (i + 1);
                parts.add(name + " " + bytes(sizeBytes[i]) + " (shared by " + coresSharing[i] + ")");
            }
            return parts.isEmpty() ? "none" : String.join(", ", parts);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Caches c && c.levels == levels && Arrays.equals(c.sizeBytes, sizeBytes)
                    && Arrays.equals(c.coresSharing, coresSharing);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * levels + Arrays.hashCode(sizeBytes)) + Arrays.hashCode(coresSharing);
        }

        @Override
        public String toString() {
            return "Caches[" + summary() + "]";
        }
    }

    /**
     * What {@link #read()} found: the caches, or why they could not be read (then {@code caches} is empty and
     * {@code unavailableReason} a sentence; otherwise it is empty).
     */
    public record Reading(Optional<Caches> caches, String unavailableReason) {
        static Reading of(Caches c) {
            return new Reading(Optional.of(c), "");
        }

        static Reading unavailable(String why) {
            return new Reading(Optional.empty(), why);
        }

        /** One line for {@code doctor}. */
        public String describe() {
            if (caches.isEmpty()) {
                return "cannot tell which caches oneDNN sees: " + unavailableReason;
            }
            Caches c = caches.get();
            if (c.hidden()) {
                return "oneDNN sees no cache sizes (hidden by the hypervisor): it uses its built-in guesses "
                        + bytes(GUESSES[0]) + " / " + bytes(GUESSES[1]) + " / " + bytes(GUESSES[2]) + " per core";
            }
            return "oneDNN sees: " + c.summary();
        }
    }

    /**
     * Reads the caches oneDNN sees. Starts the engine, and oneDNN's CPU detection if nothing has run it yet (a tiny
     * convolution). Never throws for an engine it does not recognise: the reason comes back instead.
     */
    public static synchronized Reading read() {
        try {
            Location at = locate();
            ByteBuffer bytes = snapshot(at);
            String problem = layoutProblem(bytes, cpu());
            return problem == null ? Reading.of(caches(bytes)) : Reading.unavailable(problem);
        } catch (Unavailable e) {
            return Reading.unavailable(e.getMessage());
        }
    }

    /**
     * Test only: puts oneDNN into the state it reaches on a VM whose hypervisor zeroes the cache leaves of CPUID
     * (4, 0xB, 0x8000001D). Xbyak 7.37's constructor zero-fills both arrays and the level count; its AMD loop stops
     * at sub-leaf 0 (type 0) before writing anything; the closing {@code coresSharingDataCache_[0] = min(1, [0])}
     * leaves 0; Intel's leaf-4 loop likewise. So: 0 levels, all sizes and sharing counts 0.
     * {@code numCores_} is left alone: with leaf 0xB zeroed Xbyak derives it from leaves 1, 0x80000008 and 0x8000001E
     * instead, and no float32 kernel reads it.
     *
     * <p>The state is process-global and stays until the JVM exits. What oneDNN derived from the old values before
     * keeps them: primitives already created (and cached by shape) keep their blocking, and a few statics (the gemm
     * driver's L2 per thread) keep their first value. So run it in a child JVM, before any real work.
     *
     * @throws IllegalStateException if the object cannot be read or does not pass the layout checks (nothing is
     *     written then)
     */
    static void hideCachesForTest() {
        setCachesForTest(new Caches(0, new long[0], new int[0]));
    }

    /**
     * Test only: overwrites the levels, sizes and sharing counts oneDNN sees with {@code caches} (entries past
     * {@code caches.levels()} become 0, as Xbyak leaves them), after the same checks {@link #read()} makes; refuses
     * otherwise. For experiments such as oneDNN 3.7's "3 levels of 1 byte" state; see {@link #hideCachesForTest()}
     * for what it means for the process.
     *
     * @throws IllegalStateException if the object cannot be read or does not pass the layout checks
     */
    static synchronized void setCachesForTest(Caches caches) {
        try {
            Location at = locate();
            ByteBuffer bytes = snapshot(at);
            String problem = layoutProblem(bytes, cpu());
            if (problem != null) {
                throw new Unavailable(problem);
            }
            write(at, caches(bytes).levels(), caches);
        } catch (Unavailable e) {
            throw new IllegalStateException("refusing to write oneDNN's CPU object: " + e.getMessage(), e);
        }
    }

    /**
     * Writes so that a reader racing with us never sees a level whose sharing count is 0 (oneDNN divides by it):
     * when levels shrink, the count goes first; when they grow, it goes last.
     */
    private static void write(Location at, int oldLevels, Caches c) {
        BytePointer p = at.object();
        if (c.levels() < oldLevels) {
            p.putInt(LEVELS, c.levels());
        }
        for (int i = 0; i < MAX_LEVELS; i++) {
            boolean used = i < c.levels();
            p.putInt(CACHE_SIZE + 4L * i, used ? Math.toIntExact(c.sizeBytes[i]) : 0);
            p.putInt(CORES_SHARING + 4L * i, used ? c.coresSharing[i] : 0);
        }
        p.putInt(LEVELS, c.levels());
    }

    /** The object's bytes, copied out of the library's memory (after checking it is constructed). */
    private static ByteBuffer snapshot(Location at) throws Unavailable {
        ensureConstructed(at);
        byte[] copy = new byte[SIZE];
        at.object().get(copy);
        return ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void ensureConstructed(Location at) throws Unavailable {
        if (at.guard().get(0) != 0) {
            return;
        }
        try {
            runTinyConvolution();
        } catch (RuntimeException e) {
            throw new Unavailable("a convolution to start oneDNN's CPU detection failed: " + e.getMessage());
        }
        if (at.guard().get(0) == 0) {
            throw new Unavailable("oneDNN has not detected the CPU even after a convolution ran");
        }
    }

    /**
     * The constructor runs on oneDNN's first question about the CPU. A float32 channels_last convolution with a batch
     * of 2 goes to oneDNN (PyTorch's {@code use_mkldnn}); its odd shape (7 channels in, 5 out, 6x6) is one no
     * ResNet uses, so the primitive it leaves in oneDNN's cache is never reused by real work.
     */
    private static void runTinyConvolution() {
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            Tensor x = torch.ones(2, 7, 6, 6).contiguous(torch.MemoryFormat.ChannelsLast);
            Tensor w = torch.ones(5, 7, 3, 3).contiguous(torch.MemoryFormat.ChannelsLast);
            torch.conv2d(x, w, new TensorOptional(), new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1);
        }
    }

    /** The caches in {@code bytes}, which passed {@link #layoutProblem}. */
    static Caches caches(ByteBuffer bytes) {
        int levels = bytes.getInt(LEVELS);
        long[] sizes = new long[levels];
        int[] sharing = new int[levels];
        for (int i = 0; i < levels; i++) {
            sizes[i] = Integer.toUnsignedLong(bytes.getInt(CACHE_SIZE + 4 * i));
            sharing[i] = bytes.getInt(CORES_SHARING + 4 * i);
        }
        return new Caches(levels, sizes, sharing);
    }

    /**
     * Why {@code bytes} are not an Xbyak 7.37 {@code Cpu} object describing {@code cpu}, or null if they are.
     * The fields oneDNN never changes after construction (vendor, family, model, stepping) must match what the
     * kernel says; the cache fields must be what Xbyak can produce.
     */
    static String layoutProblem(ByteBuffer bytes, CpuInfo cpu) {
        String identity = identityProblem(bytes, cpu);
        return identity != null ? identity : cacheProblem(bytes);
    }

    private static String identityProblem(ByteBuffer b, CpuInfo cpu) {
        long type = b.getLong(TYPE_LOW);
        boolean intel = (type & T_INTEL) != 0;
        boolean amd = (type & T_AMD) != 0;
        if ((type & T_SSE2) == 0 || intel != cpu.vendor().equals("GenuineIntel")
                || amd != cpu.vendor().equals("AuthenticAMD")) {
            return "its CPU type bits (0x" + Long.toHexString(type) + ") do not fit a " + cpu.vendor() + " CPU";
        }
        int family = b.getInt(FAMILY);
        int model = b.getInt(MODEL);
        int displayFamily = family == 0xf ? family + b.getInt(EXT_FAMILY) : family;
        int displayModel = (intel && family == 6) || family == 0xf ? (b.getInt(EXT_MODEL) << 4) + model : model;
        if (b.getInt(DISPLAY_FAMILY) != displayFamily || b.getInt(DISPLAY_MODEL) != displayModel
                || displayFamily != cpu.family() || displayModel != cpu.model()
                || b.getInt(STEPPING) != cpu.stepping()) {
            return "its family/model/stepping (" + b.getInt(DISPLAY_FAMILY) + "/" + b.getInt(DISPLAY_MODEL) + "/"
                    + b.getInt(STEPPING) + ") are not /proc/cpuinfo's (" + cpu.family() + "/" + cpu.model() + "/"
                    + cpu.stepping() + "): this engine lays out Xbyak's Cpu differently";
        }
        return null;
    }

    private static String cacheProblem(ByteBuffer b) {
        int levels = b.getInt(LEVELS);
        if (levels < 0 || levels > MAX_LEVELS) {
            return "it claims " + Integer.toUnsignedString(levels) + " cache levels";
        }
        for (int i = 0; i < MAX_LEVELS; i++) {
            long size = Integer.toUnsignedLong(b.getInt(CACHE_SIZE + 4 * i));
            long sharing = Integer.toUnsignedLong(b.getInt(CORES_SHARING + 4 * i));
            boolean plausible = i < levels ? size >= 1 && size <= (1L << 30) && sharing >= 1 && sharing <= 65536
                    : size == 0 && sharing == 0;
            if (!plausible) {
                return "cache entry " + i + " of " + levels + " reads " + size + " bytes shared by " + sharing;
            }
        }
        return null;
    }

    /** Where the object and its guard are in this process. The library never moves once loaded. */
    private static Location locate() throws Unavailable {
        Location at = location;
        if (at == null) {
            try {
                Engine.init();
            } catch (RuntimeException | LinkageError e) {
                throw new Unavailable("the engine does not start: " + e.getMessage());
            }
            at = Location.find(ProcMaps.self());
            location = at;
        }
        return at;
    }

    private static String bytes(long n) {
        if (n >= 1L << 20 && n % (1L << 20) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n >= 1L << 10 && n % (1L << 10) == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " B";
    }

    /** A reason the object cannot be read; its message completes "cannot tell which caches oneDNN sees: ". */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    /** The addresses of the object and its guard, checked to lie in writable memory of the loaded library. */
    record Location(long objectAddress, long guardAddress) {
        BytePointer object() {
            return new NativeBytes(objectAddress, SIZE);
        }

        BytePointer guard() {
            return new NativeBytes(guardAddress, 1);
        }

        static Location find(ProcMaps maps) throws Unavailable {
            ProcMaps.Region lib = maps.library(LIBRARY);
            ElfSymbols elf = symbols(Path.of(lib.path()));
            long bias = loadBias(lib, elf);
            ElfSymbols.Symbol object = elf.symbol(OBJECT_SYMBOL);
            ElfSymbols.Symbol guard = elf.symbol(GUARD_SYMBOL);
            if (object == null || guard == null) {
                throw new Unavailable(LIBRARY + " names no oneDNN x64 CPU object (not a oneDNN x64 build)");
            }
            if (object.size() != SIZE || guard.size() < 1) {
                throw new Unavailable("oneDNN's CPU object has " + object.size() + " bytes, not the " + SIZE
                        + " of the Xbyak this code knows (7.37, oneDNN 3.12)");
            }
            long objectAt = checked(maps, elf, bias, object);
            long guardAt = checked(maps, elf, bias, guard);
            return new Location(objectAt, guardAt);
        }

        private static ElfSymbols symbols(Path file) throws Unavailable {
            try {
                return ElfSymbols.read(file, Set.of(OBJECT_SYMBOL, GUARD_SYMBOL));
            } catch (IOException | RuntimeException e) {
                throw new Unavailable("cannot read the symbols of " + file + ": " + e.getMessage());
            }
        }

        /**
         * The load bias: the mapping of the file's lowest mapped offset starts at bias + that segment's page-aligned
         * virtual address.
         */
        private static long loadBias(ProcMaps.Region lib, ElfSymbols elf) throws Unavailable {
            for (ElfSymbols.Segment s : elf.segments()) {
                if (pageDown(s.offset()) == lib.offset()) {
                    return lib.start() - pageDown(s.vaddr());
                }
            }
            throw new Unavailable("no segment of " + lib.path() + " is mapped at file offset " + lib.offset());
        }

        /** The symbol's address, once it is known to lie in a writable segment and in read-write mappings. */
        private static long checked(ProcMaps maps, ElfSymbols elf, long bias, ElfSymbols.Symbol s)
                throws Unavailable {
            boolean inSegment = elf.segments().stream().anyMatch(g -> g.writable() && g.holds(s.value(), s.size()));
            long address = bias + s.value();
            if (!inSegment || !maps.readWrite(address, s.size())) {
                throw new Unavailable(s.name() + " is not in the library's writable memory");
            }
            return address;
        }

        private static long pageDown(long v) {
            return v & ~0xfffL;
        }
    }

    /** A view of native memory we do not own: JavaCPP frees nothing on close (no deallocator). */
    private static final class NativeBytes extends BytePointer {
        NativeBytes(long start, long length) {
            address = start;
            limit = length;
            capacity = length;
        }
    }

    /** The memory map of this process, from {@code /proc/self/maps}. */
    static final class ProcMaps {
        /** One line: {@code start-end perms offset dev inode path}. */
        record Region(long start, long end, String perms, long offset, long inode, String path) {
            boolean readWrite() {
                return perms.startsWith("rw");
            }
        }

        private final List<Region> regions;

        ProcMaps(List<Region> regions) {
            this.regions = regions;
        }

        static ProcMaps self() throws Unavailable {
            try {
                return parse(Files.readAllLines(Path.of("/proc/self/maps")));
            } catch (IOException | RuntimeException e) {
                throw new Unavailable("cannot read /proc/self/maps: " + e.getMessage());
            }
        }

        static ProcMaps parse(List<String> lines) {
            List<Region> out = new ArrayList<>();
            for (String line : lines) {
                String[] f = line.trim().split("\\s+", 6);
                if (f.length < 5) {
                    continue;
                }
                String[] range = f[0].split("-");
                out.add(new Region(Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16), f[1],
                        Long.parseUnsignedLong(f[2], 16), Long.parseLong(f[4]), f.length == 6 ? f[5] : ""));
            }
            return new ProcMaps(out);
        }

        /** The mapping of {@code fileName} with the lowest file offset; exactly one file of that name may be mapped. */
        Region library(String fileName) throws Unavailable {
            Region lowest = null;
            for (Region r : regions) {
                if (r.path().endsWith("/" + fileName) || r.path().endsWith("/" + fileName + " (deleted)")) {
                    if (lowest != null && !lowest.path().equals(r.path())) {
                        throw new Unavailable("two copies of " + fileName + " are loaded");
                    }
                    if (lowest == null || r.offset() < lowest.offset()) {
                        lowest = r;
                    }
                }
            }
            if (lowest == null) {
                throw new Unavailable(fileName + " is not loaded");
            }
            if (lowest.path().endsWith(" (deleted)") || !sameFile(lowest)) {
                throw new Unavailable(lowest.path() + " changed on disk since it was loaded");
            }
            return lowest;
        }

        private static boolean sameFile(Region r) {
            try {
                return ((Number) Files.getAttribute(Path.of(r.path()), "unix:ino")).longValue() == r.inode();
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }

        /** Whether every byte of {@code [address, address + length)} is mapped readable and writable. */
        boolean readWrite(long address, long length) {
            long next = address;
            long end = address + length;
            boolean advanced = true;
            while (next < end && advanced) {
                advanced = false;
                for (Region r : regions) {
                    if (r.readWrite() && r.start() <= next && next < r.end()) {
                        next = r.end();
                        advanced = true;
                    }
                }
            }
            return next >= end;
        }
    }

    /** This machine's processor, as far as the layout checks need it. */
    private static CpuInfo cpu() throws Unavailable {
        CpuInfo c = CpuInfo.current();
        if (c.family() < 0 || c.model() < 0 || c.stepping() < 0) {
            throw new Unavailable("/proc/cpuinfo does not give the CPU's family, model and stepping");
        }
        return c;
    }
}
