/**
 * <b>Internal</b>: the engine, the only package that knows libtorch (through the JavaCPP presets): loading and
 * self-checking the native libraries, native memory ({@link io.resnet4j.engine.Scope}), autograd and autocast
 * switches, tensors from and to Java arrays, the layers, and the fused oneDNN convolution.
 *
 * <p>Its types expose JavaCPP and libtorch types ({@code org.bytedeco.pytorch.Tensor}) and may change in any
 * release. Two plain enums are part of the API: {@link io.resnet4j.engine.Precision} (fp32, or bf16 autocast) and
 * {@link io.resnet4j.engine.DataFormat} (the memory layout convolutions run in). Code that works with tensors
 * directly (the advanced API of {@code io.resnet4j.model} and {@code io.resnet4j.infer}) also needs
 * {@link io.resnet4j.engine.Scope}, {@link io.resnet4j.engine.NoGrad} and {@link io.resnet4j.engine.Tensors}.
 *
 * <h2>Native memory</h2>
 * A tensor's memory is native and is freed when the innermost open {@link io.resnet4j.engine.Scope} closes (or by
 * the garbage collector, late, outside any scope). Open a scope around each step that creates tensors, and build
 * models outside any scope: their weights must outlive the step. The {@code io.resnet4j} facade does all of this
 * itself.
 */
package io.resnet4j.engine;
