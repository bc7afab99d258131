package io.resnet4j.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.resnet4j.ResNet4jException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A safetensors file opened for reading: the header is parsed and validated up front, and tensors are read on
 * demand with positioned reads, so opening a large file costs only its header.
 *
 * <p>Layout: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON
 * {@code {name: {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}}, then the
 * data section, with offsets relative to its first byte.
 *
 * <p>The file is treated as untrusted. {@link #open} checks every header field before using it and, as the official
 * safetensors library does, requires the tensors to tile the data section exactly (no overlaps, no gaps, nothing
 * after the last tensor). Every problem with the content is a {@link WeightsFormatException} naming the file and
 * the fault; a file that cannot be read at all is a {@link ResNet4jException}. Nothing is allocated from a length
 * that has not been checked against the file size first.
 *
 * <p>Reading is thread-safe. Close the file when done (try-with-resources).
 */
public final class SafeTensorsFile implements AutoCloseable {

    /** Largest header accepted: 100 MiB (the official library's limit is 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** The reserved header key holding the string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Only three levels are legitimate (header, entry, shape); anything deeper is refused before it is parsed. */
    private static final int MAX_JSON_DEPTH = 16;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_JSON_DEPTH)
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .maxNameLength((int) MAX_HEADER_BYTES)
                    .maxNumberLength(100)
                    .build())
            .build();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataLength;
    private final List<TensorEntry> entries;
    private final Map<String, TensorEntry> byName;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, long dataLength,
                            List<TensorEntry> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
        this.entries = Collections.unmodifiableList(entries);
        Map<String, TensorEntry> m = new HashMap<>(entries.size() * 2);
        for (TensorEntry e : entries) {
            m.put(e.name(), e);
        }
        this.byName = m;
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @throws WeightsFormatException if the content is not a valid safetensors file
     * @throws ResNet4jException      if the file cannot be opened or read
     */
    public static SafeTensorsFile open(Path path) {
        Objects.requireNonNull(path, "path");
        if (Files.isDirectory(path)) {
            throw new ResNet4jException(path + " is a directory, not a safetensors file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ResNet4jException("cannot open " + path + ": there is no such file", e);
        } catch (AccessDeniedException e) {
            throw new ResNet4jException("cannot open " + path + ": permission denied", e);
        } catch (IOException e) {
            throw new ResNet4jException("cannot open " + path + ": " + AtomicFiles.describe(e), e);
        }
        boolean ok = false;
        try {
            SafeTensorsFile f = new Parser(path, channel).parse();
            ok = true;
            return f;
        } catch (IOException e) {
            throw new ResNet4jException("cannot read " + path + ": " + AtomicFiles.describe(e), e);
        } finally {
            if (!ok) {
                closeQuietly(channel);
            }
        }
    }

    /** @return the path this file was opened with */
    public Path path() {
        return path;
    }

    /** @return the {@code __metadata__} entries in header order (empty if there are none); unmodifiable */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** @return every tensor in header order; unmodifiable */
    public List<TensorEntry> entries() {
        return entries;
    }

    /** @return the tensor named {@code name}, if the file has one */
    public Optional<TensorEntry> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** @return the offset of the data section from the start of the file ({@code 8 + N}) */
    public long dataStart() {
        return dataStart;
    }

    /** @return the size of the data section in bytes */
    public long dataLength() {
        return dataLength;
    }

    /**
     * Reads one tensor's bytes.
     *
     * @throws WeightsFormatException if there is no such tensor, it is too large for one Java array (2 GiB), or the
     *                                file has become shorter since it was opened
     * @throws ResNet4jException      on an I/O error or if this file is closed
     */
    public TensorData read(String name) {
        TensorEntry e = require(name);
        long size = e.byteSize();
        if (size > TensorData.MAX_ARRAY) {
            throw new WeightsFormatException(path, "tensor " + WeightsFormatException.quote(name) + " has " + size
                    + " bytes, more than the 2 GiB one in-memory tensor can hold");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        long at = dataStart + e.begin();
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, at + buf.position());
                if (n < 0) {
                    throw new WeightsFormatException(path, "the file ended while reading tensor "
                            + WeightsFormatException.quote(name) + " (was it changed after it was opened?)");
                }
            }
        } catch (ClosedChannelException ex) {
            throw new ResNet4jException("cannot read tensor " + WeightsFormatException.quote(name) + " from " + path
                    + ": the file has been closed", ex);
        } catch (IOException ex) {
            throw new ResNet4jException("cannot read " + path + ": " + AtomicFiles.describe(ex), ex);
        }
        buf.flip();
        return new TensorData(e.dtype(), e.shape(), buf);
    }

    /**
     * Reads a floating-point tensor (F32, F64, F16 or BF16) as floats.
     *
     * @throws WeightsFormatException if there is no such tensor or it is not floating-point
     */
    public float[] readFloats(String name) {
        TensorEntry e = require(name);
        if (!e.dtype().isFloatingPoint()) {
            throw new WeightsFormatException(path, "tensor " + WeightsFormatException.quote(name) + " is "
                    + e.dtype() + ", not a floating-point tensor");
        }
        return read(name).toFloatArray();
    }

    /**
     * Reads an integer tensor (I64, I32, I16, I8, U8 or BOOL) as longs.
     *
     * @throws WeightsFormatException if there is no such tensor or it is not an integer tensor
     */
    public long[] readLongs(String name) {
        TensorEntry e = require(name);
        if (!e.dtype().isIntegral()) {
            throw new WeightsFormatException(path, "tensor " + WeightsFormatException.quote(name) + " is "
                    + e.dtype() + ", not an integer tensor");
        }
        return read(name).toLongArray();
    }

    /** Closes the underlying file; later reads fail. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new ResNet4jException("cannot close " + path + ": " + AtomicFiles.describe(e), e);
        }
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + path + ", " + entries.size() + " tensors]";
    }

    private TensorEntry require(String name) {
        TensorEntry e = byName.get(name);
        if (e == null) {
            throw new WeightsFormatException(path, "there is no tensor " + WeightsFormatException.quote(name));
        }
        return e;
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Already failing; the first error is the one to report.
        }
    }

    /** Reads and validates the header; one instance per open(). */
    private static final class Parser {
        private final Path path;
        private final FileChannel channel;
        private long dataLength;

        Parser(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
        }

        private WeightsFormatException fail(String problem) {
            return new WeightsFormatException(path, problem);
        }

        SafeTensorsFile parse() throws IOException {
            long fileSize = channel.size();
            if (fileSize == 0) {
                throw fail("the file is empty");
            }
            if (fileSize < 8) {
                throw fail("the file has only " + fileSize + " bytes, shorter than the 8-byte header length field");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(lenBuf, 0);
            long n = lenBuf.getLong(0); // an unsigned u64 in the file
            if (n == 0) {
                throw fail("the header length is 0, so there is no JSON header");
            }
            if (Long.compareUnsigned(n, MAX_HEADER_BYTES) > 0) {
                throw fail("the header length " + Long.toUnsignedString(n) + " is above the limit of "
                        + MAX_HEADER_BYTES + " bytes (100 MiB)");
            }
            if (n > fileSize - 8) {
                throw fail("the header length " + n + " reaches past the end of the file, which has only "
                        + (fileSize - 8) + " bytes after the length field");
            }
            long dataStart = 8 + n;
            dataLength = fileSize - dataStart;

            List<TensorEntry> entries = new ArrayList<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            // Streamed: strict UTF-8 decoding feeds the JSON parser, so no copy of a large header is made.
            try (Reader reader = new InputStreamReader(new RangeInputStream(channel, 8, n), utf8);
                 JsonParser p = JSON.createParser(reader)) {
                try {
                    parseHeader(p, entries, metadata);
                } catch (JsonProcessingException e) {
                    throw jsonError(p, e);
                }
            } catch (CharacterCodingException e) {
                throw fail("the JSON header is not valid UTF-8");
            }
            checkLayout(entries);
            return new SafeTensorsFile(path, channel, dataStart, dataLength, entries, metadata);
        }

        private void parseHeader(JsonParser p, List<TensorEntry> entries, Map<String, String> metadata)
                throws IOException {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw fail("the JSON header is blank");
            }
            if (t != JsonToken.START_OBJECT) {
                throw fail("the JSON header is not a JSON object");
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (METADATA_KEY.equals(key)) {
                    parseMetadata(p, metadata);
                } else {
                    entries.add(parseEntry(p, key));
                }
            }
            // The parser guarantees the object closed properly; anything after it but padding is an error.
            if (p.nextToken() != null) {
                throw fail("the JSON header has content after the closing brace of its object");
            }
        }

        private void parseMetadata(JsonParser p, Map<String, String> metadata) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw fail(METADATA_KEY + " is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw fail(METADATA_KEY + " value of " + WeightsFormatException.quote(key) + " is not a string");
                }
                metadata.put(key, p.getText());
            }
        }

        private TensorEntry parseEntry(JsonParser p, String name) throws IOException {
            String what = "tensor " + WeightsFormatException.quote(name);
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw fail(what + ": its entry is not a JSON object");
            }
            DType dtype = null;
            long[] shape = null;
            long[] offsets = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "dtype" -> {
                        if (v != JsonToken.VALUE_STRING) {
                            throw fail(what + ": dtype is not a string");
                        }
                        String code = p.getText();
                        dtype = DType.tryFromCode(code).orElseThrow(() -> fail(what + ": unknown dtype "
                                + WeightsFormatException.quote(code) + " (supported: " + DType.supportedCodes() + ")"));
                    }
                    case "shape" -> shape = readNaturals(p, what + ": shape must be an array of non-negative integers");
                    case "data_offsets" -> {
                        String rule = what + ": data_offsets must be two non-negative integers [begin, end]";
                        offsets = readNaturals(p, rule);
                        if (offsets.length != 2) {
                            throw fail(rule + ", but has " + offsets.length + " element" + (offsets.length == 1 ? "" : "s"));
                        }
                    }
                    default -> throw fail(what + ": unexpected field " + WeightsFormatException.quote(field)
                            + " (allowed: dtype, shape, data_offsets)");
                }
            }
            if (dtype == null) {
                throw fail(what + ": missing field 'dtype'");
            }
            if (shape == null) {
                throw fail(what + ": missing field 'shape'");
            }
            if (offsets == null) {
                throw fail(what + ": missing field 'data_offsets'");
            }
            long begin = offsets[0];
            long end = offsets[1];
            String range = "data_offsets [" + begin + ", " + end + "]";
            long needed;
            try {
                needed = Math.multiplyExact(TensorData.numel(shape), dtype.byteSize());
            } catch (ArithmeticException e) {
                throw fail(what + ": shape " + TensorData.shapeString(shape) + " of " + dtype
                        + " is too large: its byte size overflows a 64-bit integer");
            }
            if (begin > end) {
                throw fail(what + ": " + range + " end before they begin");
            }
            if (end - begin != needed) {
                throw fail(what + ": " + range + " hold " + (end - begin) + " bytes but shape "
                        + TensorData.shapeString(shape) + " of " + dtype + " needs " + needed);
            }
            if (end > dataLength) {
                throw fail(what + ": " + range + " reach past the end of the data section, which has "
                        + dataLength + " bytes (is the file truncated?)");
            }
            return new TensorEntry(name, dtype, shape, begin, end);
        }

        /** Reads a JSON array of integers in [0, Long.MAX_VALUE]; {@code rule} starts the error message. */
        private long[] readNaturals(JsonParser p, String rule) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw fail(rule + ", but is " + describeToken(p));
            }
            long[] out = new long[4];
            int n = 0;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_NUMBER_INT) {
                    throw fail(rule + ", but contains " + describeToken(p));
                }
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw fail(rule + ", but contains " + WeightsFormatException.clean(p.getText())
                            + ", which does not fit in a 64-bit integer");
                }
                long v = p.getLongValue();
                if (v < 0) {
                    throw fail(rule + ", but contains " + v);
                }
                if (n == out.length) {
                    out = Arrays.copyOf(out, n * 2);
                }
                out[n++] = v;
            }
            return Arrays.copyOf(out, n);
        }

        private static String describeToken(JsonParser p) throws IOException {
            JsonToken t = p.currentToken();
            if (t == null) {
                return "missing";
            }
            return switch (t) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "a nested array";
                case VALUE_STRING -> "the string " + WeightsFormatException.quote(p.getText());
                case VALUE_NUMBER_FLOAT -> "the non-integer " + WeightsFormatException.clean(p.getText());
                case VALUE_NUMBER_INT -> "the number " + WeightsFormatException.clean(p.getText());
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                default -> WeightsFormatException.clean(p.getText());
            };
        }

        private WeightsFormatException jsonError(JsonParser p, JsonProcessingException e) {
            String orig = e.getOriginalMessage();
            if (orig != null && orig.startsWith("Duplicate field")) {
                // Jackson's STRICT_DUPLICATE_DETECTION: the duplicate is the parser's current name.
                JsonStreamContext ctx = p.getParsingContext();
                String key = ctx == null ? null : ctx.getCurrentName();
                JsonStreamContext parent = ctx == null ? null : ctx.getParent();
                String where = parent == null || parent.inRoot()
                        ? "the JSON header"
                        : (METADATA_KEY.equals(parent.getCurrentName())
                        ? METADATA_KEY
                        : "the entry of tensor " + WeightsFormatException.quote(String.valueOf(parent.getCurrentName())));
                return new WeightsFormatException(path, "duplicate key " + WeightsFormatException.quote(key)
                        + " in " + where, e);
            }
            if (orig == null) {
                orig = e.getClass().getSimpleName();
            }
            // Parser limits (number length, nesting depth) name Jackson's settings; the reader needs only the fact.
            orig = orig.replaceAll(", from `[^`]*`", "");
            StringBuilder m = new StringBuilder("the JSON header is not valid JSON: ")
                    .append(WeightsFormatException.clean(orig, 200));
            JsonLocation loc = e.getLocation();
            if (loc != null && loc.getLineNr() > 0) {
                m.append(" (line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr()).append(')');
            }
            return new WeightsFormatException(path, m.toString(), e);
        }

        /**
         * Like the official library: sorted by offsets, every tensor must start where the previous one ended, and
         * the last must end at the end of the file. This rules out overlaps, holes and trailing bytes.
         */
        private void checkLayout(List<TensorEntry> entries) {
            List<TensorEntry> sorted = new ArrayList<>(entries);
            sorted.sort(Comparator.comparingLong(TensorEntry::begin).thenComparingLong(TensorEntry::end));
            long cursor = 0;
            TensorEntry last = null; // the tensor that ends at cursor
            for (TensorEntry e : sorted) {
                if (e.begin() < cursor) {
                    throw fail("tensor " + WeightsFormatException.quote(e.name()) + " (data_offsets [" + e.begin()
                            + ", " + e.end() + "]) overlaps tensor " + WeightsFormatException.quote(last.name())
                            + " (data_offsets [" + last.begin() + ", " + last.end() + "])");
                }
                if (e.begin() > cursor) {
                    throw fail("bytes " + cursor + " to " + e.begin() + " of the data section belong to no tensor"
                            + " (a gap before tensor " + WeightsFormatException.quote(e.name()) + ")");
                }
                if (e.end() > cursor || last == null) {
                    last = e;
                }
                cursor = e.end();
            }
            if (cursor != dataLength) {
                throw fail("the last " + (dataLength - cursor) + " bytes of the data section (from offset " + cursor
                        + " to " + dataLength + ") belong to no tensor");
            }
        }

        private void readFully(ByteBuffer buf, long position) throws IOException {
            while (buf.hasRemaining()) {
                if (channel.read(buf, position + buf.position()) < 0) {
                    throw fail("the file ended unexpectedly while reading its header");
                }
            }
        }
    }

    /** Bytes {@code [start, start + length)} of a channel via positioned reads; close() leaves the channel open. */
    private static final class RangeInputStream extends InputStream {
        private final FileChannel channel;
        private long position;
        private long remaining;

        RangeInputStream(FileChannel channel, long start, long length) {
            this.channel = channel;
            this.position = start;
            this.remaining = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (remaining == 0) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            int want = (int) Math.min(len, remaining);
            int n = channel.read(ByteBuffer.wrap(b, off, want), position);
            if (n < 0) {
                // The file shrank after its size was checked: end the header early, which the parser reports.
                remaining = 0;
                return -1;
            }
            position += n;
            remaining -= n;
            return n;
        }

        @Override
        public void close() {
            // The channel stays open for tensor reads.
        }
    }
}
