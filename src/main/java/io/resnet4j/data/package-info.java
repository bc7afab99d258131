/**
 * <b>API (advanced)</b>: data for resnet4j: data sets, image decoding, preprocessing and batching. Pure Java, no
 * engine. {@link io.resnet4j.Training} and {@link io.resnet4j.Classifier} use it for the common paths.
 *
 * <h2>Layouts</h2>
 * <ul>
 *   <li>{@link io.resnet4j.data.Image}: one image, {@code float[C·H·W]} in <b>CHW</b> order (each
 *       channel plane row-major), channels {@code [gray]} or {@code [R, G, B]}, values in
 *       {@code [0, 1]} as decoded;</li>
 *   <li>{@link io.resnet4j.data.Batch}: {@code float[N·C·H·W]} in <b>NCHW</b> order, normalized, with
 *       {@code int[N]} labels — the {@code channels_first} input of the model;</li>
 *   <li>class indices are positions in {@link io.resnet4j.data.Dataset#classes()}.</li>
 * </ul>
 *
 * <h2>Pieces</h2>
 * <ul>
 *   <li>{@link io.resnet4j.data.DataSources#open(String)}: {@code fashion-mnist},
 *       {@code fashion-mnist:DIR}, {@code cifar10:DIR}, {@code folder:DIR} →
 *       {@link io.resnet4j.data.DataSplits} (train and test {@link io.resnet4j.data.Dataset}s);</li>
 *   <li>readers {@link io.resnet4j.data.FashionMnist}, {@link io.resnet4j.data.Cifar10},
 *       {@link io.resnet4j.data.ImageFolder};</li>
 *   <li>{@link io.resnet4j.data.ImageDecoder}: any ImageIO-readable file → {@code Image}, with a
 *       pixel limit and EXIF orientation;</li>
 *   <li>{@link io.resnet4j.data.Transforms}: resize shorter side / centre crop / normalize for
 *       evaluation, random resized crop or pad-and-crop plus flip for training;</li>
 *   <li>{@link io.resnet4j.data.Normalization}: per-channel mean/std, presets and measurement;</li>
 *   <li>{@link io.resnet4j.data.BatchLoader}: reproducible shuffled epochs of batches from
 *       (seed, epoch), decoded on background threads, resumable at any batch.</li>
 * </ul>
 *
 * <p>Every bad-input failure is an {@link io.resnet4j.ResNet4jException} (or its subclass
 * {@link io.resnet4j.data.UnreadableImageException}) with a one-line message naming the file or
 * value at fault.
 */
package io.resnet4j.data;
