/**
 * resnet4j: ResNet image classifiers for the JVM, on libtorch. <b>This package is the API to start from</b>; with
 * it, a Java program builds, trains, evaluates, runs, exports and serves a classifier without touching native
 * memory or tensors.
 *
 * <ul>
 *   <li>{@link io.resnet4j.Training}: trains a ResNet on an image folder (or CIFAR-10, Fashion-MNIST) and leaves a
 *       model directory ({@code config.json} + {@code model.safetensors});</li>
 *   <li>{@link io.resnet4j.Classifier}: loads a model directory and classifies image files, encoded bytes and
 *       {@link java.awt.image.BufferedImage}s; evaluates it on a labelled set; exports it as ONNX;</li>
 *   <li>{@link io.resnet4j.Prediction}, {@link io.resnet4j.Accuracy}, {@link io.resnet4j.Training.Result}: the
 *       results, plain values;</li>
 *   <li>{@link io.resnet4j.ResNet4jException}: every failure, with a one-line message naming what is wrong.</li>
 * </ul>
 *
 * <pre>{@code
 * Training.Result run = Training.onImageFolder(Path.of("photos")).epochs(10).run(Path.of("model"));
 * Classifier classifier = Classifier.load(Path.of("model"));
 * for (Prediction p : classifier.classify(Path.of("cat.jpg"), 3)) {
 *     System.out.println(p);                                   // label (index): probability
 * }
 * }</pre>
 *
 * <h2>What else is API</h2>
 * Types these signatures use, and the building blocks for more than the common paths, are public API too:
 * {@link io.resnet4j.model.Architecture} (the presets and custom shapes), {@link io.resnet4j.model.ModelConfig},
 * {@link io.resnet4j.engine.Precision}, {@link io.resnet4j.train.TrainOptions}; the packages
 * {@code io.resnet4j.model}, {@code io.resnet4j.data}, {@code io.resnet4j.train} and {@code io.resnet4j.infer}
 * are the advanced API (a model as libtorch modules, data sets and transforms, the training loop and its seams,
 * the inference runtimes): public and documented, but they hand out libtorch tensors, whose native memory the
 * caller must manage with {@link io.resnet4j.engine.Scope}. {@code io.resnet4j.engine} and {@code io.resnet4j.io}
 * are internals that the other packages share (see each package's description), and {@code io.resnet4j.cli} is
 * the command line, not an API.
 *
 * <h2>Platform</h2>
 * Linux x86-64, Java 17 or later. The first use of the engine in a process unpacks libtorch's native libraries
 * into {@code $RESNET4J_CACHE} (default {@code ~/.cache/resnet4j}) and runs a known-answer self-check; a CPU on
 * which libtorch computes wrong numbers is refused with a {@link io.resnet4j.ResNet4jException} rather than used.
 */
package io.resnet4j;
