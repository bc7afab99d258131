package io.resnet4j.io;

import io.resnet4j.ResNet4jException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {

    @TempDir
    Path dir;

    private List<Path> listing() throws IOException {
        try (var s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path p = dir.resolve("config.json");
        AtomicFiles.writeString(p, "{\"v\": 1}");
        assertEquals("{\"v\": 1}", Files.readString(p));
        AtomicFiles.writeString(p, "{\"v\": \"ü\"}");
        assertArrayEquals("{\"v\": \"ü\"}".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(p));
        assertEquals(List.of(p), listing());
    }

    @Test
    void anIOExceptionInTheBodyKeepsTheOldFileAndNamesTheTarget() throws IOException {
        Path p = dir.resolve("model.safetensors");
        Files.writeString(p, "old content");
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> AtomicFiles.write(p, out -> {
            out.write(new byte[100_000]); // partly written already
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals("old content", Files.readString(p));
        assertEquals(List.of(p), listing(), "the temporary file is removed");
    }

    @Test
    void aRuntimeExceptionInTheBodyPassesThroughAndKeepsTheOldFile() throws IOException {
        Path p = dir.resolve("checkpoint.bin");
        Files.writeString(p, "good checkpoint");
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> AtomicFiles.writeChannel(p, ch -> {
            ch.write(ByteBuffer.wrap(new byte[4096]));
            throw boom;
        }));
        assertSame(boom, thrown);
        assertEquals("good checkpoint", Files.readString(p));
        assertEquals(List.of(p), listing());
    }

    @Test
    void aFailureWithoutAnOldFileLeavesNothing() throws IOException {
        Path p = dir.resolve("new.json");
        assertThrows(ResNet4jException.class, () -> AtomicFiles.write(p, out -> {
            throw new IOException("disk full");
        }));
        assertEquals(List.of(), listing());
    }

    @Test
    void aFailedRenameLeavesNoTemporaryFile() throws IOException {
        // The target is a non-empty directory: everything succeeds up to the rename, which must fail cleanly.
        Path blocker = dir.resolve("model.safetensors");
        Files.createDirectories(blocker.resolve("inside"));
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> SafeTensorsWriter.write(blocker,
                Map.of("w", TensorData.ofFloats(new long[] {1}, new float[] {2f})), null));
        assertTrue(e.getMessage().startsWith("could not write " + blocker), e.getMessage());
        assertTrue(Files.isDirectory(blocker.resolve("inside")));
        assertEquals(List.of(blocker), listing());
    }

    @Test
    void aMissingDirectoryIsAProjectError() {
        Path p = dir.resolve("no/such/dir/config.json");
        ResNet4jException e = assertThrows(ResNet4jException.class, () -> AtomicFiles.writeString(p, "x"));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertFalse(Files.exists(dir.resolve("no")));
    }

    @Test
    void theBodyMayCloseItsStreamAndUsePositionedWrites() throws IOException {
        Path a = dir.resolve("a.txt");
        AtomicFiles.write(a, out -> {
            try (out) {
                out.write("hello".getBytes(StandardCharsets.US_ASCII));
            }
        });
        assertEquals("hello", Files.readString(a));
        Path b = dir.resolve("b.bin");
        AtomicFiles.writeChannel(b, ch -> {
            ch.write(ByteBuffer.wrap(new byte[] {9}), 3);
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
        });
        assertArrayEquals(new byte[] {1, 2, 3, 9}, Files.readAllBytes(b));
    }

    @Test
    void permissionsOfTheReplacedFileAreKept() throws IOException {
        Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path p = dir.resolve("secret.json");
        Files.writeString(p, "1");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.writeString(p, "2");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
    }

    /** A reader polling the file while it is rewritten sees one complete version or the other, never a mix. */
    @Test
    void readersNeverSeeAPartialFile() throws Exception {
        Path p = dir.resolve("state.bin");
        byte[] a = new byte[256 * 1024];
        byte[] b = new byte[256 * 1024];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        AtomicFiles.writeBytes(p, a);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            int reads = 0;
            while (!done.get() || reads == 0) {
                try {
                    byte[] got = Files.readAllBytes(p);
                    reads++;
                    if (!Arrays.equals(got, a) && !Arrays.equals(got, b)) {
                        problem.set("saw a partial file of " + got.length + " bytes");
                        return;
                    }
                } catch (IOException e) {
                    problem.set(e.toString());
                    return;
                }
            }
        });
        reader.start();
        for (int i = 0; i < 20; i++) {
            AtomicFiles.writeBytes(p, i % 2 == 0 ? b : a);
        }
        done.set(true);
        reader.join(10_000);
        assertNull(problem.get());
        assertEquals(List.of(p), listing());
    }

    /**
     * The clean-up after a kill knows this class's temporary names, and for run folders of older versions the
     * {@code .NAME.<UUID>.tmp} of their plot and metrics writers; nothing else.
     */
    @Test
    void staleTemporariesOfThisAndOlderVersionsAreRemovedAndNothingElse() throws IOException {
        List<String> ours = List.of(".model.safetensors.5f3a9c0e1d2b4a67.tmp", ".loss.png.0.tmp",
                ".metrics.csv.1b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp");
        List<String> others = List.of("notes.tmp", "model.safetensors", ".hidden.tmp", ".x.NOTHEX.tmp",
                ".metrics.csv.1b4e28ba-2fa1-11d2.tmp");
        for (String name : ours) {
            Files.writeString(dir.resolve(name), "partial");
        }
        for (String name : others) {
            Files.writeString(dir.resolve(name), "kept");
        }
        Files.createDirectories(dir.resolve(".sub.0123.tmp"));
        assertEquals(ours.size(), AtomicFiles.removeStaleTemporaries(dir));
        List<Path> kept = new java.util.ArrayList<>(others.stream().map(dir::resolve).toList());
        kept.add(dir.resolve(".sub.0123.tmp"));
        assertEquals(kept.stream().sorted().toList(), listing());
        assertEquals(0, AtomicFiles.removeStaleTemporaries(dir.resolve("missing")));
    }

    /** What a write leaves while it is under way is a name the clean-up recognises. */
    @Test
    void theTemporaryFileOfAWriteIsOneTheCleanUpRecognises() throws IOException {
        AtomicReference<List<Path>> during = new AtomicReference<>();
        AtomicFiles.write(dir.resolve("accuracy.png"), out -> during.set(listing()));
        assertEquals(1, during.get().size(), during.get().toString());
        assertTrue(AtomicFiles.isTemporaryName(during.get().get(0).getFileName().toString()), during.get().toString());
    }
}
