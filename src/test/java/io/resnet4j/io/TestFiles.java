package io.resnet4j.io;

import java.io.ByteArrayOutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/** Test helpers: resource paths and safetensors files assembled by hand, independently of SafeTensorsWriter. */
final class TestFiles {
    private TestFiles() {
    }

    /** A test resource as a path, e.g. {@code resource("fixtures/dev_v1_basic.safetensors")}. */
    static Path resource(String name) {
        URL url = TestFiles.class.getResource("/" + name);
        if (url == null) {
            throw new AssertionError("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    static Path fixture(String name) {
        return resource("fixtures/" + name);
    }

    /** The 8-byte little-endian header length field. */
    static byte[] u64(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    static long readU64(byte[] b, int at) {
        return ByteBuffer.wrap(b, at, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** A file: correct length field, the header as UTF-8 padded with spaces to 8, then {@code dataBytes} zero bytes. */
    static byte[] file(String header, int dataBytes) {
        return file(header.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]);
    }

    static byte[] file(byte[] header, byte[] data) {
        int padded = (header.length + 7) / 8 * 8;
        byte[] h = Arrays.copyOf(header, padded);
        Arrays.fill(h, header.length, padded, (byte) ' ');
        return concat(u64(padded), h, data);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One header entry as JSON text. */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }
}
