import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A closed-loop load generator for {@code resnet4j serve} (JDK only; run with {@code java scripts/ServeLoad.java}):
 * C clients, each sending one request after the other for S seconds (after W seconds of warm-up that are not
 * counted), to the raw-image endpoint. Prints one JSON line: images/s, latency p50/p90/p99, answers by status.
 *
 * <pre>
 *   java scripts/ServeLoad.java --url http://127.0.0.1:8080/v1/models/NAME:predict --image FILE \
 *       [--concurrency 8] [--seconds 20] [--warmup 5] [--hostile-every N]
 * </pre>
 * With {@code --hostile-every N}, every N-th request of a client is hostile instead, in turn: random bytes, a
 * truncated image, a decompression bomb (a PNG header claiming 10 gigapixels), a body above the limit (17 MiB),
 * malformed inference JSON, a wrong tensor shape, and a client that disconnects mid-body. Only good requests are
 * timed; every answer's status is counted.
 */
public final class ServeLoad {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        URI url = URI.create(a.getOrDefault("url", "http://127.0.0.1:8080/v1/models/model:predict"));
        byte[] image = Files.readAllBytes(Path.of(a.get("image")));
        int clients = Integer.parseInt(a.getOrDefault("concurrency", "8"));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "20"));
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "5"));
        int hostileEvery = Integer.parseInt(a.getOrDefault("hostile-every", "0"));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        long start = System.nanoTime();
        long from = start + (long) (warmup * 1e9), to = from + (long) (seconds * 1e9);
        Map<Integer, AtomicLong> codes = new ConcurrentHashMap<>();
        AtomicLong failures = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long[] lat = new long[1 << 20];
            latencies.add(lat);
            int client = c;
            Thread t = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(client);
                int n = 0, hostile = 0;
                long[] count = {0};
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= to) {
                        break;
                    }
                    n++;
                    boolean bad = hostileEvery > 0 && n % hostileEvery == 0;
                    try {
                        int code;
                        if (bad) {
                            code = hostile(http, url, image, hostile++, rnd);
                        } else {
                            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(url)
                                    .timeout(Duration.ofSeconds(120)).header("Content-Type", "image/jpeg")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(),
                                    HttpResponse.BodyHandlers.ofByteArray());
                            code = r.statusCode();
                        }
                        long t1 = System.nanoTime();
                        if (t0 >= from && t1 <= to) {
                            codes.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
                            if (!bad && code == 200 && count[0] < lat.length) {
                                lat[(int) count[0]++] = t1 - t0;
                            }
                        }
                    } catch (IOException e) {
                        if (!bad) {
                            failures.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                lat[lat.length - 1] = count[0];
            }, "client-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        int total = 0;
        for (long[] l : latencies) {
            total += (int) l[l.length - 1];
        }
        long[] all = new long[total];
        int at = 0;
        for (long[] l : latencies) {
            int n = (int) l[l.length - 1];
            System.arraycopy(l, 0, all, at, n);
            at += n;
        }
        Arrays.sort(all);
        System.out.println(String.format(Locale.ROOT,
                "{\"concurrency\":%d,\"seconds\":%.1f,\"ok\":%d,\"images_per_second\":%.2f,\"p50_ms\":%.2f,"
                        + "\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"codes\":%s,\"client_failures\":%d}",
                clients, seconds, total, total / seconds, pct(all, 0.50), pct(all, 0.90), pct(all, 0.99),
                new TreeMap<>(codes), failures.get()));
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    /** One hostile request; returns the status (or 0 for a client that hung up on purpose). */
    private static int hostile(HttpClient http, URI url, byte[] image, int which, SplittableRandom rnd)
            throws IOException, InterruptedException {
        String base = url.toString().replaceFirst("/v1/models/([^/:]+):predict$", "/v2/models/$1/infer");
        byte[] body;
        String type = "image/jpeg";
        URI target = url;
        switch (which % 7) {
            case 0 -> {
                body = new byte[1 + rnd.nextInt(4096)];
                rnd.nextBytes(body);
            }
            case 1 -> body = Arrays.copyOf(image, image.length / 2);
            case 2 -> {
                body = bomb();
                type = "image/png";
            }
            case 3 -> body = new byte[17 << 20];
            case 4 -> {
                body = "{\"inputs\": [{\"name\": \"input\", \"data\": [1, 2,".getBytes(StandardCharsets.UTF_8);
                type = "application/json";
                target = URI.create(base);
            }
            case 5 -> {
                body = ("{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 3, 7, 7], "
                        + "\"data\": [" + "0.5,".repeat(146) + "0.5]}]}").getBytes(StandardCharsets.UTF_8);
                type = "application/json";
                target = URI.create(base);
            }
            default -> {
                try (Socket s = new Socket(url.getHost(), url.getPort())) {
                    OutputStream out = s.getOutputStream();
                    out.write(("POST " + url.getRawPath() + " HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                            + "Content-Length: " + image.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(image, 0, image.length / 3);
                    out.flush();
                }
                return 0;
            }
        }
        return http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(120)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** A PNG whose header claims 100 000 x 100 000 pixels, with a valid CRC. */
    private static byte[] bomb() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
            0, 1, (byte) 0x86, (byte) 0xa0, 0, 1, (byte) 0x86, (byte) 0xa0, 8, 2, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 'I', 'D', 'A', 'T', 0, 0, 0, 0};
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        long v = crc.getValue();
        for (int i = 0; i < 4; i++) {
            png[29 + i] = (byte) (v >>> (24 - 8 * i));
        }
        return png;
    }
}
