package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The EXIF orientation of JPEG files, byte by byte: every orientation in both byte orders and both integer types,
 * where the Exif segment sits among other segments, and EXIF blocks that are broken in every way we could think of.
 * A broken EXIF block never stops the image from decoding; it decodes as stored.
 */
class ExifOrientationTest {
    private static final ImageDecoder DECODER = new ImageDecoder();
    private static final int SHORT = 3;
    private static final int LONG = 4;
    private static final int ASCII = 2;

    /** A plain JPEG (with ImageIO's JFIF APP0 segment) of 24x10 pixels with four coloured quadrants. */
    private static byte[] plain;
    private static Image stored;

    @BeforeAll
    static void jpeg() throws IOException {
        BufferedImage im = new BufferedImage(24, 10, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = im.createGraphics();
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.WHITE};
        for (int q = 0; q < 4; q++) {
            g.setColor(colours[q]);
            g.fillRect(q % 2 * 12, q / 2 * 5, 12, 5);
        }
        g.dispose();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(im, "jpeg", buf);
        plain = buf.toByteArray();
        stored = DECODER.decode(plain, "plain.jpg", 3);
    }

    /** The bytes of a TIFF structure (the body of an Exif segment), built field by field. */
    private static final class Tiff {
        private final boolean little;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Tiff(boolean little) {
            this.little = little;
        }

        Tiff bytes(int... b) {
            for (int v : b) {
                out.write(v);
            }
            return this;
        }

        Tiff u16(int v) {
            return little ? bytes(v & 0xFF, (v >> 8) & 0xFF) : bytes((v >> 8) & 0xFF, v & 0xFF);
        }

        Tiff u32(long v) {
            int lo = (int) (v & 0xFFFF);
            int hi = (int) (v >>> 16);
            return little ? u16(lo).u16(hi) : u16(hi).u16(lo);
        }

        /** Byte order, 42, and IFD0 at {@code ifd}. */
        Tiff header(long ifd) {
            bytes(little ? 'I' : 'M', little ? 'I' : 'M');
            return u16(42).u32(ifd);
        }

        /** One 12-byte IFD entry whose value fits in its last four bytes. */
        Tiff entry(int tag, int type, long count, long value) {
            u16(tag).u16(type).u32(count);
            return type == SHORT ? u16((int) value).u16(0) : u32(value);
        }

        byte[] get() {
            return out.toByteArray();
        }
    }

    /** A well-formed IFD0 with a Make tag and then the orientation, as cameras write it. */
    private static byte[] exif(boolean little, int type, long orientation) {
        Tiff t = new Tiff(little).header(8).u16(2);
        t.entry(0x010F, ASCII, 4, little ? 0x00636261L : 0x61626300L); // Make "abc\0", inline
        t.entry(0x0112, type, 1, orientation);
        return t.u32(0).get();
    }

    /** An APP segment: marker, length, payload. */
    private static byte[] segment(int marker, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int length = payload.length + 2;
        out.write(0xFF);
        out.write(marker);
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static byte[] exifSegment(byte[] tiff) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
        p.writeBytes(tiff);
        return segment(0xE1, p.toByteArray());
    }

    /** {@code plain} with {@code segments} inserted right after SOI (before ImageIO's JFIF APP0), or after APP0. */
    private static byte[] jpegWith(boolean afterApp0, byte[]... segments) {
        int at = 2;
        if (afterApp0) {
            assertEquals(0xE0, plain[3] & 0xFF, "ImageIO writes JFIF APP0 first");
            at = 4 + (((plain[4] & 0xFF) << 8) | (plain[5] & 0xFF));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, at);
        for (byte[] s : segments) {
            out.writeBytes(s);
        }
        out.write(plain, at, plain.length - at);
        return out.toByteArray();
    }

