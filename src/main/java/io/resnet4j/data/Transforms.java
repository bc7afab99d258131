package io.resnet4j.data;

import io.resnet4j.ResNet4jException;
import java.util.random.RandomGenerator;

/**
 * Image preprocessing: geometric operations on CHW {@link Image}s and the standard evaluation and
 * training pipelines (TensorFlow official ResNet's {@code min_aspect_dim} / {@code resize_dim}).
 *
 * <p><b>Evaluation</b> ({@link #eval}): resize so the shorter side is {@code minAspectDim}, the
 * longer side {@code floor(long · minAspectDim / short)} (aspect ratio kept, as torchvision and the
 * TensorFlow official models do), centre-crop {@code resizeDim × resizeDim} (offsets
 * {@code round((H - resizeDim) / 2)}, half to even, as torchvision), normalize. For fixed-size
 * small data sets {@code minAspectDim == resizeDim == } the native size and this is only the
 * normalization.
 *
 * <p><b>Training</b> ({@link #train}):
 * <ul>
 *   <li>large images ({@code resizeDim > } {@value #SMALL_IMAGE_MAX}): torchvision's
 *       {@code RandomResizedCrop(resizeDim, scale=(0.08, 1), ratio=(3/4, 4/3))}, then a horizontal
 *       flip with probability 1/2, then normalize;</li>
 *   <li>small images ({@code resizeDim <= } {@value #SMALL_IMAGE_MAX}, Fashion-MNIST, CIFAR): the
 *       evaluation resize and crop (the identity at native size), then zero padding of
 *       {@value #PAD} pixels on every side and a random {@code resizeDim × resizeDim} crop of the
 *       padded image (torchvision's {@code RandomCrop(size, padding=4)}, padding value 0 in
 *       {@code [0, 1]} scale, i.e. before normalization), then a horizontal flip with probability
 *       1/2, then normalize.</li>
 *   <li>optionally ({@code erasing > 0}), {@link #randomErasing} after normalization.</li>
 * </ul>
 *
 * <p><b>Resampling</b> is Pillow's bilinear filter with antialiasing: a separable triangle filter
 * whose support widens by the scale factor when shrinking (so a shrink averages the whole area it
 * covers, like torchvision's {@code antialias=True}), and plain bilinear interpolation with
 * half-pixel centres when enlarging. Output values stay within the input's range.
 *
 * <p>All random choices come from the {@link RandomGenerator} passed in, so a pipeline is a pure
 * function of (image, generator state).
 */
public final class Transforms {

    /** Images whose {@code resizeDim} is at most this use pad-and-crop augmentation. */
    public static final int SMALL_IMAGE_MAX = 64;

    /** Zero padding on each side for small-image augmentation. */
    public static final int PAD = 4;

    private static final double MIN_SCALE = 0.08, MAX_SCALE = 1.0, MIN_RATIO = 3.0 / 4.0, MAX_RATIO = 4.0 / 3.0;

    private Transforms() {
    }

    // ------------------------------------------------------------------ pipelines

    /**
     * Evaluation preprocessing: resize the shorter side to {@code minAspectDim}, centre-crop
     * {@code resizeDim × resizeDim}, then normalize with {@code normalization} (whose channel count
     * must match the images'). Ignores the random source.
     */
    public static Transform eval(int minAspectDim, int resizeDim, Normalization normalization) {
        Transform geometry = evalGeometry(minAspectDim, resizeDim);
        return (image, random) -> normalization.apply(geometry.apply(image, random));
    }

    /** {@link #eval} without the normalization: values stay in {@code [0, 1]}. */
    public static Transform evalGeometry(int minAspectDim, int resizeDim) {
        checkDims(minAspectDim, resizeDim);
        return (image, random) -> centerCrop(resizeShorterSide(image, minAspectDim), resizeDim, resizeDim);
    }

    /**
     * Training preprocessing with augmentation (see the class description), then normalization.
     */
    public static Transform train(int minAspectDim, int resizeDim, Normalization normalization) {
        return train(minAspectDim, resizeDim, normalization, 0);
    }

