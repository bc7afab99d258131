package io.resnet4j.io;

import io.resnet4j.ResNet4jException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Replaces a file atomically: the content goes to a temporary file in the same directory, which is flushed to
 * disk and then renamed over the target, and the directory is synced where the platform allows.
 *
 * <p>Readers therefore see either the old file or the complete new one, never a partial write, and if anything
 * fails (the body throws, the disk is full, the process dies) the old file is left as it was. On failure the
 * temporary file is removed. It is the one way resnet4j writes a file: weights, {@code config.json}, checkpoints,
 * {@code metrics.csv} (whose rows are then appended in place), plots and ONNX exports all go through it, so there is
 * one temporary-file name to recognise ({@link #removeStaleTemporaries}) and one place that syncs.
 *
 * <p>The target's parent directory must exist. If the target is a symbolic link, the link itself is replaced.
 */
public final class AtomicFiles {

    /** Writes the content of a file; may throw {@link IOException}. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        /**
         * Writes to {@code sink}.
         *
         * @param sink where the content goes
         * @throws IOException if writing fails; the atomic write is then abandoned
         */
        void accept(T sink) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Atomically replaces {@code target} with what {@code body} writes to a buffered stream.
     *
     * <p>The body need not close the stream (closing it is harmless).
     *
     * @param target the file to create or replace
     * @param body   writes the complete new content
     *
     * @throws ResNet4jException naming the target if an I/O error occurs; the old file is untouched and the
     *                           temporary file removed. Runtime exceptions and errors thrown by the body pass
     *                           through unchanged, after the same clean-up.
     */
    public static void write(Path target, IOConsumer<? super OutputStream> body) {
        Objects.requireNonNull(body, "body");
        writeChannel(target, channel -> {
            OutputStream out = new BufferedOutputStream(new ChannelOutputStream(channel), 1 << 16);
            body.accept(out);
            out.flush();
        });
    }

    /**
     * Atomically replaces {@code target} with what {@code body} writes to a {@link FileChannel} positioned at 0.
     *
     * <p>The body must not close the channel; it may use positioned writes, and the file ends up as long as the
     * channel's size when the body returns.
     *
     * @param target the file to create or replace
     * @param body   writes the complete new content
     *
     * @throws ResNet4jException naming the target if an I/O error occurs; the old file is untouched and the
     *                           temporary file removed. Runtime exceptions and errors thrown by the body pass
     *                           through unchanged, after the same clean-up.
     */
    public static void writeChannel(Path target, IOConsumer<? super FileChannel> body) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(body, "body");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) {
            throw new ResNet4jException("cannot write " + target + ": it is not a file path");
        }
        if (!Files.isDirectory(dir)) {
            throw new ResNet4jException("could not write " + target + ": the directory " + dir + " does not exist");
        }
        Path tmp = null;
        boolean renamed = false;
        try {
            tmp = createTemp(dir, abs.getFileName().toString());
            copyPermissions(abs, tmp);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                body.accept(channel);
                holdIfTestAsks(abs, tmp);
                // Data must be on disk before the rename makes it visible, or a crash could expose an empty file.
                channel.force(true);
            }
            // rename(2) on POSIX: atomic, and replaces an existing target.
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
            syncDirectory(dir);
        } catch (IOException e) {
            String reason = Files.isDirectory(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "it is a directory"
                    : describe(e);
            throw new ResNet4jException("could not write " + target + ": " + reason, e);
        } finally {
            if (!renamed && tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException | RuntimeException ignored) {
                    // Nothing more to do: the original failure is what the caller needs to see.
                }
            }
        }
    }

    /**
     * Test-only: a system property naming a file; an atomic write of a file of that name stops for good after its
     * content is in the temporary file and before that is synced and renamed, after printing
     * {@value #HOLD_ANNOUNCEMENT} and the two paths on stderr. A test then kills the process at exactly the moment a
     * crash during a write would leave behind, however fast or slow the machine is. Never set outside tests.
     */
    public static final String HOLD_PROPERTY = "resnet4j.test.holdWriteOf";

    /** The start of the line a held write prints. */
    public static final String HOLD_ANNOUNCEMENT = "test hook: holding the write of ";

    private static void holdIfTestAsks(Path target, Path tmp) {
        String name = System.getProperty(HOLD_PROPERTY);
        if (name == null || !name.equals(String.valueOf(target.getFileName()))) {
            return;
        }
        System.err.println(HOLD_ANNOUNCEMENT + target + " (temporary file " + tmp + ")");
        System.err.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // Held until the process is killed, as a process that crashed here would be.
            }
        }
    }

    /**
     * Atomically replaces {@code target} with {@code content} encoded as UTF-8.
     *
     * @param target  the file to create or replace
     * @param content the new text
     * @throws ResNet4jException naming the target if it cannot be written; the old file is untouched
     */
    public static void writeString(Path target, String content) {
        writeBytes(target, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Atomically replaces {@code target} with {@code content}.
     *
     * @param target  the file to create or replace
     * @param content the new bytes
     * @throws ResNet4jException naming the target if it cannot be written; the old file is untouched
     */
    public static void writeBytes(Path target, byte[] content) {
        Objects.requireNonNull(content, "content");
        writeChannel(target, channel -> writeFully(channel, ByteBuffer.wrap(content)));
    }

    /** The name of this class's temporary files: {@code .NAME.<hex>.tmp} beside the target ({@link #createTemp}). */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");

    /**
     * Clean-up only: {@code .NAME.<UUID>.tmp}, the temporary files of the plot and metrics writers of resnet4j
     * versions before every writer used this class. A run folder written by such a version may still hold one after
     * a kill, and a resumed run should not keep it forever. Nothing writes this name any more.
     */
    private static final Pattern LEGACY_TEMPORARY = Pattern.compile(
            "\\..+\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.tmp");

    /** Whether {@code name} is that of a temporary file an interrupted atomic write leaves, of this or an older version. */
    static boolean isTemporaryName(String name) {
        return TEMPORARY.matcher(name).matches() || LEGACY_TEMPORARY.matcher(name).matches();
    }

    /**
     * Deletes the temporary files that writes interrupted by a killed process or a power loss left in {@code dir}
     * (not in its subdirectories). Only for a directory no other process is writing into at the same time: a
     * temporary file being written is indistinguishable from a stale one.
     *
     * @return how many were deleted (0 when {@code dir} does not exist)
     * @throws ResNet4jException if the directory cannot be listed or a stale file cannot be deleted
     */
    public static int removeStaleTemporaries(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                if (isTemporaryName(p.getFileName().toString())
                        && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ResNet4jException("cannot remove stale temporary files in " + dir + ": "
                    + (e instanceof IOException io ? describe(io) : e.getMessage()), e);
        }
        return removed;
    }

    /** Writes all remaining bytes of {@code buffer} at the channel's position. */
    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** A hidden sibling of the target, created exclusively so two writers never share one. */
    private static Path createTemp(Path dir, String targetName) throws IOException {
        // Keep the name well under the usual 255-byte limit even for long targets.
        String stem = targetName.length() > 64 ? targetName.substring(0, 64) : targetName;
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + stem + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                // CREATE_NEW with default permissions (the umask applies), unlike Files.createTempFile's 0600.
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /** Keeps the permissions of a file being replaced (best effort; POSIX only). */
    private static void copyPermissions(Path from, Path to) {
        try {
            if (Files.isRegularFile(from)) {
                Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
            }
        } catch (IOException | UnsupportedOperationException | SecurityException ignored) {
            // The defaults are acceptable.
        }
    }

    /** Makes the rename durable; not possible on every platform (e.g. Windows), so failures are ignored. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException ignored) {
            // The rename itself has happened; only its durability across a power loss is less certain.
        }
    }

    /** A one-line reason for an I/O error, for messages of the form "could not do X: REASON". */
    public static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof FileAlreadyExistsException x) {
            return "already exists: " + x.getFile();
        }
        if (e instanceof java.nio.file.FileSystemLoopException l) {
            return "a symbolic link loops back to a directory above it: " + l.getFile();
        }
        if (e instanceof java.nio.file.NotDirectoryException n) {
            return "not a directory: " + n.getFile();
        }
        if (e instanceof java.nio.file.DirectoryNotEmptyException d) {
            return "directory not empty: " + d.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return WeightsFormatException.clean(f.getReason() + (f.getFile() != null ? " (" + f.getFile() + ")" : ""), 300);
        }
        String m = e.getMessage();
        return WeightsFormatException.clean(m == null || m.isBlank() ? e.getClass().getSimpleName() : m, 300);
    }

    /** Writes through to the channel; close() does nothing, so a body closing its stream cannot close the channel. */
    private static final class ChannelOutputStream extends OutputStream {
        private final FileChannel channel;

        ChannelOutputStream(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            writeFully(channel, ByteBuffer.wrap(new byte[] {(byte) b}));
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writeFully(channel, ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() {
            // Intentionally empty: the channel belongs to AtomicFiles.
        }
    }
}
