package io.resnet4j.infer;

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
 */
public record EvalResult(double loss, double top1, double top5, long examples, List<String> labels, int[][] confusion) {

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
