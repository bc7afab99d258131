package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoding of every colour type against pixel values we put into files with ImageIO (or, for CMYK,
 * with Pillow), and refusal of broken or oversized files.
 */
class ImageDecoderTest {

    @TempDir
    Path dir;

    private final ImageDecoder decoder = new ImageDecoder();

    private static final float EXACT = 1e-6f;

    /** Luma of an 8-bit RGB triple, computed independently of the code under test. */
    private static float luma(int r, int g, int b) {
        return (float) ((0.299 * r + 0.587 * g + 0.114 * b) / 255.0);
    }

    private Path write(BufferedImage image, String format, String name) throws IOException {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, format, file.toFile()), "no ImageIO writer for " + format + " / " + image);
        return file;
    }

    /** A 4×3 RGB test pattern: known colours at known places. */
    private static final int[][] RGB = {
        {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255},
        {10, 20, 30}, {200, 100, 50}, {0, 0, 0}, {128, 128, 128},
        {1, 2, 3}, {250, 240, 230}, {77, 155, 233}, {64, 0, 192},
    };

    private static BufferedImage rgbPattern(int type) {
        BufferedImage im = new BufferedImage(4, 3, type);
        for (int i = 0; i < RGB.length; i++) {
            int[] c = RGB[i];
            im.setRGB(i % 4, i / 4, (0xFF << 24) | (c[0] << 16) | (c[1] << 8) | c[2]);
        }
        return im;
    }

    private static void assertRgbPattern(Image im, float tolerance) {
        assertEquals(3, im.channels());
        assertEquals(3, im.height());
        assertEquals(4, im.width());
        for (int i = 0; i < RGB.length; i++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(RGB[i][c] / 255f, im.get(c, i / 4, i % 4), tolerance, "pixel " + i + " channel " + c);
            }
        }
    }

    private static void assertGrayOfRgbPattern(Image im, float tolerance) {
        assertEquals(1, im.channels());
        for (int i = 0; i < RGB.length; i++) {
            assertEquals(luma(RGB[i][0], RGB[i][1], RGB[i][2]), im.get(0, i / 4, i % 4), tolerance, "pixel " + i);
        }
    }

    @Test
    void rgbPng() throws IOException {
        Path f = write(rgbPattern(BufferedImage.TYPE_INT_RGB), "png", "rgb.png");
        assertRgbPattern(decoder.decode(f, 3), EXACT);
        assertRgbPattern(decoder.decode(f), EXACT);
        assertGrayOfRgbPattern(decoder.decode(f, 1), 1e-6f);
    }

    @Test
    void rgbaPngDropsAlpha() throws IOException {
        BufferedImage im = rgbPattern(BufferedImage.TYPE_INT_ARGB);
        // Make some pixels translucent: the colour must come out unchanged (alpha dropped, not composited).
        im.setRGB(1, 0, (0x40 << 24) | (0 << 16) | (255 << 8));
        im.setRGB(0, 2, (0x00 << 24) | (1 << 16) | (2 << 8) | 3);
        Path f = write(im, "png", "rgba.png");
        assertRgbPattern(decoder.decode(f, 3), EXACT);
        assertGrayOfRgbPattern(decoder.decode(f, 1), 1e-6f);
    }

    @Test
    void gray8Png() throws IOException {
        BufferedImage im = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        int[] values = {0, 1, 64, 128, 200, 255};
        im.getRaster().setPixels(0, 0, 3, 2, values);
        Path f = write(im, "png", "gray8.png");
        Image one = decoder.decode(f, 1);
        assertEquals(1, one.channels());
        assertEquals(1, decoder.decode(f).channels(), "natural channel count of a gray PNG");
        Image three = decoder.decode(f, 3);
        for (int i = 0; i < values.length; i++) {
            // No gamma conversion: sample 128 is 128/255, as in Pillow.
            assertEquals(values[i] / 255f, one.get(0, i / 3, i % 3), EXACT);
            for (int c = 0; c < 3; c++) {
                assertEquals(values[i] / 255f, three.get(c, i / 3, i % 3), EXACT, "gray replicated");
            }
        }
    }

    @Test
    void gray16Png() throws IOException {
        BufferedImage im = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] values = {0, 32768, 65535};
        im.getRaster().setPixels(0, 0, 3, 1, values);
        Path f = write(im, "png", "gray16.png");
        Image one = decoder.decode(f, 1);
        Image three = decoder.decode(f, 3);
        for (int i = 0; i < 3; i++) {
            assertEquals(values[i] / 65535f, one.get(0, 0, i), EXACT);
            assertEquals(values[i] / 65535f, three.get(2, 0, i), EXACT);
        }
        assertEquals(0.5f, one.get(0, 0, 1), 1e-4f, "16-bit 32768 is one half, not 128 (8-bit) or 32768/255");
    }

    @Test
    void rgb16Png() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixels(0, 0, 2, 1, new int[] {65535, 0, 16384, 1000, 50000, 65535});
        Path f = write(new BufferedImage(cm, raster, false, null), "png", "rgb16.png");
        Image im = decoder.decode(f, 3);
        assertEquals(1f, im.get(0, 0, 0), EXACT);
        assertEquals(0f, im.get(1, 0, 0), EXACT);
        assertEquals(16384 / 65535f, im.get(2, 0, 0), EXACT);
        assertEquals(1000 / 65535f, im.get(0, 0, 1), EXACT);
        assertEquals(50000 / 65535f, im.get(1, 0, 1), EXACT);
        Image gray = decoder.decode(f, 1);
        assertEquals((float) (0.299 * 1 + 0.114 * 16384 / 65535.0), gray.get(0, 0, 0), 1e-6f);
    }

    @Test
    void grayAlphaPng() throws IOException {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixels(0, 0, 2, 1, new int[] {100, 0, 200, 255});
        Path f = write(new BufferedImage(cm, raster, false, null), "png", "gray-alpha.png");
        Image im = decoder.decode(f, 1);
        assertEquals(100 / 255f, im.get(0, 0, 0), EXACT);
        assertEquals(200 / 255f, im.get(0, 0, 1), EXACT);
    }

    private static final int[][] PALETTE = {{255, 0, 0}, {0, 128, 255}, {17, 34, 51}, {240, 240, 0}};

    private static BufferedImage palettePattern() {
        byte[] r = new byte[4], g = new byte[4], b = new byte[4];
        for (int i = 0; i < 4; i++) {
            r[i] = (byte) PALETTE[i][0];
            g[i] = (byte) PALETTE[i][1];
            b[i] = (byte) PALETTE[i][2];
        }
        IndexColorModel icm = new IndexColorModel(8, 4, r, g, b);
        BufferedImage im = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED, icm);
        im.getRaster().setPixels(0, 0, 4, 2, new int[] {0, 1, 2, 3, 3, 2, 1, 0});
        return im;
    }

    private static void assertPalettePattern(Image rgb, Image gray) {
        int[] idx = {0, 1, 2, 3, 3, 2, 1, 0};
        for (int i = 0; i < 8; i++) {
            int[] c = PALETTE[idx[i]];
            for (int ch = 0; ch < 3; ch++) {
                assertEquals(c[ch] / 255f, rgb.get(ch, i / 4, i % 4), EXACT, "pixel " + i);
            }
            assertEquals(luma(c[0], c[1], c[2]), gray.get(0, i / 4, i % 4), 1e-6f, "pixel " + i);
        }
    }

    @Test
    void palettePng() throws IOException {
        Path f = write(palettePattern(), "png", "palette.png");
        assertPalettePattern(decoder.decode(f, 3), decoder.decode(f, 1));
    }

    /**
     * Writes a GIF, interlaced or not. (The JDK's GIF writer interlaces by default, and the JDK's GIF
     * reader loses the last rows of interlaced GIFs only a few pixels high, which Pillow reads fine.)
     */
    private Path writeGif(BufferedImage image, String name, boolean interlaced) throws IOException {
        Path f = dir.resolve(name);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(interlaced ? ImageWriteParam.MODE_DEFAULT : ImageWriteParam.MODE_DISABLED);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return f;
    }

    @Test
    void paletteGif() throws IOException {
        Path f = writeGif(palettePattern(), "palette.gif", false);
        assertPalettePattern(decoder.decode(f, 3), decoder.decode(f, 1));
    }

    @Test
    void interlacedGif() throws IOException {
        BufferedImage im = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_INDEXED);
        Graphics2D g = im.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, 16, 8);
        g.setColor(Color.BLUE);
        g.fillRect(0, 8, 16, 8);
        g.dispose();
        Image out = decoder.decode(writeGif(im, "interlaced.gif", true), 3);
        for (int y = 0; y < 16; y++) {
            assertEquals(y < 8 ? 1f : 0f, out.get(0, y, 3), EXACT, "row " + y);
            assertEquals(y < 8 ? 0f : 1f, out.get(2, y, 3), EXACT, "row " + y);
        }
    }

    @Test
    void oneBitPng() throws IOException {
        BufferedImage im = new BufferedImage(9, 1, BufferedImage.TYPE_BYTE_BINARY);
        for (int x = 0; x < 9; x += 2) {
            im.setRGB(x, 0, 0xFFFFFFFF);
        }
        Path f = write(im, "png", "bits.png");
        Image one = decoder.decode(f, 1);
        for (int x = 0; x < 9; x++) {
            assertEquals(x % 2 == 0 ? 1f : 0f, one.get(0, 0, x), EXACT, "pixel " + x);
        }
        assertEquals(1, decoder.decode(f).channels(), "a black-and-white image is naturally gray");
    }

    @Test
    void animatedGifGivesFirstFrame() throws IOException {
        Path f = dir.resolve("anim.gif");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DISABLED);
            for (Color colour : new Color[] {Color.RED, Color.BLUE, Color.GREEN}) {
                BufferedImage frame = new BufferedImage(6, 4, BufferedImage.TYPE_BYTE_INDEXED);
                Graphics2D g = frame.createGraphics();
                g.setColor(colour);
                g.fillRect(0, 0, 6, 4);
                g.dispose();
                writer.writeToSequence(new IIOImage(frame, null, null), param);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        try (var in = ImageIO.createImageInputStream(f.toFile())) {
            var reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            assertEquals(3, reader.getNumImages(true), "the test file really is animated");
            reader.dispose();
        }
        Image im = decoder.decode(f, 3);
        assertEquals(4, im.height());
        assertEquals(6, im.width());
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(1f, im.get(0, y, x), EXACT);
                assertEquals(0f, im.get(1, y, x), EXACT);
                assertEquals(0f, im.get(2, y, x), EXACT);
            }
        }
    }

    @Test
    void bmp() throws IOException {
        Path f = write(rgbPattern(BufferedImage.TYPE_3BYTE_BGR), "bmp", "rgb.bmp");
        assertRgbPattern(decoder.decode(f, 3), EXACT);
        assertGrayOfRgbPattern(decoder.decode(f, 1), 1e-6f);
    }

    /** 32×32 in four flat 16×16 quadrants (aligned with JPEG's blocks and chroma subsampling). */
    private static final int[][] QUADRANTS = {{230, 40, 40}, {40, 200, 60}, {30, 60, 220}, {128, 128, 128}};

    private static BufferedImage quadrants(int type) {
        BufferedImage im = new BufferedImage(32, 32, type);
        Graphics2D g = im.createGraphics();
        for (int q = 0; q < 4; q++) {
            int[] c = QUADRANTS[q];
            g.setColor(new Color(c[0], c[1], c[2]));
            g.fillRect((q % 2) * 16, (q / 2) * 16, 16, 16);
        }
        g.dispose();
        return im;
    }

    private static void assertQuadrants(Image im, float tolerance) {
        for (int q = 0; q < 4; q++) {
            int y = (q / 2) * 16 + 8, x = (q % 2) * 16 + 8;
            for (int c = 0; c < 3; c++) {
                assertEquals(QUADRANTS[q][c] / 255f, im.get(c, y, x), tolerance, "quadrant " + q + " channel " + c);
            }
        }
    }

    @Test
    void rgbJpeg() throws IOException {
        Path f = write(quadrants(BufferedImage.TYPE_3BYTE_BGR), "jpeg", "rgb.jpg");
        Image rgb = decoder.decode(f, 3);
        assertEquals(32, rgb.height());
        assertQuadrants(rgb, 0.04f);
        Image gray = decoder.decode(f, 1);
        for (int q = 0; q < 4; q++) {
            int[] c = QUADRANTS[q];
            assertEquals(luma(c[0], c[1], c[2]), gray.get(0, (q / 2) * 16 + 8, (q % 2) * 16 + 8), 0.04f);
        }
    }

    @Test
    void grayJpeg() throws IOException {
        BufferedImage im = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = im.createGraphics();
        g.setColor(new Color(90, 90, 90));
        g.fillRect(0, 0, 16, 16);
        g.dispose();
        Path f = write(im, "jpeg", "gray.jpg");
        assertEquals(1, decoder.decode(f).channels());
        assertEquals(90 / 255f, decoder.decode(f, 1).get(0, 5, 5), 0.02f);
        assertEquals(90 / 255f, decoder.decode(f, 3).get(1, 5, 5), 0.02f);
    }

    /**
     * A CMYK JPEG written by Pillow 9.4 ({@code Image.new('CMYK', ...).save('cmyk.jpg', quality=95)}):
     * 32×32, quadrants white (0,0,0,0), cyan (255,0,0,0) / black (0,0,0,255), yellow (0,0,255,0).
     * The exact RGB depends on the CMYK profile the decoder uses, so only the colours' character is
     * checked.
     */
    @Test
    void cmykJpeg() throws IOException {
        Path f = dir.resolve("cmyk.jpg");
        try (InputStream in = getClass().getResourceAsStream("/data/cmyk.jpg")) {
            Files.copy(in, f);
        }
        Image im = decoder.decode(f, 3);
        assertEquals(32, im.width());
        float[] white = px(im, 4, 4), cyan = px(im, 4, 20), black = px(im, 20, 4), yellow = px(im, 20, 20);
        for (int c = 0; c < 3; c++) {
            assertTrue(white[c] > 0.85f, "white " + Arrays.toString(white));
            assertTrue(black[c] < 0.35f, "black " + Arrays.toString(black));
        }
        assertTrue(cyan[0] < 0.3f && cyan[1] > 0.5f && cyan[2] > 0.8f, "cyan " + Arrays.toString(cyan));
        assertTrue(yellow[0] > 0.8f && yellow[1] > 0.75f && yellow[2] < 0.35f, "yellow " + Arrays.toString(yellow));
        Image gray = decoder.decode(f, 1);
        assertEquals(luma(0, 0, 0) + (0.299f * cyan[0] + 0.587f * cyan[1] + 0.114f * cyan[2]),
                gray.get(0, 4, 20), 1e-5f);
    }

    private static float[] px(Image im, int y, int x) {
        return new float[] {im.get(0, y, x), im.get(1, y, x), im.get(2, y, x)};
    }

    /** Inserts an APP1 Exif segment with the given orientation right after the JPEG's SOI marker. */
    private static byte[] withExifOrientation(byte[] jpeg, int orientation, boolean littleEndian) {
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        java.util.function.IntConsumer u16 = v -> {
            if (littleEndian) {
                tiff.write(v & 0xFF);
                tiff.write(v >> 8);
            } else {
                tiff.write(v >> 8);
                tiff.write(v & 0xFF);
            }
        };
        java.util.function.LongConsumer u32 = v -> {
            if (littleEndian) {
                u16.accept((int) (v & 0xFFFF));
                u16.accept((int) (v >>> 16));
            } else {
                u16.accept((int) (v >>> 16));
                u16.accept((int) (v & 0xFFFF));
            }
        };
        tiff.writeBytes(littleEndian ? new byte[] {'I', 'I'} : new byte[] {'M', 'M'});
        u16.accept(42);
        u32.accept(8);
        u16.accept(2); // two entries: ImageDescription-less dummy tag, then Orientation
        u16.accept(0x010F); // Make, ASCII, count 4 inline "abc\0"
        u16.accept(2);
        u32.accept(4);
        tiff.writeBytes(new byte[] {'a', 'b', 'c', 0});
        u16.accept(0x0112);
        u16.accept(3);
        u32.accept(1);
        u16.accept(orientation);
        u16.accept(0);
        u32.accept(0);
        byte[] body = tiff.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        out.write(0xFF);
        out.write(0xE1);
        int length = 2 + 6 + body.length;
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes("Exif".getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        out.write(0);
        out.writeBytes(body);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    @Test
    void jpegExifOrientationIsApplied() throws IOException {
        // Stored 32 wide × 16 high: left half red, right half blue.
        BufferedImage im = new BufferedImage(32, 16, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = im.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, 16, 16);
        g.setColor(Color.BLUE);
        g.fillRect(16, 0, 16, 16);
        g.dispose();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(im, "jpeg", buf);
        byte[] plain = buf.toByteArray();

        Image stored = decoder.decode(plain, "plain.jpg", 3);
        assertEquals(16, stored.height());
        assertEquals(32, stored.width());

        // 6 = rotate 90° clockwise to display: the left (red) half becomes the top.
        Path f6 = dir.resolve("o6.jpg");
        Files.write(f6, withExifOrientation(plain, 6, false));
        Image r6 = decoder.decode(f6, 3);
        assertEquals(32, r6.height());
        assertEquals(16, r6.width());
        assertTrue(r6.get(0, 8, 8) > 0.9f && r6.get(2, 8, 8) < 0.1f, "top is red");
        assertTrue(r6.get(2, 24, 8) > 0.9f && r6.get(0, 24, 8) < 0.1f, "bottom is blue");

        // 8 = rotate 90° counter-clockwise: the left (red) half becomes the bottom (little-endian EXIF).
        Image r8 = decoder.decode(withExifOrientation(plain, 8, true), "o8.jpg", 3);
        assertEquals(32, r8.height());
        assertTrue(r8.get(2, 8, 8) > 0.9f, "top is blue");
        assertTrue(r8.get(0, 24, 8) > 0.9f, "bottom is red");

        // 3 = rotate 180°: red on the right.
        Image r3 = decoder.decode(withExifOrientation(plain, 3, false), "o3.jpg", 3);
        assertEquals(32, r3.width());
        assertTrue(r3.get(0, 8, 24) > 0.9f && r3.get(2, 8, 8) > 0.9f);

        // 1 = as stored.
        assertEquals(stored, decoder.decode(withExifOrientation(plain, 1, false), "o1.jpg", 3));
    }

    @Test
    void orientMatchesDefinitions() {
        // 2×3 image with values 0..5: [[0,1,2],[3,4,5]].
        Image in = new Image(1, 2, 3, new float[] {0, 1, 2, 3, 4, 5});
        assertArrayEquals(new float[] {2, 1, 0, 5, 4, 3}, ImageDecoder.orient(in, 2).data());
        assertArrayEquals(new float[] {5, 4, 3, 2, 1, 0}, ImageDecoder.orient(in, 3).data());
        assertArrayEquals(new float[] {3, 4, 5, 0, 1, 2}, ImageDecoder.orient(in, 4).data());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, ImageDecoder.orient(in, 5).data());
        assertArrayEquals(new float[] {3, 0, 4, 1, 5, 2}, ImageDecoder.orient(in, 6).data());
        assertArrayEquals(new float[] {5, 2, 4, 1, 3, 0}, ImageDecoder.orient(in, 7).data());
        assertArrayEquals(new float[] {2, 5, 1, 4, 0, 3}, ImageDecoder.orient(in, 8).data());
        assertEquals(3, ImageDecoder.orient(in, 6).height());
    }

    // ------------------------------------------------------------------ broken input

    private void assertUnreadable(Path f, String... mustContain) {
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> decoder.decode(f, 3));
        assertTrue(e.getMessage().contains(f.toString()), "message names the file: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String s : mustContain) {
            assertTrue(e.getMessage().contains(s), "message mentions '" + s + "': " + e.getMessage());
        }
        assertEquals(f, e.file());
    }

    @Test
    void zeroBytes() throws IOException {
        Path f = Files.write(dir.resolve("empty.png"), new byte[0]);
        assertUnreadable(f, "empty");
    }

    @Test
    void textFile() throws IOException {
        Path f = Files.writeString(dir.resolve("notes.jpg"), "this is not an image\nat all\n");
        assertUnreadable(f, "not an image");
    }

    @Test
    void randomBytes() throws IOException {
        Random random = new Random(42);
        for (int i = 0; i < 20; i++) {
            byte[] bytes = new byte[1 + random.nextInt(5000)];
            random.nextBytes(bytes);
            Path f = Files.write(dir.resolve("random" + i + ".png"), bytes);
            assertUnreadable(f);
        }
    }

    @Test
    void missingFileAndDirectory() {
        assertUnreadable(dir.resolve("nope.png"), "does not exist");
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> decoder.decode(dir, 3));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    private static byte[] truncate(Path f, double fraction) throws IOException {
        byte[] all = Files.readAllBytes(f);
        return Arrays.copyOf(all, (int) (all.length * fraction));
    }

    private static BufferedImage noise(int w, int h, long seed) {
        Random random = new Random(seed);
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                im.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return im;
    }

    @Test
    void truncatedPng() throws IOException {
        Path full = write(noise(64, 64, 1), "png", "full.png");
        for (double fraction : new double[] {0.1, 0.5, 0.9, 0.995}) {
            Path f = Files.write(dir.resolve("cut" + fraction + ".png"), truncate(full, fraction));
            assertUnreadable(f);
        }
    }

    @Test
    void truncatedJpeg() throws IOException {
        Path full = write(noise(64, 64, 2), "jpeg", "full.jpg");
        for (double fraction : new double[] {0.05, 0.5, 0.9}) {
            Path f = Files.write(dir.resolve("cut" + fraction + ".jpg"), truncate(full, fraction));
            assertUnreadable(f);
        }
    }

    @Test
    void truncatedGifAndBmp() throws IOException {
        Path gif = writeGif(noisePalette(64, 48), "full.gif", false);
        Path bmp = write(noise(40, 30, 3), "bmp", "full.bmp");
        assertUnreadable(Files.write(dir.resolve("cut.gif"), truncate(gif, 0.5)));
        assertUnreadable(Files.write(dir.resolve("cut.bmp"), truncate(bmp, 0.5)));
    }

    private static BufferedImage noisePalette(int w, int h) {
        BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED);
        Random random = new Random(5);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                im.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        return im;
    }

    @Test
    void corruptPngData() throws IOException {
        byte[] bytes = Files.readAllBytes(write(noise(32, 32, 4), "png", "ok.png"));
        for (int i = 60; i < bytes.length - 20; i += 7) {
            bytes[i] ^= 0x5A; // scramble the compressed data (IDAT)
        }
        assertUnreadable(Files.write(dir.resolve("scrambled.png"), bytes));
    }

    @Test
    void hugePngIsRefusedBeforeDecoding() throws IOException {
        Path f = Files.write(dir.resolve("huge.png"), PngBytes.headerOnly(100_000, 100_000));
        long start = System.nanoTime();
        assertUnreadable(f, "100000x100000", "megapixels", "limit");
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "refused without decoding");
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        Path f = write(rgbPattern(BufferedImage.TYPE_INT_RGB), "png", "small.png");
        ImageDecoder strict = new ImageDecoder(11);
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> strict.decode(f, 3));
        assertTrue(e.getMessage().contains("4x3"), e.getMessage());
        assertRgbPattern(new ImageDecoder(12).decode(f, 3), EXACT);
    }

    @Test
    void badChannelCountIsRejected() throws IOException {
        Path f = write(rgbPattern(BufferedImage.TYPE_INT_RGB), "png", "c.png");
        assertThrows(io.resnet4j.ResNet4jException.class, () -> decoder.decode(f, 2));
    }
}