    /**
     * {@link #train}, then {@link #randomErasing} with probability {@code erasing} on the normalized
     * image (erasing off when 0; the random source is then used exactly as by {@link #train}).
     */
    public static Transform train(int minAspectDim, int resizeDim, Normalization normalization, double erasing) {
        Transform geometry = trainGeometry(minAspectDim, resizeDim);
        if (erasing <= 0) {
            return (image, random) -> normalization.apply(geometry.apply(image, random));
        }
        return (image, random) -> randomErasing(normalization.apply(geometry.apply(image, random)), erasing, random);
    }

    /** {@link #train} without the normalization: values stay in {@code [0, 1]}. */
    public static Transform trainGeometry(int minAspectDim, int resizeDim) {
        checkDims(minAspectDim, resizeDim);
        if (resizeDim <= SMALL_IMAGE_MAX) {
            return (image, random) -> randomHorizontalFlip(
                    padAndRandomCrop(centerCrop(resizeShorterSide(image, minAspectDim), resizeDim, resizeDim),
                            PAD, random),
                    random);
        }
        return (image, random) -> randomHorizontalFlip(randomResizedCrop(image, resizeDim, random), random);
    }

    private static void checkDims(int minAspectDim, int resizeDim) {
        if (minAspectDim < 1 || resizeDim < 1) {
            throw new ResNet4jException("min_aspect_dim and resize_dim must be positive, got " + minAspectDim
                    + " and " + resizeDim + ".");
        }
    }

    // ------------------------------------------------------------------ geometry

    /**
     * Resizes so that the shorter side is {@code shorter} and the longer side
     * {@code floor(longer · shorter / shortSide)}; the same image when it already has that size.
     */
    public static Image resizeShorterSide(Image image, int shorter) {
        int h = image.height(), w = image.width();
        int nh, nw;
        if (h <= w) {
            nh = shorter;
            nw = Math.max(1, (int) ((double) shorter * w / h));
        } else {
            nw = shorter;
            nh = Math.max(1, (int) ((double) shorter * h / w));
        }
        return resize(image, nh, nw);
    }

    /** Resizes to exactly {@code height × width} (Pillow bilinear with antialiasing). */
    public static Image resize(Image image, int height, int width) {
        if (height < 1 || width < 1) {
            throw new ResNet4jException("cannot resize an image to " + height + "x" + width + " pixels.");
        }
        if ((long) image.channels() * height * width > Integer.MAX_VALUE - 8) {
            throw new ResNet4jException("cannot resize an image to " + height + "x" + width
                    + " pixels: it would be too large.");
        }
        int c = image.channels(), h = image.height(), w = image.width();
        if (height == h && width == w) {
            return image;
        }
        float[] src = image.data();
        // Horizontal pass: C×h×w → C×h×width.
        if (width != w) {
            Coefficients k = Coefficients.of(w, width);
            float[] dst = new float[c * h * width];
            for (int row = 0; row < c * h; row++) {
                int sBase = row * w, dBase = row * width;
                for (int x = 0; x < width; x++) {
                    int start = k.start[x], off = x * k.size;
                    double acc = 0;
                    for (int t = 0; t < k.count[x]; t++) {
                        acc += k.weights[off + t] * src[sBase + start + t];
                    }
                    dst[dBase + x] = (float) acc;
                }
            }
            src = dst;
        }
        // Vertical pass: C×h×width → C×height×width.
        if (height != h) {
            Coefficients k = Coefficients.of(h, height);
            float[] dst = new float[c * height * width];
            double[] acc = new double[width];
            for (int ch = 0; ch < c; ch++) {
                int sPlane = ch * h * width, dPlane = ch * height * width;
                for (int y = 0; y < height; y++) {
                    java.util.Arrays.fill(acc, 0);
                    int start = k.start[y], off = y * k.size;
                    for (int t = 0; t < k.count[y]; t++) {
                        double wt = k.weights[off + t];
                        int sRow = sPlane + (start + t) * width;
                        for (int x = 0; x < width; x++) {
                            acc[x] += wt * src[sRow + x];
                        }
                    }
                    int dRow = dPlane + y * width;
                    for (int x = 0; x < width; x++) {
                        dst[dRow + x] = (float) acc[x];
                    }
                }
            }
            src = dst;
        }
        return new Image(c, height, width, src);
    }

