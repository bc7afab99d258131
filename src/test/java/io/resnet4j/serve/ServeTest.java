package io.resnet4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Predictor;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.io.SafeTensorsWriter;
import io.resnet4j.io.TensorData;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.reliability.Cli;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} end to end over HTTP, in this JVM: served logits against {@code forward} and the predictor, served
 * predictions against {@code predict --json}, dynamic batching against single requests, every error status and its
 * JSON body, and the metrics.
 */
class ServeTest {
    private static final String PREDICT = "/v1/models/tiny:predict";
    private static final String INFER = "/v2/models/tiny/infer";

    @TempDir
    static Path dir;
    static Path modelDir;
    static List<Path> images;
    static Predictor predictor;
    static InferenceServer server;
    static Http1 http;

    @BeforeAll
    static void start() throws IOException {
        modelDir = TinyModel.write(dir.resolve("tiny"));
        images = TinyModel.images(dir.resolve("images"));
        predictor = new Predictor(ModelDirectory.load(modelDir), Precision.FP32, 4);
        server = InferenceServer.start(predictor, "tiny",
                ServeOptions.defaults("127.0.0.1", 0, "tiny").withBatching(4, 20), "test");
        http = new Http1(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthAndMetadata() {
        assertEquals(200, http.get("/v2/health/live").status());
        Http1.Resp ready = http.get("/v2/health/ready");
        assertEquals(200, ready.status());
        assertTrue(ready.json().get("ready").asBoolean());
        assertEquals("resnet4j", http.get("/v2").json().get("name").asText());
        JsonNode m = http.get("/v2/models/tiny").json();
        assertEquals("tiny", m.get("name").asText());
        JsonNode in = m.get("inputs").get(0);
        assertEquals("input", in.get("name").asText());
        assertEquals("FP32", in.get("datatype").asText());
        assertEquals("[-1,3,32,32]", in.get("shape").toString());
        assertEquals("logits", m.get("outputs").get(0).get("name").asText());
        assertEquals("[-1,4]", m.get("outputs").get(0).get("shape").toString());
        assertEquals("onednn", m.get("parameters").get("runtime").asText());
        assertEquals(200, http.get("/v2/models/tiny/ready").status());
        assertError(http.get("/v2/models/other"), 404, "unknown model 'other'");
        assertError(http.get("/v2/models/other/ready"), 404, "unknown model");
        assertError(http.get("/no/such/page"), 404, "no such endpoint: GET /no/such/page");
        // A known path with the wrong method: 405, as docs/serving.md says.
        assertError(http.get("/v2/models/tiny/infer"), 405, "method GET is not allowed on /v2/models/tiny/infer");
        assertError(http.post("/v2/health/live", new byte[0], "text/plain"), 405, "not allowed");
        String page = http.get("/").body();
        assertTrue(page.contains("<title>resnet4j serve</title>") && page.contains("const MODEL = \"tiny\";"), page);
    }

    @Test
    void inferGivesTheLogitsOfForwardAndOfThePredictor() throws IOException {
        float[] x = TinyModel.random(3 * 3 * 32 * 32, 11);
        ObjectNode req = Http1.MAPPER.createObjectNode();
        req.put("id", "r1");
        ObjectNode in = req.putArray("inputs").addObject();
        in.put("name", "input").put("datatype", "FP32");
        in.putArray("shape").add(3).add(3).add(32).add(32);
        ArrayNode data = in.putArray("data");
        for (float v : x) {
            data.add(v);
        }
        JsonNode r = ok(http.postJson(INFER, req));
        assertEquals("r1", r.get("id").asText());
        assertEquals("tiny", r.get("model_name").asText());
        JsonNode logits = output(r, "logits");
        assertEquals("[3,4]", logits.get("shape").toString());
        float[] served = floats(logits.get("data"));
        // The same arithmetic as the predictor on the same batch: bitwise.
        assertArrayEquals(predictor.run(x, 3, false), served);
        assertArrayEquals(predictor.softmax(served, 3), floats(output(r, "probabilities").get("data")));
        // The CLI's forward (eager, op by op) on the same input and the model directory's weights.
        Path input = dir.resolve("x.safetensors");
        Path out = dir.resolve("y.safetensors");
        SafeTensorsWriter.write(input, Map.of("input", TensorData.ofFloats(new long[] {3, 3, 32, 32}, x)), Map.of());
        Cli.Run run = Cli.run("forward", "--arch", "cifar-resnet8-v2", "--classes", "4", "--weights",
                modelDir.resolve("model.safetensors").toString(), "--input", input.toString(), "--output",
                out.toString());
        assertEquals(0, run.code(), run.err());
        float[] want;
        try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
            want = f.readFloats("logits");
        }
        assertEquals(want.length, served.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], served[i], 1e-4, "logit " + i);
        }

