package io.resnet4j.data;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEG;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import io.resnet4j.ResNet4jException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image files through ImageIO into {@link Image}s: CHW floats in {@code [0, 1]}.
 *
 * <p>Formats: whatever ImageIO readers are on the class path, which for resnet4j means JPEG
 * (TwelveMonkeys: baseline, progressive, gray, CMYK and YCCK, with ICC profiles), BMP, ICO and CUR
 * (TwelveMonkeys), WebP (TwelveMonkeys: lossy, lossless, with alpha),
 * PNG, GIF and TIFF (the JDK). The obscure WBMP reader is not used because it accepts
 * random bytes as an image.
 *
 * <p>Colour handling, for any of 1 or 3 output channels:
 * <ul>
 *   <li>gray (1 to 16 bits) and RGB (8 or 16 bits per sample) are read straight from the samples,
 *       scaled by {@code 2^bits - 1}, with no colour-space conversion (as Pillow does: no gamma
 *       change for gray images, embedded profiles ignored);</li>
 *   <li>palette (indexed) images go through their palette;</li>
 *   <li>alpha is dropped (not composited), premultiplied alpha is undone first;</li>
 *   <li>anything else (CMYK if a reader returns it raw, other colour spaces) is converted to sRGB
 *       by ImageIO;</li>
 *   <li>gray → RGB replicates the gray value; RGB → gray is ITU-R 601 luma
 *       {@code 0.299 R + 0.587 G + 0.114 B}.</li>
 * </ul>
 * The EXIF orientation tag of a JPEG (APP1 {@code Exif}, tag 0x0112 of IFD0, read with TwelveMonkeys'
 * metadata readers) is applied, so the image comes out the way viewers show it; a missing, out-of-range
 * or unreadable one leaves the image as stored, and the orientation of other formats (PNG {@code eXIf})
 * is ignored. An animated GIF gives its first frame.
 *
 * <p>Safety: the width and height are read from the header through the ImageReader before any
 * pixel is decoded, and images above {@link #maxPixels()} pixels are refused. Every failure (missing,
 * empty, text, random bytes, corrupt, truncated, too large) is an {@link UnreadableImageException}
 * whose message names the file; no other exception escapes. A JPEG that the decoder reports as
 * truncated (a warning, not an error, in ImageIO) is refused too.
 *
 * <p>An {@code ImageDecoder} is immutable and safe to use from several threads.
 */
public final class ImageDecoder {

    /** The default pixel limit: 50 megapixels. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    private final long maxPixels;

    /** A decoder with the default 50-megapixel limit. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** A decoder that refuses images with more than {@code maxPixels} pixels (width × height). */
    public ImageDecoder(long maxPixels) {
        if (maxPixels < 1) {
            throw new ResNet4jException("the image pixel limit must be at least 1, got " + maxPixels + ".");
        }
        this.maxPixels = maxPixels;
    }

    /** The largest accepted width × height. */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * Decodes {@code file} with its natural channel count: 1 for gray and gray-palette images, 3
     * for everything else.
     */
    public Image decode(Path file) {
        return decode(file, 0);
    }

