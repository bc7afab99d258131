/**
 * <b>API (advanced)</b>: training. {@link io.resnet4j.train.Trainer} runs a training (epochs, validation,
 * checkpoints, metrics, plots, resume) with {@link io.resnet4j.train.TrainOptions}; its seams
 * ({@link io.resnet4j.train.GradientHook}, {@link io.resnet4j.train.RunOutput}) prepare data-parallel training;
 * {@link io.resnet4j.train.Evaluation} scores a model on a loader into an {@link io.resnet4j.train.EvalResult}.
 * The rest (SGD, schedules, the training step, metrics files, plots, progress lines) is public for the other
 * packages and may change. {@link io.resnet4j.Training} covers the common paths without tensors.
 */
package io.resnet4j.train;
