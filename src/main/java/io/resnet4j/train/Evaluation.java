package io.resnet4j.train;

import io.resnet4j.data.Batch;
import io.resnet4j.data.BatchLoader;
import io.resnet4j.data.Normalization;
import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ResNet;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs a model in evaluation mode over every batch of a loader and scores it: the validation of every training
 * epoch, and the {@code eval} command. It belongs to {@code train} because training needs it and {@code train} must
 * not depend on {@code infer} (which times {@link TrainingStep}); {@code infer} and the CLI use it from here.
 */
public final class Evaluation {
    private Evaluation() {}

    /**
     * The loader settings that evaluate a saved model as it was trained: its channels, preprocessing sizes and
     * normalization, no augmentation; unreadable images are counted and skipped.
     */
    public static BatchLoader.Config loaderConfig(ModelConfig cfg, int batchSize) {
        return BatchLoader.Config.evaluation(batchSize, cfg.architecture().inChannels(), cfg.minAspectDim(),
                cfg.resizeDim(), new Normalization(cfg.mean(), cfg.std())).withSkipUnreadable(true);
    }

    /**
     * Evaluates {@code model} (switched to eval mode) on one pass of {@code loader} (epoch 0, no augmentation
     * expected). {@code progressTask} names the progress line, or null for none.
     */
    public static EvalResult evaluate(ResNet model, BatchLoader loader, List<String> labels, Precision precision,
            String progressTask) {
        return evaluate(model, loader, labels, precision, progressTask, false);
    }

    /**
     * {@link #evaluate}, with optional flip test-time augmentation: each image is also classified
     * mirrored left-right and the two logit vectors are averaged (the model saw mirrored images in
     * training, so both views are in distribution; costs a second forward pass).
     */
    public static EvalResult evaluate(ResNet model, BatchLoader loader, List<String> labels, Precision precision,
            String progressTask, boolean flipTta) {
        boolean wasTraining = model.isTraining();
        model.train(false);
        Scorer scorer = new Scorer(labels);
        long total = (long) loader.dataset().size();
        try (Progress progress = progressTask == null ? null : Progress.start(progressTask, total);
                var it = loader.iterator(0)) {
            while (it.hasNext()) {
                Batch b = it.next();
                if (b.size() == 0) {
                    continue; // every image of the batch was unreadable (the loader counted them)
                }
                float[] logits;
                try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin(); Autocast ac = Autocast.begin(precision)) {
                    Tensor x = Tensors.fromFloats(b.data(), b.shape());
                    Tensor y = model.forward(x);
                    if (flipTta) {
                        y = Tensors.mean(y, model.forward(Tensors.flipWidth(x)));
                    }
                    logits = Tensors.toFloats(y);
                }
                scorer.add(logits, b.labels(), b.size());
                if (progress != null) {
                    progress.step(b.size());
                }
            }
        } finally {
            model.train(wasTraining);
        }
        return scorer.result();
    }

    /** Accumulates loss, top-1, top-5 and the confusion matrix from logits computed in float32. */
    public static final class Scorer {
        private final List<String> labels;
        private final int k;
        private final int[][] confusion;
        private int[] predicted = new int[1024];
        private double lossSum;
        private long top1;
        private long top5;
        private long n;

        public Scorer(List<String> labels) {
            this.labels = List.copyOf(labels);
            this.k = labels.size();
            this.confusion = new int[k][k];
        }

        /** Adds {@code count} rows of {@code logits} ({@code [count, classes]}, row-major) with their labels. */
        public void add(float[] logits, int[] y, int count) {
            for (int i = 0; i < count; i++) {
                int off = i * k;
                int label = y[i];
                double max = Double.NEGATIVE_INFINITY;
                int arg = 0;
                for (int c = 0; c < k; c++) {
                    if (logits[off + c] > max) {
                        max = logits[off + c];
                        arg = c;
                    }
                }
                double sum = 0;
                int higher = 0;
                for (int c = 0; c < k; c++) {
                    sum += Math.exp(logits[off + c] - max);
                    if (logits[off + c] > logits[off + label]) {
                        higher++;
                    }
                }
                lossSum += Math.log(sum) + max - logits[off + label];
                if (arg == label) {
                    top1++;
                }
                if (higher < 5) {
                    top5++;
                }
                confusion[label][arg]++;
                if (n == predicted.length) {
                    predicted = java.util.Arrays.copyOf(predicted, predicted.length * 2);
                }
                predicted[(int) n] = arg;
                n++;
            }
        }

        public EvalResult result() {
            int[][] copy = new int[k][];
            for (int i = 0; i < k; i++) {
                copy[i] = confusion[i].clone();
            }
            return new EvalResult(n == 0 ? Double.NaN : lossSum / n, n == 0 ? Double.NaN : (double) top1 / n,
                    n == 0 ? Double.NaN : (double) top5 / n, n, labels, copy,
                    java.util.Arrays.copyOf(predicted, (int) n));
        }
    }
}
