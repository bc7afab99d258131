package example;

import io.resnet4j.Training;
import java.nio.file.Path;

/**
 * Trains a ResNet on an image folder: DATA/train/CLASS/*.jpg for training, DATA/val/CLASS/*.jpg for validation.
 * OUT becomes a model directory that the classify-folder example (or resnet4j's {@code predict}) loads.
 *
 * <pre>java -jar target/train-folder.jar DATA OUT [EPOCHS] [ARCHITECTURE] [IMAGE_SIZE]</pre>
 */
public final class TrainFolder {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: java -jar train-folder.jar DATA OUT [EPOCHS] [ARCHITECTURE] [IMAGE_SIZE]");
            System.exit(2);
        }
        Training.Result run = Training.onImageFolder(Path.of(args[0]))
                .epochs(args.length > 2 ? Integer.parseInt(args[2]) : 10)
                .architecture(args.length > 3 ? args[3] : "resnet18")
                .imageSize(args.length > 4 ? Integer.parseInt(args[4]) : 224)
                .batchSize(32)
                .run(Path.of(args[1]));

        System.out.println("validation: " + run.validation());
        System.out.println("model directory: " + run.modelDirectory());
    }
}
