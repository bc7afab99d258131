package io.resnet4j;

import io.resnet4j.train.EvalResult;
import java.util.Collections;
import java.util.Map;

/**
 * How well a model classifies a labelled set of images: what {@link Classifier#evaluate(String)} and
 * {@link Training.Result#validation()} report.
 *
 * @param examples the number of images scored (unreadable images are skipped and not counted)
 * @param top1 the fraction in {@code [0, 1]} of images whose most probable class is their label
 * @param top5 the fraction whose label is among the five most probable classes (all classes when there are fewer
 *     than five)
 * @param loss the mean cross-entropy (without label smoothing)
 * @param perClass the top-1 accuracy (recall) of each class, by class name in class-index order; {@code NaN} for a
 *     class with no images
 * @param confusion {@code confusion[label][predicted]}: how many images of class {@code label} were classified as
 *     {@code predicted}; a square matrix over the class indices
 */
public record Accuracy(long examples, double top1, double top5, double loss, Map<String, Double> perClass,
        int[][] confusion) {

    /** The accuracy an evaluation of the engine's training package reports. */
    static Accuracy of(EvalResult r) {
        return new Accuracy(r.examples(), r.top1(), r.top5(), r.loss(), Collections.unmodifiableMap(r.perClass()),
                r.confusion());
    }

    /** {@code N images: top-1 X%, top-5 Y%, loss Z}. */
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%d images: top-1 %.2f%%, top-5 %.2f%%, loss %.4f", examples,
                100 * top1, 100 * top5, loss);
    }
}
