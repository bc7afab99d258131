package io.resnet4j.train;

import io.resnet4j.engine.Autocast;
import io.resnet4j.engine.Layers;
import io.resnet4j.engine.Precision;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.ResNet;
import java.util.Arrays;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The forward and backward half of one training step on a batch, shared by the trainer and {@code bench --mode
 * train}. Call it inside a {@link io.resnet4j.engine.Scope}; then, having looked at the loss, {@link Sgd#step(double)}
 * applies the update.
 */
public final class TrainingStep {
    /** The batch's mean loss and how many images the model classified correctly. */
    public record Outcome(float loss, long correct) {}

    private TrainingStep() {}

    /**
     * Forward ({@code precision}: fp32, or bf16 autocast; the loss in float32), cross-entropy with label smoothing,
     * gradients cleared and computed.
     *
     * @param data NCHW batch, {@code shape = [n, c, h, w]}
     * @param labels class of each image (the first {@code shape[0]} are used)
     */
    public static Outcome forwardBackward(ResNet model, Sgd sgd, float[] data, long[] shape, int[] labels,
            Precision precision, double labelSmoothing) {
        Tensor x = Tensors.fromFloats(data, shape);
        Tensor y = Tensors.fromInts(Arrays.copyOf(labels, (int) shape[0]));
        Tensor logits;
        try (Autocast ac = Autocast.begin(precision)) {
            logits = model.forward(x);
        }
        logits = logits.to(torch.ScalarType.Float);
        Tensor loss = Layers.crossEntropy(logits, y, labelSmoothing);
        sgd.zeroGrad(model);
        loss.backward();
        long correct = logits.argmax(new LongOptional(1), false).eq(y).sum().item_long();
        return new Outcome(loss.item_float(), correct);
    }
}