    private static Image decode(byte[] jpeg) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> DECODER.decode(jpeg, "exif.jpg", 3));
    }

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void everyOrientationInBothByteOrdersAndTypes(int o) {
        Image want = ImageDecoder.orient(stored, o);
        for (boolean little : new boolean[] {false, true}) {
            for (int type : new int[] {SHORT, LONG}) {
                String what = (little ? "II" : "MM") + (type == SHORT ? " SHORT" : " LONG");
                assertEquals(want, decode(jpegWith(false, exifSegment(exif(little, type, o)))), what);
                assertEquals(want, decode(jpegWith(true, exifSegment(exif(little, type, o)))), what + " after APP0");
            }
        }
    }

    @Test
    void theExifSegmentIsFoundAmongOtherSegments() {
        byte[] xmp = segment(0xE1, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".getBytes(StandardCharsets.UTF_8));
        byte[] icc = segment(0xE2, "ICC_PROFILE\0\1\1not a real profile".getBytes(StandardCharsets.ISO_8859_1));
        byte[] comment = segment(0xFE, "a comment".getBytes(StandardCharsets.US_ASCII));
        Image want = ImageDecoder.orient(stored, 6);
        assertEquals(want, decode(jpegWith(true, xmp, icc, comment, exifSegment(exif(false, SHORT, 6)))));
    }

    @ParameterizedTest(name = "orientation value {0}")
    @ValueSource(longs = {0, 9, 255, 0xFFFF, 0xFFFFFFFFL})
    void anOrientationOutsideOneToEightIsIgnored(long value) {
        assertEquals(stored, decode(jpegWith(false, exifSegment(exif(false, value > 0xFFFF ? LONG : SHORT, value)))));
        assertEquals(stored, decode(jpegWith(false, exifSegment(exif(true, LONG, value)))));
    }

    /** EXIF blocks that are broken: each decodes as stored, without an exception, a hang or a huge allocation. */
    static List<byte[]> brokenExif() {
        List<byte[]> t = new ArrayList<>();
        t.add(new byte[0]); // "Exif\0\0" and nothing else
        t.add(new byte[] {'M', 'M', 0}); // cut inside the header
        t.add(new Tiff(false).bytes('X', 'X').u16(42).u32(8).u16(1).entry(0x0112, SHORT, 1, 6).u32(0).get()); // order
        t.add(new Tiff(false).bytes('M', 'M').u16(43).u32(8).u16(1).entry(0x0112, SHORT, 1, 6).u32(0).get()); // magic
        t.add(new Tiff(true).header(4).u16(1).entry(0x0112, SHORT, 1, 6).u32(0).get()); // IFD0 inside the header
        t.add(new Tiff(false).header(0x7FFFFFF0L).u16(1).entry(0x0112, SHORT, 1, 6).get()); // IFD0 far past the end
        t.add(new Tiff(false).header(8).u16(3).entry(0x010F, ASCII, 4, 0x61626300L).get()); // 3 entries, 1 present
        t.add(new Tiff(true).header(8).u16(0xFFFF).entry(0x010F, ASCII, 4, 0x00636261L).get()); // 65535 entries
        Tiff cut = new Tiff(false).header(8).u16(1).entry(0x0112, SHORT, 1, 6);
        byte[] whole = cut.get();
        t.add(java.util.Arrays.copyOf(whole, whole.length - 3)); // the orientation entry cut short
        t.add(new Tiff(false).header(8).u16(1).entry(0x0112, ASCII, 2, 0x36000000L).u32(0).get()); // "6" as text
        t.add(new Tiff(false).header(8).u16(1).entry(0x0112, SHORT, 0, 6).u32(0).get()); // no value
        return t;
    }

    @Test
    void aBrokenExifBlockDecodesAsStored() {
        List<byte[]> cases = brokenExif();
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(stored, decode(jpegWith(false, exifSegment(cases.get(i)))), "broken EXIF case " + i);
            assertEquals(stored, decode(jpegWith(true, exifSegment(cases.get(i)))), "after APP0, case " + i);
        }
    }

    /** Hostile structure around a valid orientation: what a reader of IFD0's orientation tag must survive. */
    @Test
    void hostileNeighboursOfAValidOrientation() {
        // IFD0 whose next-IFD offset points back at itself (a loop), then one far past the end.
        for (long next : new long[] {8, 0x7FFFFFF0L}) {
            byte[] loop = new Tiff(false).header(8).u16(1).entry(0x0112, SHORT, 1, 6).u32(next).get();
            Image got = decode(jpegWith(false, exifSegment(loop)));
            assertOrientedOrStored(got, 6, "next IFD at " + next);
        }
        // A tag before the orientation whose value claims 2^31 - 1 bytes far past the end.
        byte[] huge = new Tiff(true).header(8).u16(2).entry(0x010E, ASCII, 0x7FFFFFFFL, 0x100).entry(0x0112, SHORT, 1,
                3).u32(0).get();
        assertOrientedOrStored(decode(jpegWith(false, exifSegment(huge))), 3, "huge neighbour");
        // The same with values that start inside the segment: 2 GB of text, 4 GB of numbers, 2^32 - 1 rationals.
        for (int type : new int[] {ASCII, LONG, 5}) {
            byte[] inside = new Tiff(false).header(8).u16(2).entry(0x010E, type, type == ASCII ? 0x7FFFFFFFL
                    : 0xFFFFFFFFL, 8).entry(0x0112, SHORT, 1, 3).u32(0).get();
            assertOrientedOrStored(decode(jpegWith(false, exifSegment(inside))), 3, "huge neighbour type " + type);
        }
        // An Exif segment whose length runs past the end of the file: the file is broken, and says so.
        byte[] cut = java.util.Arrays.copyOf(jpegWith(false, exifSegment(exif(false, SHORT, 6))), 40);
        assertThrows(UnreadableImageException.class, () -> DECODER.decode(cut, "cut.jpg", 3));
    }

    /** The orientation applied, or (where the structure around it is broken) the image as stored; never a failure. */
    private static void assertOrientedOrStored(Image got, int orientation, String what) {
        if (!got.equals(stored)) {
            assertEquals(ImageDecoder.orient(stored, orientation), got, what);
        }
    }
}
