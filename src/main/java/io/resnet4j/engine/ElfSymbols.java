package io.resnet4j.engine;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * The few facts of an ELF64 shared library that {@link OneDnnCpu} needs: its loadable segments and where some of its
 * static symbols are, read from the file's own {@code .symtab}.
 *
 * <p>Why not {@code dlsym}: the symbols we want are local ({@code nm} type {@code b}: function-local statics), which
 * the dynamic symbol table does not export. Only {@code .symtab} names them, and it is not loaded into memory, so we
 * read it from the file. Why not a hard-coded offset: it changes with every build of the library, and a wrong one
 * reads or writes someone else's memory.
 */
final class ElfSymbols {
    static final int PT_LOAD = 1;
    static final int PF_W = 2;
    static final int STT_OBJECT = 1;
    private static final int SHT_SYMTAB = 2;
    private static final int SYM_SIZE = 24;

    /** A {@code PT_LOAD} program header: where a part of the file goes in memory, relative to the load bias. */
    record Segment(long offset, long vaddr, long fileSize, long memSize, int flags) {
        boolean writable() {
            return (flags & PF_W) != 0;
        }

        /** Whether {@code [vaddr, vaddr + length)} lies inside this segment's memory image. */
        boolean holds(long address, long length) {
            return address >= vaddr && length >= 0 && address + length <= vaddr + memSize;
        }
    }

    /** A symbol table entry: its value is an address relative to the load bias. */
    record Symbol(String name, long value, long size, int type, String section) {}

    private final List<Segment> segments;
    private final Map<String, Symbol> symbols;

    private ElfSymbols(List<Segment> segments, Map<String, Symbol> symbols) {
        this.segments = segments;
        this.symbols = symbols;
    }

    /**
     * Reads {@code file}'s program headers and the {@code .symtab} entries named in {@code wanted} (mangled names).
     * The symbol and string tables (tens of MiB for libtorch) are mapped, not copied; the mappings go with the
     * garbage collector.
     *
     * @throws IOException if the file cannot be read or is not a little-endian ELF64 file with a {@code .symtab}
     */
    static ElfSymbols read(Path file, Set<String> wanted) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = readFully(ch, 0, 64);
            checkIdent(header, file);
            List<Segment> segments = segments(ch, header);
            Map<String, Symbol> symbols = symbols(ch, header, wanted);
            return new ElfSymbols(List.copyOf(segments), Map.copyOf(symbols));
        }
    }

    List<Segment> segments() {
        return segments;
    }

    /** The symbol named {@code name}, or null if {@code .symtab} has none (or more than one) of that name. */
    Symbol symbol(String name) {
        return symbols.get(name);
    }

    private static void checkIdent(ByteBuffer h, Path file) throws IOException {
        boolean magic = h.get(0) == 0x7f && h.get(1) == 'E' && h.get(2) == 'L' && h.get(3) == 'F';
        if (!magic || h.get(4) != 2 || h.get(5) != 1) {
            throw new IOException(file + " is not a little-endian ELF64 file");
        }
    }

    private static List<Segment> segments(FileChannel ch, ByteBuffer h) throws IOException {
        long phoff = h.getLong(0x20);
        int phentsize = Short.toUnsignedInt(h.getShort(0x36));
        int phnum = Short.toUnsignedInt(h.getShort(0x38));
        ByteBuffer ph = readFully(ch, phoff, (long) phentsize * phnum);
        List<Segment> out = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int at = i * phentsize;
            if (ph.getInt(at) == PT_LOAD) {
                out.add(new Segment(ph.getLong(at + 8), ph.getLong(at + 16), ph.getLong(at + 32),
                        ph.getLong(at + 40), ph.getInt(at + 4)));
            }
        }
        return out;
    }

    private static Map<String, Symbol> symbols(FileChannel ch, ByteBuffer h, Set<String> wanted) throws IOException {
        long shoff = h.getLong(0x28);
        int shentsize = Short.toUnsignedInt(h.getShort(0x3A));
        int shnum = Short.toUnsignedInt(h.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(h.getShort(0x3E));
        ByteBuffer sh = readFully(ch, shoff, (long) shentsize * shnum);
        int symtab = -1;
        for (int i = 0; i < shnum; i++) {
            if (sh.getInt(i * shentsize + 4) == SHT_SYMTAB) {
                symtab = i;
            }
        }
        if (symtab < 0) {
            throw new IOException("no .symtab (the library was stripped)");
        }
        int at = symtab * shentsize;
        int strtab = sh.getInt(at + 40);
        MappedByteBuffer syms = map(ch, sh.getLong(at + 24), sh.getLong(at + 32));
        MappedByteBuffer strs = map(ch, sh.getLong(strtab * shentsize + 24), sh.getLong(strtab * shentsize + 32));
        MappedByteBuffer sectionNames = map(ch, sh.getLong(shstrndx * shentsize + 24),
                sh.getLong(shstrndx * shentsize + 32));
        return matching(syms, strs, wanted, index -> sectionName(sh, shentsize, shnum, sectionNames, index));
    }

    /** Scans the symbol table once; a name that occurs twice is left out, as it does not say which one is meant. */
    private static Map<String, Symbol> matching(ByteBuffer syms, ByteBuffer strs, Set<String> wanted,
            IntFunction<String> sections) {
        Map<String, byte[]> names = new HashMap<>();
        for (String w : wanted) {
            names.put(w, w.getBytes(StandardCharsets.US_ASCII));
        }
        Map<String, Symbol> found = new HashMap<>();
        Set<String> duplicated = new HashSet<>();
        int count = syms.capacity() / SYM_SIZE;
        for (int i = 0; i < count; i++) {
            int at = i * SYM_SIZE;
            int type = syms.get(at + 4) & 0xf;
            if (type != STT_OBJECT) {
                continue;
            }
            int nameAt = syms.getInt(at);
            for (Map.Entry<String, byte[]> n : names.entrySet()) {
                if (nameIs(strs, nameAt, n.getValue())) {
                    Symbol s = new Symbol(n.getKey(), syms.getLong(at + 8), syms.getLong(at + 16), type,
                            sections.apply(Short.toUnsignedInt(syms.getShort(at + 6))));
                    if (found.putIfAbsent(n.getKey(), s) != null) {
                        duplicated.add(n.getKey());
                    }
                }
            }
        }
        duplicated.forEach(found::remove);
        return found;
    }

    private static boolean nameIs(ByteBuffer strs, int at, byte[] name) {
        if (at < 0 || at + name.length >= strs.capacity()) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (strs.get(at + i) != name[i]) {
                return false;
            }
        }
        return strs.get(at + name.length) == 0;
    }

    private static String sectionName(ByteBuffer sh, int shentsize, int shnum, ByteBuffer names, int index) {
        if (index == 0 || index >= shnum) {
            return "";
        }
        int at = sh.getInt(index * shentsize);
        StringBuilder s = new StringBuilder();
        while (at >= 0 && at < names.capacity() && names.get(at) != 0) {
            s.append((char) names.get(at++));
        }
        return s.toString();
    }

    private static MappedByteBuffer map(FileChannel ch, long offset, long size) throws IOException {
        if (offset < 0 || size < 0 || size > Integer.MAX_VALUE || offset + size > ch.size()) {
            throw new IOException("section out of the file's bounds");
        }
        MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, offset, size);
        b.order(ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    private static ByteBuffer readFully(FileChannel ch, long offset, long size) throws IOException {
        if (offset < 0 || size < 0 || size > (1 << 24) || offset + size > ch.size()) {
            throw new IOException("header out of the file's bounds");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new EOFException();
            }
        }
        return b.flip();
    }
}
