package io.resnet4j.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An Open Inference Protocol v2 inference request ({@code POST /v2/models/{name}/infer}), read with a streaming
 * parser so that a large tensor never becomes a tree of JSON nodes:
 * {@code {"id": "...", "inputs": [{"name": "input", "shape": [N, C, H, W], "datatype": "FP32", "data": [...]}],
 * "outputs": [{"name": "logits"}], "parameters": {...}}}. {@code data} may be flat (row-major) or nested.
 *
 * @param id the request's id, echoed in the answer, or null
 * @param shape the input's shape
 * @param data the input's values, row-major
 * @param outputs the output names asked for (empty: all)
 */
public record InferRequest(String id, long[] shape, float[] data, List<String> outputs) {
    /** The most images one request may hold. */
    static final int MAX_BATCH = 4096;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build();

    /** Parses and checks a request against the model's input {@code [-1, c, h, w]}. */
    static InferRequest parse(byte[] body, int c, int h, int w) {
        try (JsonParser p = JSON.createParser(body)) {
            return read(p, c, h, w);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.badRequest("the request cannot be read: " + e.getMessage());
        }
    }

    private static InferRequest read(JsonParser p, int c, int h, int w) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw ApiError.badRequest("the request must be a JSON object with \"inputs\"");
        }
        String id = null;
        List<String> outputs = new ArrayList<>();
        Input input = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "id" -> {
                    if (t != JsonToken.VALUE_STRING) {
                        throw ApiError.badRequest("\"id\" must be a string");
                    }
                    id = p.getText();
                }
                case "inputs" -> {
                    expect(t, JsonToken.START_ARRAY, "\"inputs\" must be an array");
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        if (input != null) {
                            throw ApiError.badRequest("the model has one input, 'input'; the request has more");
                        }
                        input = readInput(p);
                    }
                }
                case "outputs" -> {
                    expect(t, JsonToken.START_ARRAY, "\"outputs\" must be an array");
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        outputs.add(readOutput(p));
                    }
                }
                default -> p.skipChildren(); // "parameters" and anything else: ignored
            }
        }
        if (input == null) {
            throw ApiError.badRequest("the request has no input; send \"inputs\": [{\"name\": \"input\", ...}]");
        }
        return input.check(id, outputs, c, h, w);
    }

    private static String readOutput(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT, "each of \"outputs\" must be an object with a \"name\"");
        String name = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals("name") && t == JsonToken.VALUE_STRING) {
                name = p.getText();
            } else {
                p.skipChildren();
            }
        }
        if (name == null) {
            throw ApiError.badRequest("each of \"outputs\" must have a \"name\"");
        }
        if (!name.equals(Protocol.LOGITS) && !name.equals(Protocol.PROBABILITIES)) {
            throw ApiError.badRequest("unknown output '" + name + "'; the model has 'logits' and 'probabilities'");
        }
        return name;
    }

    /** An input as sent, before it is checked. */
    private record Input(String name, long[] shape, String datatype, float[] data, int count) {
        InferRequest check(String id, List<String> outputs, int c, int h, int w) {
            if (!Protocol.INPUT.equals(name)) {
                throw ApiError.badRequest("unknown input '" + name + "'; the model has one input, 'input'");
            }
            if (datatype == null || !datatype.equals("FP32")) {
                throw ApiError.badRequest("input 'input' must have datatype FP32, got " + datatype);
            }
            if (shape == null) {
                throw ApiError.badRequest("input 'input' has no shape");
            }
            if (shape.length != 4 || shape[0] < 1 || shape[0] > MAX_BATCH || shape[1] != c || shape[2] != h
                    || shape[3] != w) {
                throw ApiError.badRequest("input 'input' must have shape [N, " + c + ", " + h + ", " + w
                        + "] with 1 <= N <= " + MAX_BATCH + ", got " + Arrays.toString(shape));
            }
            if (data == null) {
                throw ApiError.badRequest("input 'input' has no data");
            }
            long want = shape[0] * c * h * w;
            if (count != want) {
                throw ApiError.badRequest("input 'input' of shape " + Arrays.toString(shape) + " needs " + want
                        + " values, got " + count);
            }
            return new InferRequest(id, shape, count == data.length ? data : Arrays.copyOf(data, count), outputs);
        }
    }

    private static Input readInput(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_OBJECT, "each of \"inputs\" must be an object");
        String name = null, datatype = null;
        long[] shape = null;
        float[] data = null;
        int[] count = {0};
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> name = t == JsonToken.VALUE_STRING ? p.getText() : null;
                case "datatype" -> datatype = t == JsonToken.VALUE_STRING ? p.getText() : String.valueOf(t);
                case "shape" -> shape = readShape(p);
                case "data" -> {
                    data = new float[1024];
                    data = readData(p, data, count, 0);
                }
                default -> p.skipChildren();
            }
        }
        return new Input(name, shape, datatype, data, count[0]);
    }

    private static long[] readShape(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY, "\"shape\" must be an array of integers");
        long[] shape = new long[0];
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || shape.length >= 8) {
                throw ApiError.badRequest("\"shape\" must be an array of at most 8 integers");
            }
            shape = Arrays.copyOf(shape, shape.length + 1);
            shape[shape.length - 1] = p.getLongValue();
        }
        return shape;
    }

    private static float[] readData(JsonParser p, float[] data, int[] count, int depth) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            if (count[0] == data.length) {
                data = Arrays.copyOf(data, data.length * 2);
            }
            data[count[0]++] = p.getFloatValue();
            return data;
        }
        if (t != JsonToken.START_ARRAY || depth > 8) {
            throw ApiError.badRequest("\"data\" must be an array of numbers (flat or nested), found "
                    + p.getText());
        }
        while (p.nextToken() != JsonToken.END_ARRAY) {
            data = readData(p, data, count, depth + 1);
        }
        return data;
    }

    private static void expect(JsonToken got, JsonToken want, String message) {
        if (got != want) {
            throw ApiError.badRequest(message);
        }
    }

    /** Images in the request. */
    public int batch() {
        return (int) shape[0];
    }
}
