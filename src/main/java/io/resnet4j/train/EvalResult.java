package io.resnet4j.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy of a model on a labelled set.
 *
 * @param loss mean cross-entropy (no label smoothing)
 * @param top1 fraction in [0, 1] whose highest-scoring class is the label
 * @param top5 fraction whose label is among the five highest (all classes when there are fewer than five)
 * @param examples images evaluated
 * @param labels class names, index order
 * @param confusion {@code confusion[true][predicted]} counts
 * @param predicted the top-1 class of every example, in evaluation order
 */
public record EvalResult(double loss, double top1, double top5, long examples, List<String> labels, int[][] confusion,
        int[] predicted) {

    /**
     * The fraction of examples on which this result and {@code other} (the same examples, e.g. in another
     * precision) predict the same top-1 class.
     */
    public double agreement(EvalResult other) {
        if (other.predicted.length != predicted.length) {
            throw new IllegalArgumentException("results over " + predicted.length + " and " + other.predicted.length
                    + " examples");
        }
        long same = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == other.predicted[i]) {
                same++;
            }
        }
        return predicted.length == 0 ? Double.NaN : (double) same / predicted.length;
    }

    /** Accuracy per class (recall): correct / examples of that class; NaN for a class with no examples. */
    public Map<String, Double> perClass() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int c = 0; c < labels.size(); c++) {
            long total = 0;
            for (int p = 0; p < labels.size(); p++) {
                total += confusion[c][p];
            }
            out.put(labels.get(c), total == 0 ? Double.NaN : (double) confusion[c][c] / total);
        }
        return out;
    }
}
