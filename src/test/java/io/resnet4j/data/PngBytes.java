package io.resnet4j.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** Hand-made PNG files for tests of what decoders must refuse. */
public final class PngBytes {
    private PngBytes() {}

    /** A PNG whose header claims {@code width}×{@code height} 8-bit RGB pixels, with no real pixel data. */
    public static byte[] headerOnly(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        byte[] ihdr = {
            (byte) (width >>> 24), (byte) (width >>> 16), (byte) (width >>> 8), (byte) width,
            (byte) (height >>> 24), (byte) (height >>> 16), (byte) (height >>> 8), (byte) height,
            8, 2, 0, 0, 0}; // 8-bit RGB, deflate, adaptive filtering, no interlace
        out.writeBytes(chunk("IHDR", ihdr));
        out.writeBytes(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    /** One chunk: big-endian length, type, data, CRC-32 of type and data. */
    private static byte[] chunk(String type, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = data.length;
        out.writeBytes(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        long c = crc.getValue();
        out.writeBytes(new byte[] {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c});
        return out.toByteArray();
    }
}
