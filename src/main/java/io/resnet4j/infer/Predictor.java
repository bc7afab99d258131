package io.resnet4j.infer;

import io.resnet4j.ResNet4jException;
import io.resnet4j.data.Image;
import io.resnet4j.data.ImageDecoder;
import io.resnet4j.data.Transform;
import io.resnet4j.data.Transforms;
import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.ResNet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Classifies images with a saved model: decode (any size or colour type), preprocess as the model was trained,
 * run in batches without autograd, softmax, top-K.
 */
public final class Predictor {
    /** One class with its probability. */
    public record Scored(String label, int index, double probability) {}

    /** The top classes of one image. */
    public record Prediction(Path file, List<Scored> top) {}

    private final ResNet model;
    private final ModelConfig config;
    private final Precision precision;
    private final int batchSize;
    private FusedModel compiled;
    private FusedModel compiledSingle;

    public Predictor(ModelDirectory.Loaded loaded, Precision precision, int batchSize) {
        this.model = loaded.model();
        this.config = loaded.config();
        this.precision = precision;
        this.batchSize = batchSize;
        model.train(false);
    }

    /** Loads the model directory and makes a predictor (fp32, batches of 16). */
    public static Predictor load(Path modelDir) {
        return new Predictor(ModelDirectory.load(modelDir), Precision.FP32, 16);
    }

    /** Top-{@code k} classes for each file, in the order given. Unreadable files fail with their name. */
    public List<Prediction> predict(List<Path> files, int k) {
        return predict(files, preprocess(config, files), k);
    }

    /**
     * Decodes and preprocesses image files as a model with {@code config} expects them (any size or colour type in;
     * {@code C × resizeDim × resizeDim}, normalized, out). Needs no native code, so it can run while libtorch loads.
     */
    public static List<Image> preprocess(ModelConfig config, List<Path> files) {
        ImageDecoder decoder = new ImageDecoder();
        List<Image> images = new ArrayList<>();
        for (Path f : files) {
            images.add(preprocess(config, decoder.decode(f, config.architecture().inChannels())));
        }
        return images;
    }

    /**
     * Preprocesses one decoded image (values in [0, 1], the model's channel count) as a model with {@code config}
     * expects it: resize the shorter side, centre crop, normalize. The same steps as for files.
     */
    public static Image preprocess(ModelConfig config, Image decoded) {
        Transform t = Transforms.eval(config.minAspectDim(), config.resizeDim(), config.normalization());
        return t.apply(decoded, new SplittableRandom(0));
    }

    /** Top-{@code k} classes for {@code files}, already {@link #preprocess preprocessed} into {@code images}. */
    public List<Prediction> predict(List<Path> files, List<Image> images, int k) {
        if (k < 1) {
            throw new ResNet4jException("the number of classes to report must be at least 1, got " + k);
        }
        if (images.size() != files.size()) {
            throw new IllegalArgumentException(files.size() + " files but " + images.size() + " images");
        }
        int topK = Math.min(k, config.labels().size());
        if (files.size() > batchSize) {
            compile(batchSize); // several batches: folding the batch norms and prepacking once pays for itself
        }
        List<Prediction> out = new ArrayList<>();
        int classes = config.labels().size();
        for (int start = 0; start < files.size(); start += batchSize) {
            int end = Math.min(files.size(), start + batchSize);
            float[] probs = probabilities(images.subList(start, end));
            for (int i = start; i < end; i++) {
                out.add(new Prediction(files.get(i), top(probs, (i - start) * classes, classes, topK)));
            }
        }
        return out;
    }

    /** Softmax probabilities {@code [n, classes]} for preprocessed images of the model's input size. */
    public float[] probabilities(List<Image> images) {
        int c = config.architecture().inChannels();
        int h = config.resizeDim();
        int w = config.resizeDim();
        float[] data = new float[images.size() * c * h * w];
        for (int i = 0; i < images.size(); i++) {
            Image img = images.get(i);
            System.arraycopy(img.data(), 0, data, i * c * h * w, c * h * w);
        }
        return run(data, images.size(), true);
    }

    /**
     * Runs {@code n} inputs of the model's input size, laid out {@code [n, C, H, W]} (already preprocessed) in
     * {@code data}, and returns the logits {@code [n, classes]} ({@code softmax} false) or their softmax
     * probabilities (true), float32. The same arithmetic as {@link #probabilities}.
     */
    public float[] run(float[] data, int n, boolean softmax) {
        int c = config.architecture().inChannels();
        int h = config.resizeDim();
        if (n < 1 || (long) n * c * h * h != data.length) {
            throw new IllegalArgumentException(data.length + " values are not " + n + " inputs of " + c + "x" + h
                    + "x" + h);
        }
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin();
                Autocast ac = Autocast.begin(compiled == null ? precision : Precision.FP32)) {
            var x = Tensors.fromFloats(data, n, c, h, h);
            FusedModel fused = n == 1 && compiledSingle != null ? compiledSingle : compiled;
            var logits = (fused != null ? fused.forward(x) : model.forward(x))
                    .to(org.bytedeco.pytorch.global.torch.ScalarType.Float);
            return Tensors.toFloats(softmax ? logits.softmax(1) : logits);
        }
    }

    /** Softmax probabilities {@code [n, classes]} of logits {@code [n, classes]}: the arithmetic of {@link #run}. */
    public float[] softmax(float[] logits, int n) {
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            return Tensors.toFloats(Tensors.fromFloats(logits, n, logits.length / n).softmax(1));
        }
    }

    /**
     * Compiles the model into the fused oneDNN runtime ({@link FusedModel}) now, for batches of about
     * {@code batch}; every later call runs it. Without this, only a {@link #predict} of several batches compiles.
     */
    public synchronized Predictor compile(int batch) {
        if (compiled == null) {
            compiled = FusedModel.compile(model, precision, batch, config.resizeDim(), config.resizeDim());
        }
        return this;
    }

    /**
     * Also compiles the fused runtime for single images, which then run on it: oneDNN picks the weights' layouts by
     * batch size, and one image runs about a third faster on layouts chosen for one (resnet18, AMD Zen 5). Needs
     * {@link #compile} first; costs a second copy of the prepacked weights.
     */
    public synchronized Predictor compileForSingleImages() {
        if (compiled == null) {
            throw new IllegalStateException("compile() first");
        }
        if (compiledSingle == null) {
            compiledSingle = FusedModel.compile(model, precision, 1, config.resizeDim(), config.resizeDim());
        }
        return this;
    }

    /** Whether calls run the fused oneDNN runtime ({@link #compile}) rather than the model op by op. */
    public boolean compiled() {
        return compiled != null;
    }

    /** The precision every call runs in. */
    public Precision precision() {
        return precision;
    }

    /**
     * The top-{@code k} classes (at most the number of classes) of one image whose probabilities start at
     * {@code offset} in {@code probs}, most likely first: what {@link #predict} reports.
     */
    public List<Scored> top(float[] probs, int offset, int k) {
        int classes = config.labels().size();
        return top(probs, offset, classes, Math.max(1, Math.min(k, classes)));
    }

    private List<Scored> top(float[] probs, int offset, int classes, int k) {
        List<Scored> all = new ArrayList<>();
        for (int j = 0; j < classes; j++) {
            all.add(new Scored(config.labels().get(j), j, probs[offset + j]));
        }
        all.sort((a, b) -> Double.compare(b.probability(), a.probability()));
        return List.copyOf(all.subList(0, k));
    }

    public ModelConfig config() {
        return config;
    }
}
