package io.resnet4j;

/**
 * One class a {@link Classifier} assigns to an image, with its probability.
 *
 * @param label the class name, as the model directory's {@code config.json} lists it (for a model trained on an
 *     image folder: the name of the class's sub-folder)
 * @param index the class index, the position of {@code label} in {@link Classifier#labels()}
 * @param probability the softmax probability in {@code [0, 1]}; the probabilities of all classes of one image sum
 *     to 1
 */
public record Prediction(String label, int index, double probability) {

    /** {@code label (index): percent}, e.g. {@code "shoe (7): 93.12%"}. */
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s (%d): %.2f%%", label, index, 100 * probability);
    }
}
