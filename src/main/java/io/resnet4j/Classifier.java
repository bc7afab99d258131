package io.resnet4j;

import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.DataSources;
import io.resnet4j.data.Dataset;
import io.resnet4j.data.Image;
import io.resnet4j.data.ImageDecoder;
import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.Architecture;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import io.resnet4j.model.OnnxExport;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.Evaluation;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An image classifier: a trained model directory, loaded once, that classifies image files, encoded image bytes
 * and {@link BufferedImage}s, evaluates itself on a labelled data set, and exports itself as ONNX.
 *
 * <pre>{@code
 * Classifier classifier = Classifier.load(Path.of("runs/fm"));       // config.json + model.safetensors
 * Prediction best = classifier.classify(Path.of("shoe.jpg"));         // the most probable class
 * List<Prediction> top3 = classifier.classify(imageBytes, 3);         // JPEG/PNG/BMP/GIF bytes, top three
 * }</pre>
 *
 * <p><b>Images.</b> Any size and colour type: each image is decoded (JPEG EXIF orientation applied for files and
 * bytes), converted to the model's channel count (gray or RGB), its shorter side resized and centre-cropped to the
 * model's input size, and normalized exactly as in training, all from the model directory's {@code config.json}.
 * Results are identical whether an image comes as a file, its bytes, or the same pixels as a
 * {@code BufferedImage} (a JPEG file's EXIF orientation is the one difference: a {@code BufferedImage} has none).
 *
 * <p><b>Native memory.</b> The weights live in libtorch (native) memory owned by this object and are released when
 * it becomes unreachable; every call frees the native memory of its own tensors before it returns. Nothing needs
 * closing, and no {@link io.resnet4j.engine.Scope} is needed. libtorch is started (and its known-answer self-check
 * run, about a second in all) on the first {@link #load}.
 *
 * <p><b>Threads.</b> A {@code Classifier} is safe to share between threads, e.g. by every request handler of a
 * server: calls on one instance run one at a time (each uses all cores through libtorch's thread pool). For
 * parallel calls, load one instance per thread.
 *
 * <p>Every failure (a missing or bad model directory, an unreadable image, a data set that does not fit the model)
 * is a {@link ResNet4jException} with a one-line message naming the file or value at fault.
 */
public final class Classifier {
    private static final int BATCH_SIZE = 16;

    private final ModelDirectory.Loaded loaded;
    private final Precision precision;
    private final Predictor predictor;
    private final ImageDecoder decoder = new ImageDecoder();

    private Classifier(ModelDirectory.Loaded loaded, Precision precision) {
        this.loaded = loaded;
        this.precision = precision;
        this.predictor = new Predictor(loaded, precision, BATCH_SIZE);
    }

    /**
     * Loads the model directory {@code dir} ({@code config.json} and {@code model.safetensors}, as
     * {@link Training#run(Path)} or {@code resnet4j train} leave it) to classify in float32.
     *
     * @param dir the model directory
     * @return a classifier of the model
     * @throws ResNet4jException when the directory, its config or its weights are missing or invalid
     */
    public static Classifier load(Path dir) {
        return load(dir, Precision.FP32);
    }

    /**
     * Loads the model directory {@code dir} to classify in {@code precision}: {@link Precision#FP32}, or
     * {@link Precision#BF16} (bfloat16 arithmetic, float32 weights; faster on CPUs with AVX512-BF16 or AMX, and the
     * same top-1 class on all but a few tenths of a percent of images).
     *
     * @param dir the model directory
     * @param precision the arithmetic precision of every call
     * @return a classifier of the model
     * @throws ResNet4jException when the directory, its config or its weights are missing or invalid
     */
    public static Classifier load(Path dir, Precision precision) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(precision, "precision");
        return new Classifier(ModelDirectory.load(dir), precision);
    }

    /**
     * A classifier of weights from elsewhere: a safetensors file with torchvision's tensor names (for v1
     * architectures, as torchvision and timm {@code resnet*} models save them) or resnet4j's (v2), preprocessed as
     * ImageNet models are (shorter side 256, centre crop 224, ImageNet mean and std; 32 and mean/std 0.5 for
     * architectures with a CIFAR stem).
     *
     * @param architecture the network the weights are for, e.g. {@code Architecture.preset("resnet50")}
     * @param weights the safetensors file
     * @param labels the class names in class-index order, one per output of the architecture
     * @return a classifier of the weights, in float32
     * @throws ResNet4jException when the file is missing or invalid, does not fit the architecture (one message
     *     lists every missing, unexpected and mis-shaped tensor), or the labels are not one per class
     */
    public static Classifier fromWeights(Architecture architecture, Path weights, List<String> labels) {
        Objects.requireNonNull(weights, "weights");
        ModelConfig defaults = ModelConfig.defaults(architecture);
        ModelConfig config = new ModelConfig(defaults.architecture(), labels, defaults.minAspectDim(),
                defaults.resizeDim(), defaults.normalization());
        return new Classifier(new ModelDirectory.Loaded(ResNet.load(config.architecture(), weights), config),
                Precision.FP32);
    }

    /**
     * The class names, in class-index order.
     *
     * @return an immutable list with one entry per class
     */
    public List<String> labels() {
        return loaded.config().labels();
    }

    /**
     * The model's configuration: its {@link io.resnet4j.model.Architecture}, labels and preprocessing.
     *
     * @return the configuration read from {@code config.json}
     */
    public ModelConfig config() {
        return loaded.config();
    }

    /**
     * The most probable class of an image file.
     *
     * @param image a JPEG, PNG, BMP or GIF file
     * @return the most probable class
     * @throws ResNet4jException when the file is missing or cannot be decoded
     */
    public Prediction classify(Path image) {
        return classify(image, 1).get(0);
    }

    /**
     * The {@code k} most probable classes of an image file.
     *
     * @param image a JPEG, PNG, BMP or GIF file
     * @param k how many classes to return, at least 1 (fewer when the model has fewer classes)
     * @return the classes, most probable first
     * @throws ResNet4jException when the file is missing or cannot be decoded, or {@code k < 1}
     */
    public synchronized List<Prediction> classify(Path image, int k) {
        return classifyAll(List.of(image), k).get(0);
    }

    /**
     * The {@code k} most probable classes of each of several image files, in batches (faster than one by one).
     *
     * <p>With more than 16 files, the first such call prepares the fused runtime (batch norm folded into the
     * convolutions, prepacked weights) and every later call of this classifier uses it; its probabilities agree
     * with the plain model's to a few units in the last float digit.
     *
     * @param images JPEG, PNG, BMP or GIF files
     * @param k how many classes to return per image, at least 1
     * @return one list per image, in the order given, each most probable first
     * @throws ResNet4jException naming the first file that is missing or cannot be decoded, or when {@code k < 1}
     */
    public synchronized List<List<Prediction>> classifyAll(List<Path> images, int k) {
        List<List<Prediction>> out = new ArrayList<>();
        for (Predictor.Prediction p : predictor.predict(List.copyOf(images), k)) {
            List<Prediction> top = new ArrayList<>();
            for (Predictor.Scored s : p.top()) {
                top.add(new Prediction(s.label(), s.index(), s.probability()));
            }
            out.add(List.copyOf(top));
        }
        return List.copyOf(out);
    }

    /**
     * The most probable class of an encoded image held in memory (an upload, say).
     *
     * @param encoded the bytes of a JPEG, PNG, BMP or GIF file
     * @return the most probable class
     * @throws ResNet4jException when the bytes are not a decodable image
     */
    public Prediction classify(byte[] encoded) {
        return classify(encoded, 1).get(0);
    }

    /**
     * The {@code k} most probable classes of an encoded image held in memory.
     *
     * @param encoded the bytes of a JPEG, PNG, BMP or GIF file
     * @param k how many classes to return, at least 1
     * @return the classes, most probable first
     * @throws ResNet4jException when the bytes are not a decodable image, or {@code k < 1}
     */
    public List<Prediction> classify(byte[] encoded, int k) {
        Objects.requireNonNull(encoded, "encoded");
        return top(probabilities(decoder.decode(encoded, "in memory (" + encoded.length + " bytes)",
                channels())), k);
    }

    /**
     * The most probable class of a decoded image.
     *
     * @param image any {@code BufferedImage} (any type; alpha is dropped)
     * @return the most probable class
     */
    public Prediction classify(BufferedImage image) {
        return classify(image, 1).get(0);
    }

    /**
     * The {@code k} most probable classes of a decoded image.
     *
     * @param image any {@code BufferedImage} (any type; alpha is dropped)
     * @param k how many classes to return, at least 1
     * @return the classes, most probable first
     * @throws ResNet4jException when {@code k < 1}
     */
    public List<Prediction> classify(BufferedImage image, int k) {
        return top(probabilities(image), k);
    }

    /**
     * The probability of every class for a decoded image.
     *
     * @param image any {@code BufferedImage} (any type; alpha is dropped)
     * @return a new array of {@link #labels()}{@code .size()} probabilities in class-index order, summing to 1
     */
    public float[] probabilities(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        return probabilities(ImageDecoder.fromBufferedImage(image, channels()));
    }

    /**
     * Evaluates the model on the test split of a labelled data source: top-1, top-5, loss, per-class accuracy and
     * the confusion matrix.
     *
     * @param dataSource {@code folder:DIR} (the images in {@code DIR/val/<class>/}), {@code cifar10:DIR},
     *     {@code fashion-mnist:DIR} or {@code fashion-mnist}; the same names as the command line's {@code --data}
     * @return the accuracy over every readable image of the split
     * @throws ResNet4jException when the data source cannot be opened or has another number of classes than the
     *     model
     */
    public synchronized Accuracy evaluate(String dataSource) {
        Dataset test = DataSources.open(dataSource).test();
        ModelConfig cfg = loaded.config();
        if (test.classes().size() != cfg.labels().size()) {
            throw new ResNet4jException("the model knows " + cfg.labels().size() + " classes but " + dataSource
                    + " has " + test.classes().size());
        }
        try (BatchLoader loader = new BatchLoader(test, Evaluation.loaderConfig(cfg, 64))) {
            return Accuracy.of(Evaluation.evaluate(loaded.model(), loader, cfg.labels(), precision, null));
        }
    }

    /**
     * Writes the model as ONNX (opset 17): one input {@code input}, float32 NCHW {@code [N, C, H, W]} (dynamic
     * batch size, preprocessed as {@link #config()} says), one output {@code logits}, float32 {@code [N, classes]}.
     * For ONNX Runtime, TensorRT, OpenVINO and the like.
     *
     * @param file where to write the {@code .onnx} file (replaced atomically)
     * @throws ResNet4jException when the file cannot be written
     */
    public synchronized void exportOnnx(Path file) {
        OnnxExport.write(loaded.model(), file);
    }

    private int channels() {
        return loaded.config().architecture().inChannels();
    }

    private synchronized float[] probabilities(Image decoded) {
        return predictor.probabilities(List.of(Predictor.preprocess(loaded.config(), decoded)));
    }

    private List<Prediction> top(float[] probabilities, int k) {
        if (k < 1) {
            throw new ResNet4jException("the number of classes to report must be at least 1, got " + k);
        }
        List<String> labels = labels();
        List<Prediction> all = new ArrayList<>();
        for (int j = 0; j < labels.size(); j++) {
            all.add(new Prediction(labels.get(j), j, probabilities[j]));
        }
        all.sort((a, b) -> Double.compare(b.probability(), a.probability()));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }
}
