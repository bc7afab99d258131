package example;

import io.resnet4j.Classifier;
import io.resnet4j.Prediction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Classifies every image in a folder (and its sub-folders) with a resnet4j model directory.
 *
 * <pre>java -jar target/classify-folder.jar MODEL_DIR IMAGE_FOLDER [TOP_K]</pre>
 */
public final class ClassifyFolder {
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: java -jar classify-folder.jar MODEL_DIR IMAGE_FOLDER [TOP_K]");
            System.exit(2);
        }
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<Path> images;
        try (Stream<Path> files = Files.walk(Path.of(args[1]))) {
            images = files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().toLowerCase().matches(".*\\.(jpe?g|png|bmp|gif)"))
                    .sorted().toList();
        }

        Classifier classifier = Classifier.load(Path.of(args[0]));   // config.json + model.safetensors
        List<List<Prediction>> results = classifier.classifyAll(images, k);
        for (int i = 0; i < images.size(); i++) {
            System.out.println(images.get(i) + "\t" + results.get(i));
        }
        System.out.println(images.size() + " images classified into " + classifier.labels());
    }
}
