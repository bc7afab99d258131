package io.resnet4j.serve;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/** The JSON the server answers with (docs/serving.md). */
final class Protocol {
    static final String INPUT = "input";
    static final String LOGITS = "logits";
    static final String PROBABILITIES = "probabilities";
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = new JsonFactory();

    private Protocol() {
    }

    static byte[] bytes(Object node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] error(String message) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("error", message == null ? "error" : message);
        return bytes(o);
    }

    /** {@code GET /v2}: the server's metadata. */
    static ObjectNode serverMetadata(String version) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", "resnet4j");
        o.put("version", version);
        o.putArray("extensions");
        return o;
    }

    /** {@code GET /v2/models/{name}}: inputs {@code [-1, C, H, W]} FP32, outputs {@code [-1, classes]}. */
    static ObjectNode modelMetadata(String name, ModelConfig config, String precision, String runtime) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", name);
        o.putArray("versions").add("1");
        o.put("platform", "resnet4j");
        int c = config.architecture().inChannels();
        int s = config.resizeDim();
        ArrayNode inputs = o.putArray("inputs");
        ObjectNode in = inputs.addObject().put("name", INPUT).put("datatype", "FP32");
        in.putArray("shape").add(-1).add(c).add(s).add(s);
        ArrayNode outputs = o.putArray("outputs");
        for (String out : List.of(LOGITS, PROBABILITIES)) {
            ObjectNode t = outputs.addObject().put("name", out).put("datatype", "FP32");
            t.putArray("shape").add(-1).add(config.labels().size());
        }
        ObjectNode p = o.putObject("parameters");
        p.put("architecture", config.architecture().name());
        p.put("input_size", s);
        p.put("resize_shorter_side", config.minAspectDim());
        p.put("precision", precision);
        p.put("runtime", runtime);
        ArrayNode labels = p.putArray("labels");
        config.labels().forEach(labels::add);
        return o;
    }

    /** The answer to an inference request, written as it goes (no tree of a large tensor). */
    static byte[] inferResponse(String model, InferRequest req, Batcher.Output out, int classes) {
        List<String> wanted = req.outputs().isEmpty() ? List.of(LOGITS, PROBABILITIES) : req.outputs();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(buf, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", "1");
            if (req.id() != null) {
                g.writeStringField("id", req.id());
            }
            g.writeArrayFieldStart("outputs");
            for (String name : wanted) {
                float[] values = name.equals(LOGITS) ? out.logits() : out.probabilities();
                g.writeStartObject();
                g.writeStringField("name", name);
                g.writeStringField("datatype", "FP32");
                g.writeArrayFieldStart("shape");
                g.writeNumber(req.batch());
                g.writeNumber(classes);
                g.writeEndArray();
                g.writeArrayFieldStart("data");
                for (float v : values) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    /** What {@code predict --json} prints: predictions, each a file name and its top classes. */
    static byte[] predictions(List<String> names, List<List<Predictor.Scored>> tops) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode arr = o.putArray("predictions");
        for (int i = 0; i < names.size(); i++) {
            ObjectNode e = arr.addObject();
            e.put("file", names.get(i));
            ArrayNode t = e.putArray("top");
            for (Predictor.Scored s : tops.get(i)) {
                t.addObject().put("label", s.label()).put("index", s.index()).put("probability", s.probability());
            }
        }
        return bytes(o);
    }
}
