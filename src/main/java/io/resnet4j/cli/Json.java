package io.resnet4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.ResNet4jException;
import java.io.IOException;

/** One JSON object per {@code --json} command, on stdout. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static void print(Object value) {
        try {
            System.out.println(MAPPER.writeValueAsString(value));
            System.out.flush();
        } catch (IOException e) {
            throw new ResNet4jException("cannot write JSON: " + e.getMessage(), e);
        }
    }
}
