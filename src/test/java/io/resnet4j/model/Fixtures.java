package io.resnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.resnet4j.engine.Precision;
import io.resnet4j.io.SafeTensorsFile;
import io.resnet4j.io.TensorEntry;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One reference case from shared/fixtures (copied to test resources): weights, input, expected outputs.
 *
 * <p>{@code scripts/make-fixtures.py} (PyTorch, float64) recomputes every reference output of these files from their
 * weights, input and labels: {@code check} compares with the committed files (weights byte for byte, outputs within
 * 1e-6), {@code regenerate} rewrites them, and {@code new} adds a case from its own seeded initialization. The
 * original weights cannot be redrawn bit for bit (their generator is not documented), so they are its input.
 */
public final class Fixtures {
    public static final List<String> CASES = List.of("dev_v1_basic", "dev_v1_bottleneck", "dev_v2_basic",
            "dev_v2_bottleneck", "dev_v1_cifar20", "dev_v2_cifar20");

    final String name;
    final Map<String, String> meta;
    final Map<String, float[]> io = new HashMap<>();
    final Map<String, long[]> ioShapes = new HashMap<>();
    final long[] labels;

    private Fixtures(String name) {
        this.name = name;
        try (SafeTensorsFile w = SafeTensorsFile.open(weightsPath(name));
                SafeTensorsFile f = SafeTensorsFile.open(resource(name + ".io.safetensors"))) {
            meta = w.metadata();
            long[] l = null;
            for (TensorEntry e : f.entries()) {
                if (e.name().equals("labels")) {
                    l = f.readLongs("labels");
                } else {
                    io.put(e.name(), f.readFloats(e.name()));
                }
                ioShapes.put(e.name(), e.shape());
            }
            labels = l;
        }
    }

    public static Fixtures load(String name) {
        return new Fixtures(name);
    }

    public static Path weightsPath(String name) {
        return resource(name + ".safetensors");
    }

    /** The case names, for {@code @MethodSource("io.resnet4j.model.Fixtures#names")}. */
    public static List<String> names() {
        return CASES;
    }

    /** The NCHW input batch and its shape, and the eval-mode reference logits. */
    public float[] input() {
        return io.get("input");
    }

    public long[] inputShape() {
        return ioShapes.get("input");
    }

    public float[] logitsEval() {
        return io.get("logits_eval");
    }

    /** The case's model with its stored weights, in evaluation mode. */
    /**
     * Asserts that {@code got} are this case's eval logits as computed in {@code precision}: fp32 within the
     * fixtures' recommended 2e-5; bf16 within 5% of the largest reference logit (as
     * {@code FixtureTest.bf16ForwardIsClose} argues).
     */
    public void assertLogitsMatch(String what, Precision precision, float[] got) {
        float[] want = logitsEval();
        assertEquals(want.length, got.length, what + ": logit count");
        double maxRef = 0;
        double maxDiff = 0;
        for (int i = 0; i < want.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(want[i]));
            maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
        }
        double tol = precision == Precision.FP32 ? 2e-5 : 0.05 * maxRef;
        assertTrue(maxDiff <= tol, what + " " + precision + ": max diff " + maxDiff);
    }

    public ResNet model() {
        return ResNet.load(architecture(), weightsPath(name));
    }

    static Path resource(String file) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + file).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource fixtures/" + file, e);
        }
    }

    /** The architecture the metadata describes (independent of our preset table). */
    public Architecture architecture() {
        try {
            List<Integer> blocks = new ArrayList<>();
            for (int b : new ObjectMapper().readValue(meta.get("blocks"), int[].class)) {
                blocks.add(b);
            }
            Architecture a = Architecture.custom(
                    meta.get("family").equals("v2") ? Architecture.Version.V2 : Architecture.Version.V1,
                    meta.get("block").equals("bottleneck") ? Architecture.Block.BOTTLENECK : Architecture.Block.BASIC,
                    blocks, Integer.parseInt(meta.get("base_width")),
                    meta.get("variant").equals("cifar") ? Architecture.Stem.CIFAR : Architecture.Stem.IMAGENET);
            return a.withClasses(Integer.parseInt(meta.get("num_classes")))
                    .withInChannels(Integer.parseInt(meta.get("in_channels")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
