/**
 * <b>API (advanced)</b>: the networks. {@link io.resnet4j.model.Architecture} is an immutable value with named
 * presets ({@code resnet18 … resnet200}, {@code -v2}, {@code cifar-resnet{6n+2}}) and custom shapes;
 * {@link io.resnet4j.model.ModelConfig} is what a model directory's {@code config.json} says (architecture,
 * labels, preprocessing); {@link io.resnet4j.model.ModelDirectory} reads and writes model directories;
 * {@link io.resnet4j.model.ResNet} is the network as libtorch modules (input {@code [N, C, H, W]} float32,
 * output logits {@code [N, classes]}); {@link io.resnet4j.model.Layout} spells a network out unit by unit and is
 * what every consumer reads; {@link io.resnet4j.model.OnnxExport} writes ONNX.
 *
 * <p>{@code ResNet} hands out libtorch tensors: run it inside an {@link io.resnet4j.engine.Scope} (see
 * {@code io.resnet4j.engine}); a model is not thread-safe. {@link io.resnet4j.Classifier} does all of that for the
 * common paths.
 */
package io.resnet4j.model;