        // Nested data, one output asked for.
        ObjectNode nested = Http1.MAPPER.createObjectNode();
        ObjectNode in2 = nested.putArray("inputs").addObject();
        in2.put("name", "input").put("datatype", "FP32");
        in2.putArray("shape").add(1).add(3).add(32).add(32);
        ArrayNode image = in2.putArray("data").addArray();
        for (int c = 0; c < 3; c++) {
            ArrayNode channel = image.addArray();
            for (int y = 0; y < 32; y++) {
                ArrayNode row = channel.addArray();
                for (int xx = 0; xx < 32; xx++) {
                    row.add(x[(c * 32 + y) * 32 + xx]);
                }
            }
        }
        nested.putArray("outputs").addObject().put("name", "probabilities");
        JsonNode r2 = ok(http.postJson(INFER, nested));
        assertEquals(1, r2.get("outputs").size());
        assertArrayEquals(predictor.softmax(predictor.run(Arrays.copyOf(x, 3 * 32 * 32), 1, false), 1),
                floats(output(r2, "probabilities").get("data")));
    }

    @Test
    void predictAnswersWhatPredictJsonPrintsForEveryFormat() {
        List<String> args = new ArrayList<>(List.of("predict", "--model", modelDir.toString(), "--json", "--top",
                "4"));
        images.forEach(f -> args.add(f.toString()));
        Cli.Run run = Cli.run(args.toArray(String[]::new));
        assertEquals(0, run.code(), run.err());
        JsonNode cli = parse(run.out()).get("predictions");
        assertEquals(images.size(), cli.size());
        for (int i = 0; i < images.size(); i++) {
            Path f = images.get(i);
            JsonNode served = ok(http.post(PREDICT + "?top=4&file=" + f.getFileName(), bytes(f),
                    "application/octet-stream")).get("predictions");
            assertEquals(1, served.size());
            assertEquals(f.getFileName().toString(), served.get(0).get("file").asText());
            assertSameTop(cli.get(i).get("top"), served.get(0).get("top"), 1e-5, f.toString());
        }
        JsonNode two = ok(http.post(PREDICT + "?top=2", bytes(images.get(0)), "image/png")).get("predictions");
        assertEquals(2, two.get(0).get("top").size());
        assertEquals("upload", two.get(0).get("file").asText());
        JsonNode dflt = ok(http.post(PREDICT, bytes(images.get(0)), "image/png")).get("predictions");
        assertEquals(4, dflt.get(0).get("top").size(), "top 5 of 4 classes");
    }

    @Test
    void multipartUploadsAnswerOnePredictionPerFile() {
        Object[] form = Http1.multipart(new String[] {"a.png", "b.webp"},
                new byte[][] {bytes(images.get(0)), bytes(images.get(images.size() - 1))});
        JsonNode preds = ok(http.post(PREDICT + "?top=3", (byte[]) form[0], (String) form[1])).get("predictions");
        assertEquals(2, preds.size());
        assertEquals("a.png", preds.get(0).get("file").asText());
        assertEquals("b.webp", preds.get(1).get("file").asText());
        JsonNode alone = ok(http.post(PREDICT + "?top=3", bytes(images.get(0)), "image/png")).get("predictions");
        assertSameTop(alone.get(0).get("top"), preds.get(0).get("top"), 1e-6, "a.png");
    }

    @Test
    void concurrentClientsBatchedTogetherGetWhatEachGetsAlone() throws Exception {
        Map<Path, JsonNode> alone = new HashMap<>();
        for (Path f : images) {
            alone.put(f, ok(http.post(PREDICT + "?top=4", bytes(f), "image/png")).get("predictions").get(0));
        }
        double batchesBefore = metric("resnet4j_batch_size_count", "");
        double imagesBefore = metric("resnet4j_images_total", "");
        // Hold the worker while 2 rounds of every image queue up, so that they must run in batches of 4.
        Batcher batcher = server.batcher();
        batcher.hold(true);
        List<CompletableFuture<Http1.Resp>> answers = new ArrayList<>();
        List<Path> sent = new ArrayList<>();
        try {
            for (int round = 0; round < 2; round++) {
                for (Path f : images) {
                    answers.add(http.postAsync(PREDICT + "?top=4", bytes(f), "image/png"));
                    sent.add(f);
                }
            }
            long end = System.nanoTime() + 30_000_000_000L;
            while (batcher.queued() < sent.size() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(sent.size(), batcher.queued(), "every request queued while the worker is held");
        } finally {
            batcher.hold(false);
        }
        for (int i = 0; i < sent.size(); i++) {
            JsonNode got = ok(answers.get(i).get()).get("predictions").get(0);
            // The fused kernels of a batch of 4 against those of a batch of 1: the same classes, the same order.
            assertSameTop(alone.get(sent.get(i)).get("top"), got.get("top"), 1e-6, sent.get(i).toString());
        }
        waitFor(() -> metric("resnet4j_images_total", "") - imagesBefore >= sent.size());
        assertEquals(sent.size(), metric("resnet4j_images_total", "") - imagesBefore, 0.0);
        assertEquals(Math.ceil(sent.size() / 4.0), metric("resnet4j_batch_size_count", "") - batchesBefore, 0.0,
                "22 requests of one image ran in batches of 4");
        // And single-image predict (the CLI's eager path) gives the same classes.
        Cli.Run run = Cli.run("predict", "--model", modelDir.toString(), "--json", "--top", "4",
                images.get(3).toString());
        assertSameTop(parse(run.out()).get("predictions").get(0).get("top"), alone.get(images.get(3)).get("top"),
                1e-5, "predict");
    }

    @Test
    void badRequestsGetA400WithAOneLineJsonError() throws IOException {
        assertError(http.post(PREDICT, "hello, I am not an image".getBytes(StandardCharsets.UTF_8), "text/plain"),
                400, "not an image");
        assertError(http.post(PREDICT, new byte[0], "image/png"), 400, "empty");
        byte[] png = bytes(images.get(0));
        assertError(http.post(PREDICT, Arrays.copyOf(png, png.length / 2), "image/png"), 400, "image upload");
        assertError(http.post(PREDICT, bomb(), "image/png"), 400, "megapixels");
        assertError(http.post(PREDICT + "?top=0", png, "image/png"), 400, "top must be");
        assertError(http.post(PREDICT + "?top=x", png, "image/png"), 400, "top must be");
        String[] names = new String[InferenceRoutes.MAX_FILES + 1];
        byte[][] many = new byte[names.length][];
        Arrays.fill(names, "tiny.png");
        Arrays.fill(many, TinyModel.png(2, 2));
        Object[] form = Http1.multipart(names, many);
        assertError(http.post(PREDICT, (byte[]) form[0], (String) form[1]), 400, "at most 64 images per request");
        assertError(http.post("/v1/models/other:predict", png, "image/png"), 404, "unknown model 'other'");
        assertError(http.post("/v1/models/tiny:classify", png, "image/png"), 404, "no such endpoint");
        assertError(http.post(INFER, "{\"inputs\": [".getBytes(StandardCharsets.UTF_8), "application/json"), 400,
                "not valid JSON");
        assertError(http.post(INFER, "[1, 2]".getBytes(StandardCharsets.UTF_8), "application/json"), 400,
                "JSON object");
        assertError(http.postJson(INFER, Map.of("inputs", List.of())), 400, "no input");
        float[] one = new float[3 * 32 * 32];
        assertError(http.postJson(INFER, infer("input", "FP32", List.of(1, 3, 28, 28), one)), 400,
                "must have shape [N, 3, 32, 32]");
        assertError(http.postJson(INFER, infer("input", "FP32", List.of(3, 32, 32), one)), 400, "must have shape");
        assertError(http.postJson(INFER, infer("input", "INT64", List.of(1, 3, 32, 32), one)), 400,
                "datatype FP32");
        assertError(http.postJson(INFER, infer("pixels", "FP32", List.of(1, 3, 32, 32), one)), 400,
                "unknown input 'pixels'");
        assertError(http.postJson(INFER, infer("input", "FP32", List.of(2, 3, 32, 32), one)), 400,
                "needs 6144 values, got 3072");
        assertError(http.postJson(INFER, infer("input", "FP32", List.of(1_000_000_000, 3, 32, 32), one)), 400,
                "must have shape");
        Map<String, Object> strings = infer("input", "FP32", List.of(1, 3, 32, 32), one);
        ((Map<String, Object>) ((List<?>) strings.get("inputs")).get(0)).put("data", List.of("a", "b"));
        assertError(http.postJson(INFER, strings), 400, "array of numbers");
        Map<String, Object> outputs = infer("input", "FP32", List.of(1, 3, 32, 32), one);
        outputs.put("outputs", List.of(Map.of("name", "features")));
        assertError(http.postJson(INFER, outputs), 400, "unknown output 'features'");
        assertError(http.post("/v2/models/other/infer", "{}".getBytes(StandardCharsets.UTF_8), "application/json"),
                404, "unknown model");
        // Deep nesting is refused before it can exhaust the stack.
        String deep = "{\"inputs\":[{\"data\":" + "[".repeat(5000) + "]".repeat(5000) + "}]}";
        assertError(http.post(INFER, deep.getBytes(StandardCharsets.UTF_8), "application/json"), 400, "");
        assertEquals(200, http.get("/v2/health/ready").status(), "still serving");
    }

    @Test
    void bodiesAboveTheLimitGet413() {
        try (InferenceServer small = InferenceServer.start(predictor, "tiny",
                ServeOptions.defaults("127.0.0.1", 0, "tiny").withLimits(16, 64 * 1024), "test")) {
            Http1 h = new Http1(small.port());
            assertError(h.post(PREDICT, new byte[200 * 1024], "image/png"), 413, "larger than the limit");
            Object[] form = Http1.multipart(new String[] {"big.png"}, new byte[][] {new byte[200 * 1024]});
            assertError(h.post(PREDICT, (byte[]) form[0], (String) form[1]), 413, "larger than the limit");
            assertError(h.post(INFER, new byte[100 * 1024], "application/json"), 413, "larger than the limit");
            // The server goes on answering.
            assertEquals(200, h.post(PREDICT, bytes(images.get(0)), "image/png").status());
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfter() throws Exception {
        try (InferenceServer small = InferenceServer.start(predictor, "tiny",
                ServeOptions.defaults("127.0.0.1", 0, "tiny").withLimits(2, 1 << 20), "test")) {
            Http1 h = new Http1(small.port());
            Batcher b = small.batcher();
            b.hold(true);
            List<CompletableFuture<Http1.Resp>> queued = new ArrayList<>();
            Http1.Resp refused;
            try {
                queued.add(h.postAsync(PREDICT, bytes(images.get(0)), "image/png"));
                queued.add(h.postAsync(PREDICT, bytes(images.get(1)), "image/png"));
                waitFor(() -> b.queued() == 2);
                refused = h.post(PREDICT, bytes(images.get(2)), "image/png");
            } finally {
                b.hold(false);
            }
            assertError(refused, 503, "overloaded");
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null), "Retry-After");
            for (CompletableFuture<Http1.Resp> q : queued) {
                assertEquals(200, q.get().status(), "the queued requests are answered");
            }
            assertTrue(small.metrics().scrape().contains("resnet4j_rejected_total 1.0"),
                    small.metrics().scrape());
        }
    }

    @Test
    void metricsCountRequestsByCodeAndBatches() throws Exception {
        double ok = metric("resnet4j_requests_total", "code=\"200\",endpoint=\"predict\"");
        double bad = metric("resnet4j_requests_total", "code=\"400\",endpoint=\"predict\"");
        for (int i = 0; i < 3; i++) {
            ok(http.post(PREDICT, bytes(images.get(i)), "image/png"));
        }
        for (int i = 0; i < 2; i++) {
            http.post(PREDICT, new byte[] {1, 2, 3}, "image/png");
        }
        waitFor(() -> metric("resnet4j_requests_total", "code=\"400\",endpoint=\"predict\"") - bad >= 2);
        assertEquals(3, metric("resnet4j_requests_total", "code=\"200\",endpoint=\"predict\"") - ok, 0.0);
        assertEquals(2, metric("resnet4j_requests_total", "code=\"400\",endpoint=\"predict\"") - bad, 0.0);
        String text = http.get("/metrics").body();
        for (String name : List.of("resnet4j_request_duration_seconds_bucket", "resnet4j_batch_size_bucket",
                "resnet4j_queue_depth", "resnet4j_images_total", "resnet4j_images_per_second",
                "resnet4j_rejected_total", "# TYPE resnet4j_requests_total counter")) {
            assertTrue(text.contains(name), name + " in:\n" + text);
        }
        assertTrue(metric("resnet4j_images_per_second", "") > 0, "images/s over the last 10 s");
    }

    @Test
    void clientsThatDisconnectCostNothing() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                        + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(Arrays.copyOf(bytes(images.get(0)), 100));
                out.flush();
            } // closed mid-body
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                byte[] png = bytes(images.get(0));
                s.getOutputStream().write(("POST " + PREDICT + " HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                        + "Content-Length: " + png.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(png);
                s.getOutputStream().flush();
            } // closed before the answer
        }
        waitFor(() -> server.inFlight() == 0);
        assertEquals(200, http.post(PREDICT, bytes(images.get(0)), "image/png").status());
        // Requests of clients that hung up before their answer may still be decoded after ours: they run and go.
        waitFor(() -> server.batcher().queued() == 0);
    }

    // ---------------------------------------------------------------------------------------------------------

    static Map<String, Object> infer(String name, String datatype, List<Integer> shape, float[] data) {
        Map<String, Object> in = new HashMap<>();
        in.put("name", name);
        in.put("datatype", datatype);
        in.put("shape", shape);
        in.put("data", data);
        Map<String, Object> req = new HashMap<>();
        req.put("inputs", List.of(in));
        return req;
    }

    /** A PNG whose header claims 100 000 × 100 000 pixels (10 gigapixels), with a valid CRC. */
    static byte[] bomb() {
        byte[] png = TinyModel.png(8, 8);
        // IHDR data starts at 16: width, height (big-endian), then 5 bytes; its CRC covers type + data.
        for (int at : new int[] {16, 20}) {
            png[at] = 0;
            png[at + 1] = 1;
            png[at + 2] = (byte) 0x86;
            png[at + 3] = (byte) 0xa0;
        }
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        long v = crc.getValue();
        for (int i = 0; i < 4; i++) {
            png[29 + i] = (byte) (v >>> (24 - 8 * i));
        }
        return png;
    }

    static void assertError(Http1.Resp r, int status, String text) {
        assertEquals(status, r.status(), r.toString());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.toString());
        assertFalse(r.body().contains("\n"), "one line: " + r);
        JsonNode e = r.json();
        assertEquals(1, e.size(), "only \"error\": " + r);
        assertTrue(e.get("error").asText().contains(text), "'" + text + "' in " + r);
        assertFalse(e.get("error").asText().contains("Exception"), "no exception class: " + r);
    }

    static JsonNode ok(Http1.Resp r) {
        assertEquals(200, r.status(), r.toString());
        return r.json();
    }

    static JsonNode output(JsonNode r, String name) {
        for (JsonNode o : r.get("outputs")) {
            if (o.get("name").asText().equals(name)) {
                return o;
            }
        }
        throw new AssertionError("no output " + name + " in " + r);
    }

    static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.get(i).floatValue();
        }
        return f;
    }

    static void assertSameTop(JsonNode want, JsonNode got, double tol, String what) {
        assertEquals(want.size(), got.size(), what);
        for (int k = 0; k < want.size(); k++) {
            assertEquals(want.get(k).get("label").asText(), got.get(k).get("label").asText(), what + " #" + k);
            assertEquals(want.get(k).get("index").asInt(), got.get(k).get("index").asInt(), what + " #" + k);
            assertEquals(want.get(k).get("probability").asDouble(), got.get(k).get("probability").asDouble(), tol,
                    what + " #" + k);
        }
    }

    static JsonNode parse(String s) {
        try {
            return Http1.MAPPER.readTree(s);
        } catch (IOException e) {
            throw new AssertionError(s, e);
        }
    }

    static byte[] bytes(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The value of a metric line {@code name{labels...}} (0 when absent); labels: a substring to match. */
    static double metric(String name, String labels) {
        String text = http.get("/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(text);
        double sum = 0;
        while (m.find()) {
            if (m.group(1) == null || m.group(1).contains(labels)) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void waitFor(Condition c) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        while (!c.holds()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting");
            }
            Thread.sleep(20);
        }
    }
}