    /**
     * Decodes {@code file} to {@code channels} channels (1 or 3; 0 = natural).
     *
     * @throws UnreadableImageException naming the file when it cannot be decoded
     */
    public Image decode(Path file, int channels) {
        checkChannels(channels);
        String what = "image file " + file;
        long length;
        try {
            if (Files.isDirectory(file)) {
                throw new UnreadableImageException(file, what + " is a directory, not an image.");
            }
            length = Files.size(file);
        } catch (IOException | SecurityException e) {
            throw new UnreadableImageException(file, "cannot read " + what + ": "
                    + (Files.exists(file) ? e.getMessage() : "it does not exist") + ".", e);
        }
        if (length == 0) {
            throw new UnreadableImageException(file, what + " is empty (0 bytes), not an image.");
        }
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            return decode(in, file, what, channels);
        } catch (IOException e) {
            throw new UnreadableImageException(file, "cannot read " + what + ": " + e.getMessage() + ".", e);
        }
    }

    /**
     * Decodes an image held in memory; {@code name} is used in messages.
     *
     * @throws UnreadableImageException naming {@code name} when it cannot be decoded
     */
    public Image decode(byte[] bytes, String name, int channels) {
        checkChannels(channels);
        String what = "image " + name;
        if (bytes.length == 0) {
            throw new UnreadableImageException(null, what + " is empty (0 bytes), not an image.");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            return decode(in, null, what, channels);
        } catch (IOException e) {
            throw new UnreadableImageException(null, "cannot read " + what + ": " + e.getMessage() + ".", e);
        }
    }

    private static void checkChannels(int channels) {
        if (channels != 0 && channels != 1 && channels != 3) {
            throw new ResNet4jException("images can be decoded to 1 or 3 channels, not " + channels + ".");
        }
    }

    private Image decode(ImageInputStream in, Path file, String what, int channels) throws IOException {
        List<ImageReader> readers = new ArrayList<>();
        try {
            for (Iterator<ImageReader> it = ImageIO.getImageReaders(in); it.hasNext(); ) {
                ImageReader r = it.next();
                if (!"WBMP".equals(formatName(r))) {
                    readers.add(r);
                }
            }
        } catch (RuntimeException e) {
            throw new UnreadableImageException(file, what + " cannot be identified as an image ("
                    + message(e) + ").", e);
        }
        if (readers.isEmpty()) {
            throw new UnreadableImageException(file, what
                    + " is not an image in a format resnet4j can read (JPEG, PNG, GIF, BMP, TIFF or WebP).");
        }
        UnreadableImageException first = null;
        for (ImageReader reader : readers) {
            try {
                return decodeWith(reader, in, file, what, channels);
            } catch (TooLargeException e) {
                throw e;
            } catch (UnreadableImageException e) {
                if (first == null) {
                    first = e;
                }
            } finally {
                reader.dispose();
            }
        }
        throw first;
    }

    private static final class TooLargeException extends UnreadableImageException {
        TooLargeException(Path file, String message) {
            super(file, message);
        }
    }

    private Image decodeWith(ImageReader reader, ImageInputStream in, Path file, String what, int channels) {
        String format = formatName(reader);
        List<String> warnings = new ArrayList<>();
        BufferedImage decoded;
        int orientation = 1;
        try {
            in.seek(0);
            if (format.equals("JPEG") || format.equals("JPG")) {
                orientation = jpegOrientation(in);
                in.seek(0);
            }
            in.setByteOrder(ByteOrder.BIG_ENDIAN);
            reader.setInput(in, false, false);
            int width = reader.getWidth(0), height = reader.getHeight(0);
            if (width < 1 || height < 1) {
                throw new UnreadableImageException(file, what + " claims a size of " + width + "x" + height
                        + " pixels, which is not a valid image.");
            }
            if ((long) width * height > maxPixels) {
                throw new TooLargeException(file, String.format(Locale.ROOT,
                        "%s is %dx%d pixels (%.1f megapixels), above the limit of %.1f megapixels.",
                        what, width, height, (double) width * height / 1e6, maxPixels / 1e6));
            }
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            decoded = reader.read(0, reader.getDefaultReadParam());
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(file, what + " is corrupt or truncated (" + format + ": "
                    + message(e) + ").", e);
        } catch (OutOfMemoryError e) {
            throw new UnreadableImageException(file, what + " needs more memory to decode than is available.", e);
        }
        for (String w : warnings) {
            String lower = w == null ? "" : w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end") || lower.contains("truncat") || lower.contains("missing eoi")
                    || lower.contains("end of file")) {
                throw new UnreadableImageException(file, what + " is truncated (" + format + ": " + w + ").");
            }
        }
        if (decoded == null) {
            throw new UnreadableImageException(file, what + " holds no image.");
        }
        Image image;
        try {
            image = fromBufferedImage(decoded, channels);
        } catch (RuntimeException e) {
            throw new UnreadableImageException(file, what + " has a pixel layout resnet4j cannot convert ("
                    + message(e) + ").", e);
        }
        return orient(image, orientation);
    }

    private static String formatName(ImageReader reader) {
        try {
            return reader.getFormatName().toUpperCase(Locale.ROOT);
        } catch (IOException | RuntimeException e) {
            return "unknown format";
        }
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        if (e.getCause() != null && e.getCause() != e && e.getCause().getMessage() != null
                && !m.contains(e.getCause().getMessage())) {
            m = m + ": " + e.getCause().getMessage();
        }
        return m.replace('\n', ' ').replace('\r', ' ').strip();
    }

    // ------------------------------------------------------------------ pixel conversion

    /**
     * Converts a {@link BufferedImage} to an {@link Image} with {@code channels} channels (1 or 3;
     * 0 = natural), following the rules in the class description.
     */
    public static Image fromBufferedImage(BufferedImage image, int channels) {
        checkChannels(channels);
        if (image.isAlphaPremultiplied()) {
            image.coerceData(false);
        }
        int w = image.getWidth(), h = image.getHeight();
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int n = w * h;
        int[] row = new int[w];
        float[] planes;
        int sourceChannels;
        if (cm instanceof IndexColorModel icm) {
            int size = icm.getMapSize();
            byte[] r = new byte[size], g = new byte[size], b = new byte[size];
            icm.getReds(r);
            icm.getGreens(g);
            icm.getBlues(b);
            boolean gray = true;
            for (int i = 0; i < size && gray; i++) {
                gray = r[i] == g[i] && g[i] == b[i];
            }
            sourceChannels = gray ? 1 : 3;
            planes = new float[sourceChannels * n];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int idx = row[x];
                    if (idx < 0 || idx >= size) {
                        idx = 0;
                    }
                    int o = y * w + x;
                    planes[o] = (r[idx] & 0xFF) / 255f;
                    if (!gray) {
                        planes[n + o] = (g[idx] & 0xFF) / 255f;
                        planes[2 * n + o] = (b[idx] & 0xFF) / 255f;
                    }
                }
            }
        } else {
            int csType = cm.getColorSpace().getType();
            int dataType = raster.getDataBuffer().getDataType();
            boolean unsignedInts = dataType == DataBuffer.TYPE_BYTE || dataType == DataBuffer.TYPE_USHORT
                    || dataType == DataBuffer.TYPE_INT;
            boolean floats = dataType == DataBuffer.TYPE_FLOAT || dataType == DataBuffer.TYPE_DOUBLE;
            int colours = cm.getNumColorComponents();
            boolean direct = (unsignedInts || floats) && ((csType == ColorSpace.TYPE_GRAY && colours == 1)
                    || (csType == ColorSpace.TYPE_RGB && colours == 3));
            if (direct) {
                sourceChannels = colours;
                planes = new float[sourceChannels * n];
                float[] frow = floats ? new float[w] : null;
                for (int c = 0; c < colours; c++) {
                    int bits = cm.getComponentSize(c);
                    double scale = unsignedInts ? 1.0 / ((1L << Math.min(bits, 32)) - 1) : 1.0;
                    for (int y = 0; y < h; y++) {
                        int o = c * n + y * w;
                        if (floats) {
                            raster.getSamples(0, y, w, 1, c, frow);
                            for (int x = 0; x < w; x++) {
                                planes[o + x] = Math.min(1f, Math.max(0f, frow[x]));
                            }
                        } else {
                            raster.getSamples(0, y, w, 1, c, row);
                            for (int x = 0; x < w; x++) {
                                planes[o + x] = (float) ((row[x] & 0xFFFFFFFFL) * scale);
                            }
                        }
                    }
                }
            } else {
                // CMYK, YCC, unusual sample types: let ImageIO convert to 8-bit sRGB.
                sourceChannels = 3;
                planes = new float[3 * n];
                for (int y = 0; y < h; y++) {
                    image.getRGB(0, y, w, 1, row, 0, w);
                    for (int x = 0; x < w; x++) {
                        int argb = row[x], o = y * w + x;
                        planes[o] = ((argb >> 16) & 0xFF) / 255f;
                        planes[n + o] = ((argb >> 8) & 0xFF) / 255f;
                        planes[2 * n + o] = (argb & 0xFF) / 255f;
                    }
                }
            }
        }
        Image out = new Image(sourceChannels, h, w, planes);
        return channels == 0 ? out : out.withChannels(channels);
    }

    // ------------------------------------------------------------------ EXIF orientation

    /**
     * The EXIF orientation (1..8) of the JPEG at the start of {@code in}: tag 0x0112 of IFD0 of the first APP1
     * {@code Exif} segment, read with TwelveMonkeys' JPEG segment and TIFF readers; 1 when absent or unreadable.
     */
    static int jpegOrientation(ImageInputStream in) {
        try {
            for (JPEGSegment exif : JPEGSegmentUtil.readSegments(in, JPEG.APP1, "Exif")) {
                InputStream data = exif.data(); // after "Exif\0"
                if (data.read() < 0) { // the pad byte
                    continue;
                }
                Directory ifd0;
                try (ImageInputStream tiff = new MemoryCacheImageInputStream(data)) {
                    ifd0 = new TIFFReader().read(tiff);
                }
                Entry e = ifd0.getEntryById(TIFF.TAG_ORIENTATION);
                if (e != null && e.valueCount() == 1 && e.getValue() instanceof Number n) {
                    long value = n.longValue();
                    return value >= 1 && value <= 8 ? (int) value : 1;
                }
                return 1;
            }
        } catch (IOException | RuntimeException e) {
            // A broken EXIF block never stops a decodable image from decoding.
        }
        return 1;
    }

    /**
     * Applies an EXIF orientation (1..8) to a stored image, giving the image as it is meant to be
     * displayed: 2 mirror left-right, 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate 90°
     * clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
     */
    public static Image orient(Image in, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return in;
        }
        int c = in.channels(), h = in.height(), w = in.width();
        boolean swap = orientation >= 5;
        int oh = swap ? w : h, ow = swap ? h : w;
        float[] src = in.data(), dst = new float[src.length];
        for (int ch = 0; ch < c; ch++) {
            int sBase = ch * h * w, dBase = ch * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int sy, sx;
                    switch (orientation) {
                        case 2 -> { sy = y; sx = w - 1 - x; }
                        case 3 -> { sy = h - 1 - y; sx = w - 1 - x; }
                        case 4 -> { sy = h - 1 - y; sx = x; }
                        case 5 -> { sy = x; sx = y; }
                        case 6 -> { sy = h - 1 - x; sx = y; }
                        case 7 -> { sy = h - 1 - x; sx = w - 1 - y; }
                        default -> { sy = x; sx = w - 1 - y; } // 8
                    }
                    dst[dBase + y * ow + x] = src[sBase + sy * w + sx];
                }
            }
        }
        return new Image(c, oh, ow, dst);
    }
}
