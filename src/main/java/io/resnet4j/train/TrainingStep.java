package io.resnet4j.train;

import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.ResNet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One optimizer step on a batch, in two halves so that the caller can look at the loss before the weights change:
 * {@link #forwardBackward} (forward, loss, backward, then the {@link GradientHook}s) and {@link #update} (the SGD
 * update). The trainer runs it for every batch and {@code bench --mode train} times it, so both measure and train
 * the same code. Call both halves inside one {@link io.resnet4j.engine.Scope}.
 */
public final class TrainingStep {
    /** The batch's mean loss and how many images the model classified correctly. */
    public record Outcome(float loss, long correct) {}

    private final ResNet model;
    private final Sgd sgd;
    private final Precision precision;
    private final double labelSmoothing;
    private final List<GradientHook> hooks;

    private TrainingStep(Builder b) {
        this.model = b.model;
        this.sgd = b.sgd;
        this.precision = b.precision;
        this.labelSmoothing = b.labelSmoothing;
        this.hooks = List.copyOf(b.hooks);
    }

    /** A step of {@code model} updated by {@code sgd}: fp32, no label smoothing, no hooks unless set. */
    public static Builder builder(ResNet model, Sgd sgd) {
        return new Builder(model, sgd);
    }

    /**
     * Forward ({@code precision}: fp32, or bf16 autocast; the loss in float32), cross-entropy with label smoothing,
     * gradients cleared and computed, then every gradient hook in order (their {@link GradientHook#beforeForward}
     * and {@link GradientHook#beforeBackward} at those moments).
     *
     * @param data NCHW batch, {@code shape = [n, c, h, w]}
     * @param labels class of each image (the first {@code shape[0]} are used)
     * @param step the global step (0-based), passed to the hooks
     */
    public Outcome forwardBackward(float[] data, long[] shape, int[] labels, long step) {
        Tensor x = Tensors.fromFloats(data, shape);
        Tensor y = Tensors.fromInts(Arrays.copyOf(labels, (int) shape[0]));
        Tensor logits;
        for (GradientHook hook : hooks) {
            hook.beforeForward(model, step);
        }
        try (Autocast ac = Autocast.begin(precision)) {
            logits = model.forward(x);
        }
        logits = logits.to(torch.ScalarType.Float);
        Tensor loss = Layers.crossEntropy(logits, y, labelSmoothing);
        sgd.zeroGrad(model);
        for (GradientHook hook : hooks) {
            hook.beforeBackward(model, step);
        }
        loss.backward();
        for (GradientHook hook : hooks) {
            hook.onGradients(model, step);
        }
        long correct = logits.argmax(new LongOptional(1), false).eq(y).sum().item_long();
        return new Outcome(loss.item_float(), correct);
    }

    /** Applies the gradients with learning rate {@code lr} ({@link Sgd#step(double)}). */
    public void update(double lr) {
        sgd.step(lr);
    }

    /** The settings of a {@link TrainingStep}. */
    public static final class Builder {
        private final ResNet model;
        private final Sgd sgd;
        private Precision precision = Precision.FP32;
        private double labelSmoothing;
        private final List<GradientHook> hooks = new ArrayList<>();

        private Builder(ResNet model, Sgd sgd) {
            this.model = model;
            this.sgd = sgd;
        }

        /** fp32 (default), or bf16 autocast for the forward pass. */
        public Builder precision(Precision p) {
            this.precision = p;
            return this;
        }

        /** Label smoothing of the cross-entropy, in [0, 1); default 0. */
        public Builder labelSmoothing(double s) {
            this.labelSmoothing = s;
            return this;
        }

        /** Adds a hook run after backward, after those added before it. */
        public Builder gradientHook(GradientHook hook) {
            hooks.add(java.util.Objects.requireNonNull(hook, "hook"));
            return this;
        }

        /** Adds hooks in order. */
        public Builder gradientHooks(List<GradientHook> list) {
            list.forEach(this::gradientHook);
            return this;
        }

        public TrainingStep build() {
            return new TrainingStep(this);
        }
    }
}
