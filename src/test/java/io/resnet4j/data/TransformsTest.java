package io.resnet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Preprocessing against values computed independently: by hand from the definitions, and by
 * Pillow 9.4 ({@code Image.fromarray(a, mode='F').resize((w, h), Image.BILINEAR)}).
 */
class TransformsTest {

    /** The 2×4 test image [[0, .2, .4, .6], [.8, 1, .1, .3]]. */
    private static Image twoByFour() {
        return new Image(1, 2, 4, new float[] {0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f, 0.1f, 0.3f});
    }

    private static void assertValues(float[] expected, Image actual, float tolerance) {
        assertEquals(expected.length, actual.data().length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.data()[i], tolerance, "value " + i);
        }
    }

    @Test
    void evalCropsTheCentreWithoutResizing() {
        // Shorter side already 2: no resize; the centred 2×2 window is columns 1..2.
        Image out = Transforms.eval(2, 2, Normalization.identity(1)).apply(twoByFour(), null);
        assertArrayEquals(new float[] {0.2f, 0.4f, 1f, 0.1f}, out.data());
    }

    @Test
    void evalNormalizes() {
        Normalization n = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        Image out = Transforms.eval(2, 2, n).apply(twoByFour(), null);
        assertValues(new float[] {(0.2f - 0.5f) / 0.25f, (0.4f - 0.5f) / 0.25f, 2f, (0.1f - 0.5f) / 0.25f}, out, 1e-6f);
    }

    /** Bilinear interpolation with half-pixel centres and edge clamping, straight from the definition. */
    private static float bilinear(Image im, double y, double x) {
        double sy = Math.max(0, Math.min(im.height() - 1, y)), sx = Math.max(0, Math.min(im.width() - 1, x));
        int y0 = (int) Math.floor(sy), x0 = (int) Math.floor(sx);
        int y1 = Math.min(y0 + 1, im.height() - 1), x1 = Math.min(x0 + 1, im.width() - 1);
        double fy = sy - y0, fx = sx - x0;
        double top = im.get(0, y0, x0) * (1 - fx) + im.get(0, y0, x1) * fx;
        double bottom = im.get(0, y1, x0) * (1 - fx) + im.get(0, y1, x1) * fx;
        return (float) (top * (1 - fy) + bottom * fy);
    }

    @Test
    void evalUpscalesThenCrops() {
        // Shorter side 2 → 4: the image becomes 4×8, and the centred 4×4 is columns 2..5.
        Image in = twoByFour();
        Image out = Transforms.eval(4, 4, Normalization.identity(1)).apply(in, null);
        assertEquals(4, out.height());
        assertEquals(4, out.width());
        // From the definition of bilinear upsampling (scale 1/2: source = (dst + 0.5) / 2 - 0.5).
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                float expected = bilinear(in, (y + 0.5) / 2 - 0.5, (x + 2 + 0.5) / 2 - 0.5);
                assertEquals(expected, out.get(0, y, x), 1e-6f, "(" + y + "," + x + ")");
            }
        }
        // And Pillow's numbers for the same crop.
        assertValues(new float[] {
            0.15f, 0.25f, 0.35f, 0.45f,
            0.35f, 0.38125f, 0.34375f, 0.375f,
            0.75f, 0.64375f, 0.33125f, 0.225f,
            0.95f, 0.775f, 0.325f, 0.15f}, out, 1e-6f);
    }

    @Test
    void evalDownscalesWithAntialiasing() {
        // Shorter side 2 → 1: 1×2 (Pillow: 0.4642857, 0.3857143), centre crop 1×1 keeps column 0
        // (offset round(0.5) = 0, half to even, as torchvision).
        Image resized = Transforms.resizeShorterSide(twoByFour(), 1);
        assertValues(new float[] {0.4642857f, 0.3857143f}, resized, 1e-6f);
        Image out = Transforms.eval(1, 1, Normalization.identity(1)).apply(twoByFour(), null);
        assertValues(new float[] {0.4642857f}, out, 1e-6f);
    }

    private static Image pattern(int h, int w, int mul, int mod, float div) {
        float[] d = new float[h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = ((i * mul) % mod) / div;
        }
        return new Image(1, h, w, d);
    }

    @Test
    void resizeMatchesPillowDownscale() {
        Image out = Transforms.resize(pattern(6, 9, 37, 101, 100f), 4, 6);
        assertValues(new float[] {
            0.25125f, 0.4476389f, 0.3648611f, 0.5476389f, 0.4648611f, 0.6770312f,
            0.63f, 0.4803704f, 0.4911111f, 0.3808642f, 0.5287654f, 0.4508333f,
            0.5583333f, 0.6144444f, 0.6251852f, 0.4276543f, 0.3760494f, 0.5475f,
            0.51625f, 0.5723611f, 0.6018056f, 0.4619444f, 0.4493055f, 0.3107812f}, out, 2e-6f);
    }

    @Test
    void resizeMatchesPillowUpscale() {
        Image out = Transforms.resize(pattern(5, 7, 53, 97, 96f), 13, 17);
        float[] row0 = {0.0f, 0.06495098f, 0.2922794f, 0.5196078f, 0.3903186f, 0.2015931f, 0.1911765f, 0.4185049f,
            0.6458333f, 0.4571078f, 0.2683823f, 0.3174019f, 0.5447304f, 0.7126225f, 0.5238971f, 0.3351716f, 0.28125f};
        float[] row6 = {0.65625f, 0.6023284f, 0.4136029f, 0.2248775f, 0.3927696f, 0.6200981f, 0.6691176f, 0.4803922f,
            0.2916667f, 0.5189951f, 0.7463235f, 0.7359068f, 0.5471814f, 0.4178922f, 0.6452206f, 0.872549f, 0.9375f};
        for (int x = 0; x < 17; x++) {
            assertEquals(row0[x], out.get(0, 0, x), 2e-6f, "row 0 col " + x);
            assertEquals(row6[x], out.get(0, 6, x), 2e-6f, "row 6 col " + x);
        }
    }

    @Test
    void resizeShorterSideKeepsAspectRatio() {
        Image wide = Image.zeros(3, 375, 500);
        Image r = Transforms.resizeShorterSide(wide, 256);
        assertEquals(256, r.height());
        assertEquals(341, r.width(), "floor(500 * 256 / 375) = 341, as torchvision");
        Image tall = Transforms.resizeShorterSide(Image.zeros(1, 500, 375), 256);
        assertEquals(341, tall.height());
        assertEquals(256, tall.width());
        Image same = Image.zeros(1, 28, 28);
        assertSame(same, Transforms.resizeShorterSide(same, 28), "identity at native size");
    }

    @Test
    void resizingAConstantImageKeepsTheConstant() {
        Image c = new Image(3, 37, 53, filled(3 * 37 * 53, 0.7f));
        for (int[] size : new int[][] {{5, 9}, {100, 120}, {37, 20}, {1, 1}}) {
            for (float v : Transforms.resize(c, size[0], size[1]).data()) {
                assertEquals(0.7f, v, 1e-6f);
            }
        }
    }

    private static float[] filled(int n, float v) {
        float[] d = new float[n];
        java.util.Arrays.fill(d, v);
        return d;
    }

    @Test
    void centerCropOffsets() {
        Image im = pattern(5, 6, 1, 1000, 1f); // value = index
        Image c = Transforms.centerCrop(im, 2, 3);
        // top = round(1.5) = 2, left = round(1.5) = 2 (half to even)
        assertArrayEquals(new float[] {14, 15, 16, 20, 21, 22}, c.data());
        Image padded = Transforms.centerCrop(Image.zeros(1, 2, 2), 4, 4);
        assertEquals(4, padded.height());
    }

    @Test
    void padAndCropFillsWithZeros() {
        Image ones = new Image(1, 8, 8, filled(64, 1f));
        // Draws 0 and 8: the window starts 4 above and 4 to the right of the image's corner.
        Image out = Transforms.padAndRandomCrop(ones, 4, new FixedInts(0, 8));
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                boolean inside = y >= 4 && x < 4;
                assertEquals(inside ? 1f : 0f, out.get(0, y, x), "(" + y + "," + x + ")");
            }
        }
        // Draws 4 and 4: no shift.
        assertEquals(ones, Transforms.padAndRandomCrop(ones, 4, new FixedInts(4, 4)));
    }

    /** A random source whose nextInt(bound) returns fixed values. */
    private static final class FixedInts implements java.util.random.RandomGenerator {
        private final int[] values;
        private int next;

        FixedInts(int... values) {
            this.values = values;
        }

        @Override
        public int nextInt(int bound) {
            return values[next++];
        }

        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void horizontalFlip() {
        Image im = new Image(2, 1, 3, new float[] {1, 2, 3, 4, 5, 6});
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, Transforms.horizontalFlip(im).data());
    }

    @Test
    void smallTrainTransformIsAShiftAndMaybeAFlip() {
        // Every output of the small-image training transform is the input shifted by at most 4
        // pixels in each direction, zero filled, possibly mirrored.
        Image in = pattern(32, 32, 7, 251, 250f);
        Transform t = Transforms.trainGeometry(32, 32);
        Set<String> seen = new HashSet<>();
        for (int seed = 0; seed < 200; seed++) {
            Image out = t.apply(in, new SplittableRandom(seed));
            assertEquals(32, out.height());
            String match = null;
            for (int flip = 0; flip < 2 && match == null; flip++) {
                Image base = flip == 1 ? Transforms.horizontalFlip(out) : out;
                for (int dy = -4; dy <= 4 && match == null; dy++) {
                    for (int dx = -4; dx <= 4 && match == null; dx++) {
                        if (base.equals(Transforms.crop(in, dy, flip == 1 ? -dx : dx, 32, 32))) {
                            match = flip + "," + dy + "," + dx;
                        }
                    }
                }
            }
            assertTrue(match != null, "seed " + seed + " is not a shifted / flipped copy");
            seen.add(match);
        }
        assertTrue(seen.size() > 60, "many different shifts and flips occur: " + seen.size());
    }

    @Test
    void trainTransformIsReproducible() {
        Image in = pattern(40, 60, 13, 255, 254f).withChannels(3);
        for (Transform t : new Transform[] {
                Transforms.train(32, 32, Normalization.identity(3)),
                Transforms.train(100, 96, Normalization.IMAGENET)}) {
            Image a = t.apply(in, new SplittableRandom(1234));
            Image b = t.apply(in, new SplittableRandom(1234));
            Image c = t.apply(in, new SplittableRandom(1235));
            assertEquals(a, b, "same seed, same result");
            assertNotEquals(a, c, "another seed, another result");
        }
        Image big = Transforms.train(100, 96, Normalization.identity(3)).apply(in, new SplittableRandom(9));
        assertEquals(96, big.height());
        assertEquals(96, big.width());
    }

    @Test
    void randomResizedCropStaysInBoundsAndCoversTheRange() {
        SplittableRandom random = new SplittableRandom(7);
        int h = 300, w = 451;
        double minArea = 1, maxArea = 0;
        for (int i = 0; i < 2000; i++) {
            int[] box = Transforms.randomResizedCropBox(h, w, 0.08, 1.0, 3.0 / 4, 4.0 / 3, random);
            int top = box[0], left = box[1], ch = box[2], cw = box[3];
            assertTrue(top >= 0 && left >= 0 && ch >= 1 && cw >= 1 && top + ch <= h && left + cw <= w,
                    "box inside the image: " + java.util.Arrays.toString(box));
            double area = (double) ch * cw / (h * w);
            minArea = Math.min(minArea, area);
            maxArea = Math.max(maxArea, area);
            double ratio = (double) cw / ch;
            if (area < 0.5) { // not the clamped fallback
                assertTrue(ratio > 0.7 && ratio < 1.4, "aspect ratio near [3/4, 4/3]: " + ratio);
            }
        }
        assertTrue(minArea < 0.1, "small crops happen: " + minArea);
        assertTrue(maxArea > 0.7, "large crops happen: " + maxArea);
        // A very wide image never fits most tries: the fallback is the centred crop of ratio 4/3.
        int[] fallback = Transforms.randomResizedCropBox(10, 1000, 0.9, 1.0, 3.0 / 4, 4.0 / 3, random);
        assertArrayEquals(new int[] {0, (1000 - 13) / 2, 10, 13}, fallback);
    }

    @Test
    void randomErasingZeroesOneRectangleOfTheDocumentedSize() {
        int c = 3, h = 28, w = 28;
        float[] v = new float[c * h * w];
        java.util.Arrays.fill(v, 1f);
        Image img = new Image(c, h, w, v);
        SplittableRandom random = new SplittableRandom(7);
        int erased = 0;
        int draws = 2000;
        for (int i = 0; i < draws; i++) {
            Image out = Transforms.randomErasing(img, 0.5, random);
            int zeros = 0, top = h, left = w, bottom = -1, right = -1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float first = out.get(0, y, x);
                    for (int ch = 1; ch < c; ch++) {
                        assertEquals(first, out.get(ch, y, x), "every channel is erased alike");
                    }
                    if (first == 0f) {
                        zeros++;
                        top = Math.min(top, y);
                        bottom = Math.max(bottom, y);
                        left = Math.min(left, x);
                        right = Math.max(right, x);
                    } else {
                        assertEquals(1f, first);
                    }
                }
            }
            if (zeros == 0) {
                assertSame(img, out, "an image left alone is returned as it is");
                continue;
            }
            erased++;
            // One solid rectangle whose area is within the scale range (rounding of the sides allowed).
            assertEquals((bottom - top + 1) * (right - left + 1), zeros, "a solid rectangle");
            double fraction = zeros / (double) (h * w);
            assertTrue(fraction >= 0.01 && fraction <= 0.40, "area fraction " + fraction);
        }
        assertEquals(1.0, v[0], "the input is not modified");
        // p = 0.5: a binomial(2000, 0.5) count is within 4.5 standard deviations (~100) of 1000.
        assertTrue(Math.abs(erased - draws / 2) < 100, "erased " + erased + " of " + draws);
        assertSame(img, Transforms.randomErasing(img, 0.0, new SplittableRandom(1)));
    }

    @Test
    void trainWithoutErasingIsGeometryThenNormalization() {
        Image img = new Image(1, 28, 28, new float[28 * 28]);
        for (int i = 0; i < img.data().length; i++) {
            img.data()[i] = (i % 97) / 97f;
        }
        Normalization n = new Normalization(new float[] {0.3f}, new float[] {0.7f});
        for (long seed = 0; seed < 20; seed++) {
            // Erasing off draws nothing from the random source: geometry then normalization, exactly.
            Image want = n.apply(Transforms.trainGeometry(28, 28).apply(img, new SplittableRandom(seed)));
            Image got = Transforms.train(28, 28, n, 0.0).apply(img, new SplittableRandom(seed));
            assertArrayEquals(want.data(), got.data());
        }
    }
}
