/**
 * <b>API (advanced)</b>: inference. {@link io.resnet4j.infer.Predictor} classifies preprocessed images with a
 * loaded model (not thread-safe); {@link io.resnet4j.infer.FusedModel} is the fast oneDNN runtime (batch norm
 * folded, fused convolutions, prepacked weights, for one batch shape); {@link io.resnet4j.infer.TorchScriptModel}
 * and {@link io.resnet4j.infer.OnnxRuntimeModel} are the other runtimes; {@link io.resnet4j.infer.Benchmark} times
 * them. They take and return libtorch tensors: see {@code io.resnet4j.engine} for their native memory.
 * {@link io.resnet4j.Classifier} covers the common paths without tensors.
 */
package io.resnet4j.infer;
