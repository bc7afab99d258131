package io.resnet4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resnet4j.data.Image;
import io.resnet4j.engine.Engine;
import io.resnet4j.engine.Precision;
import io.resnet4j.infer.Predictor;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ModelDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code predict}: the top-K classes of image files. */
@Command(name = "predict",
        description = "Classify image files (JPEG, PNG, BMP, GIF, TIFF, WebP; any size or colour type).")
final class PredictCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PrecisionOption precision;
    @Mixin JsonOption json;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path modelDir;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "Classes per image (default 5).")
    int top;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Images to classify.")
    List<Path> files;

    @Override
    public Integer call() {
        if (top < 1) {
            throw new Main.UsageException("--top must be at least 1, got " + top);
        }
        Precision prec = precision.get();
        // A short command: libtorch loads (about a second) while the images are decoded.
        Engine.startInBackground();
        ModelConfig config = ModelDirectory.config(modelDir);
        List<Image> images = Predictor.preprocess(config, files);
        Predictor p = new Predictor(ModelDirectory.load(modelDir, config), prec, 16);
        List<Predictor.Prediction> preds = p.predict(files, images, top);
        if (json.on()) {
            ObjectNode o = Json.object();
            ArrayNode arr = o.putArray("predictions");
            for (Predictor.Prediction pr : preds) {
                ObjectNode e = arr.addObject();
                e.put("file", pr.file().toString());
                ArrayNode t = e.putArray("top");
                for (Predictor.Scored s : pr.top()) {
                    t.addObject().put("label", s.label()).put("index", s.index()).put("probability", s.probability());
                }
            }
            Json.print(o);
        } else {
            for (Predictor.Prediction pr : preds) {
                System.out.println(pr.file());
                for (Predictor.Scored s : pr.top()) {
                    System.out.printf("  %6.2f%%  %s (%d)%n", 100 * s.probability(), s.label(), s.index());
                }
            }
        }
        return 0;
    }
}