    /** Pillow's {@code precompute_coeffs} for the bilinear (triangle) filter. */
    private static final class Coefficients {
        final int size;
        final int[] start, count;
        final double[] weights;

        private Coefficients(int size, int[] start, int[] count, double[] weights) {
            this.size = size;
            this.start = start;
            this.count = count;
            this.weights = weights;
        }

        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale; // the triangle filter has support 1
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[outSize], count = new int[outSize];
            double[] weights = new double[outSize * size];
            double ss = 1.0 / filterScale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                xmax = Math.min(xmax, size);
                double total = 0;
                int off = xx * size;
                for (int x = 0; x < xmax; x++) {
                    double t = Math.abs((x + xmin - center + 0.5) * ss);
                    double wt = t < 1.0 ? 1.0 - t : 0.0;
                    weights[off + x] = wt;
                    total += wt;
                }
                if (total != 0) {
                    for (int x = 0; x < xmax; x++) {
                        weights[off + x] /= total;
                    }
                }
                start[xx] = xmin;
                count[xx] = xmax;
            }
            return new Coefficients(size, start, count, weights);
        }
    }

    /**
     * The {@code height × width} window whose top-left corner is at ({@code top}, {@code left}) in
     * the image; parts of the window outside the image are zero. So a window larger than the image
     * or partly outside it acts as zero padding.
     */
    public static Image crop(Image image, int top, int left, int height, int width) {
        if (height < 1 || width < 1) {
            throw new ResNet4jException("cannot crop a window of " + height + "x" + width + " pixels.");
        }
        int c = image.channels(), h = image.height(), w = image.width();
        if (top == 0 && left == 0 && height == h && width == w) {
            return image;
        }
        float[] src = image.data(), dst = new float[c * height * width];
        int y0 = Math.max(0, -top), y1 = Math.min(height, h - top);
        int x0 = Math.max(0, -left), x1 = Math.min(width, w - left);
        if (y0 < y1 && x0 < x1) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = y0; y < y1; y++) {
                    System.arraycopy(src, (ch * h + y + top) * w + left + x0, dst,
                            (ch * height + y) * width + x0, x1 - x0);
                }
            }
        }
        return new Image(c, height, width, dst);
    }

    /**
     * The centred {@code height × width} window (torchvision's {@code center_crop}: top
     * {@code round((H - height) / 2)}, left {@code round((W - width) / 2)}, half to even); zero
     * padded where the image is smaller.
     */
    public static Image centerCrop(Image image, int height, int width) {
        int top = (int) Math.rint((image.height() - height) / 2.0);
        int left = (int) Math.rint((image.width() - width) / 2.0);
        return crop(image, top, left, height, width);
    }

    /** The image mirrored left to right. */
    public static Image horizontalFlip(Image image) {
        int c = image.channels(), h = image.height(), w = image.width();
        float[] src = image.data(), dst = new float[src.length];
        for (int row = 0; row < c * h; row++) {
            int base = row * w;
            for (int x = 0; x < w; x++) {
                dst[base + x] = src[base + w - 1 - x];
            }
        }
        return new Image(c, h, w, dst);
    }

    /** Mirrors left to right when {@code random.nextBoolean()} is true (one draw). */
    public static Image randomHorizontalFlip(Image image, RandomGenerator random) {
        return random.nextBoolean() ? horizontalFlip(image) : image;
    }

    /**
     * Pads {@code pad} zero pixels on every side and takes a random window of the original size:
     * top and left offsets uniform in {@code [0, 2·pad]} (two draws, top first), so the image moves
     * by up to {@code pad} pixels and the uncovered border is zero.
     */
    public static Image padAndRandomCrop(Image image, int pad, RandomGenerator random) {
        if (pad < 0) {
            throw new ResNet4jException("padding must not be negative, got " + pad + ".");
        }
        int top = random.nextInt(2 * pad + 1);
        int left = random.nextInt(2 * pad + 1);
        return crop(image, top - pad, left - pad, image.height(), image.width());
    }

    /**
     * torchvision's {@code RandomResizedCrop(size)}: scale in [0.08, 1], aspect ratio in [3/4, 4/3]
     * log-uniform, resized to {@code size × size}.
     */
    public static Image randomResizedCrop(Image image, int size, RandomGenerator random) {
        return randomResizedCrop(image, size, MIN_SCALE, MAX_SCALE, MIN_RATIO, MAX_RATIO, random);
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: up to 10 tries of area fraction
     * {@code U(minScale, maxScale)} and aspect ratio {@code exp(U(log minRatio, log maxRatio))}, the
     * crop side lengths rounded (half to even), the position uniform among those that fit; if no try
     * fits, the largest centred crop with a ratio clamped into range. The crop is then resized to
     * {@code size × size}.
     */
    public static Image randomResizedCrop(Image image, int size, double minScale, double maxScale,
            double minRatio, double maxRatio, RandomGenerator random) {
        int[] box = randomResizedCropBox(image.height(), image.width(), minScale, maxScale, minRatio, maxRatio,
                random);
        return resize(crop(image, box[0], box[1], box[2], box[3]), size, size);
    }

    /** The crop window {@code {top, left, height, width}} chosen by {@link #randomResizedCrop}. */
    static int[] randomResizedCropBox(int height, int width, double minScale, double maxScale, double minRatio,
            double maxRatio, RandomGenerator random) {
        double area = (double) height * width;
        double logMin = Math.log(minRatio), logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(random, minScale, maxScale);
            double ratio = Math.exp(uniform(random, logMin, logMax));
            int w = (int) Math.rint(Math.sqrt(target * ratio));
            int h = (int) Math.rint(Math.sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return new int[] {top, left, h, w};
            }
        }
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < minRatio) {
            w = width;
            h = (int) Math.rint(w / minRatio);
        } else if (inRatio > maxRatio) {
            h = height;
            w = (int) Math.rint(h * maxRatio);
        } else {
            w = width;
            h = height;
        }
        h = Math.max(1, Math.min(h, height));
        w = Math.max(1, Math.min(w, width));
        return new int[] {(height - h) / 2, (width - w) / 2, h, w};
    }

    /**
     * Random erasing (Zhong et al. 2017; torchvision's {@code RandomErasing()} defaults): with
     * probability {@code p}, a rectangle covering a uniform 2–33% of the image area, aspect ratio
     * log-uniform in [0.3, 3.3], at a uniform position, is set to 0 in every channel — the data
     * set's mean once normalized. Up to 10 draws are tried for a rectangle that fits; the image is
     * returned unchanged when none does. Occluding parts teaches the model not to rely on any one
     * region, which helps most on small, centred images such as Fashion-MNIST.
     */
    public static Image randomErasing(Image image, double p, RandomGenerator random) {
        if (random.nextDouble() >= p) {
            return image;
        }
        int h = image.height(), w = image.width();
        double area = (double) h * w;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(random, ERASE_MIN_SCALE, ERASE_MAX_SCALE);
            double ratio = Math.exp(uniform(random, Math.log(ERASE_MIN_RATIO), Math.log(ERASE_MAX_RATIO)));
            int eh = (int) Math.round(Math.sqrt(target * ratio));
            int ew = (int) Math.round(Math.sqrt(target / ratio));
            if (eh < 1 || ew < 1 || eh > h || ew > w) {
                continue;
            }
            int top = random.nextInt(h - eh + 1), left = random.nextInt(w - ew + 1);
            float[] out = image.data().clone();
            for (int c = 0; c < image.channels(); c++) {
                for (int y = top; y < top + eh; y++) {
                    int row = (c * h + y) * w;
                    java.util.Arrays.fill(out, row + left, row + left + ew, 0f);
                }
            }
            return new Image(image.channels(), h, w, out);
        }
        return image;
    }

    private static final double ERASE_MIN_SCALE = 0.02, ERASE_MAX_SCALE = 0.33, ERASE_MIN_RATIO = 0.3,
            ERASE_MAX_RATIO = 3.3;

    private static double uniform(RandomGenerator random, double lo, double hi) {
        return lo == hi ? lo : lo + (hi - lo) * random.nextDouble();
    }
}
