package io.resnet4j.train;

import io.resnet4j.model.ResNet;

/**
 * Work on a step's gradients between the backward pass and the optimizer update: where data-parallel training
 * averages the gradients over its processes (an all-reduce), and where gradient clipping or accumulation would go.
 *
 * <p>{@link TrainingStep} calls its hooks in the order they were added, once per step, after {@code backward()} has
 * left each parameter's gradient in {@code parameter.grad()} and before {@link Sgd#step(double)} reads them. A hook
 * changes the gradients in place; it must not change the parameters. It runs inside the step's
 * {@link io.resnet4j.engine.Scope}, so tensors it makes are freed with the step's. It runs in every process and at
 * every step, before anything that might stop one process alone (the divergence check), so a collective operation
 * in a hook is reached by all processes.
 */
@FunctionalInterface
public interface GradientHook {
    /**
     * @param model the model whose parameters hold this step's gradients ({@link ResNet#namedParameters()})
     * @param step the global step about to be applied, 0-based over the whole run
     */
    void onGradients(ResNet model, long step);

    /**
     * Runs before the step's forward pass (data-parallel training broadcasts the batch-norm buffers from the
     * primary process here, as {@code DistributedDataParallel} does). By default nothing.
     */
    default void beforeForward(ResNet model, long step) {
    }

    /**
     * Runs after the forward pass and the loss, before {@code backward()} (data-parallel training arms its
     * gradient all-reduce here, which then runs during backward). By default nothing.
     */
    default void beforeBackward(ResNet model, long step) {
    }
}
