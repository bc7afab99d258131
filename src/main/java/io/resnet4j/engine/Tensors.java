package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Moving numbers between Java arrays and libtorch tensors, and small tensor facts. */
public final class Tensors {
    private Tensors() {}

    /** A new float32 tensor holding a copy of {@code values}, row-major in {@code shape}. */
    public static Tensor fromFloats(float[] values, long... shape) {
        Engine.init();
        checkCount(values.length, shape);
        if (values.length == 0) {
            return Tensor.create(values, shape);
        }
        // One copy straight into the tensor's memory (Tensor.create copies twice: into a pointer, then a clone).
        Tensor t = torch.empty(shape);
        FloatBuffer fb = t.createBuffer();
        fb.put(values);
        return t;
    }

    /** A new int64 tensor holding a copy of {@code values}. */
    public static Tensor fromLongs(long[] values, long... shape) {
        Engine.init();
        checkCount(values.length, shape);
        return Tensor.create(values, shape);
    }

    /** A new int64 tensor of class indices. */
    public static Tensor fromInts(int[] values) {
        long[] v = new long[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = values[i];
        }
        return fromLongs(v, v.length);
    }

    /** {@code x} ({@code [N, C, H, W]}) mirrored left-right: a new tensor, the last dimension reversed. */
    public static Tensor flipWidth(Tensor x) {
        return x.flip(new long[] {x.dim() - 1});
    }

    /** The element-wise mean of two tensors of the same shape, in float32. */
    public static Tensor mean(Tensor a, Tensor b) {
        return a.to(torch.ScalarType.Float).add(b.to(torch.ScalarType.Float)).mul(new Scalar(0.5));
    }

    /** The values of {@code t} as float32, row-major in its logical shape, whatever its dtype or memory format. */
    public static float[] toFloats(Tensor t) {
        try (Scope ignored = Scope.open()) {
            Tensor c = t.detach().to(torch.ScalarType.Float).contiguous();
            float[] out = new float[Math.toIntExact(c.numel())];
            if (out.length > 0) {
                FloatBuffer fb = c.createBuffer();
                fb.get(out);
            }
            return out;
        }
    }

    /** The values of an integer tensor as int64. */
    public static long[] toLongs(Tensor t) {
        try (Scope ignored = Scope.open()) {
            Tensor c = t.detach().to(torch.ScalarType.Long).contiguous();
            long[] out = new long[Math.toIntExact(c.numel())];
            if (out.length > 0) {
                LongBuffer lb = c.createBuffer();
                lb.get(out);
            }
            return out;
        }
    }

    /** The logical shape of {@code t}. */
    public static long[] shape(Tensor t) {
        int dims = (int) t.dim();
        long[] s = new long[dims];
        for (int i = 0; i < dims; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    /** {@code t} laid out in memory as {@code format} (a no-op when it already is). 4-D tensors only change. */
    public static Tensor inFormat(Tensor t, DataFormat format) {
        if (t.dim() != 4) {
            return t;
        }
        return t.contiguous(format.memoryFormat());
    }

    /** Whether the 4-D tensor {@code t} is laid out as {@code format}. */
    public static boolean isInFormat(Tensor t, DataFormat format) {
        return t.is_contiguous(format.memoryFormat());
    }

    /** In place: fills {@code t} from a normal distribution truncated at two standard deviations. */
    static void truncatedNormal(Tensor t, double std) {
        // Inverse-CDF sampling, as torch.nn.init.trunc_normal_ does: uniform in [cdf(-2), cdf(2)], then erfinv.
        double lo = cdf(-2.0);
        double hi = cdf(2.0);
        t.uniform_(2 * lo - 1, 2 * hi - 1, new org.bytedeco.pytorch.GeneratorOptional());
        t.erfinv_();
        t.mul_(new Scalar(std * Math.sqrt(2.0)));
        t.clamp_(new ScalarOptional(new Scalar(-2.0 * std)), new ScalarOptional(new Scalar(2.0 * std)));
    }

    private static double cdf(double x) {
        return (1.0 + erf(x / Math.sqrt(2.0))) / 2.0;
    }

    // Abramowitz-Stegun 7.1.26 is too coarse here; use a series that is exact to double precision for |x| <= 3.
    private static double erf(double x) {
        double sum = x;
        double term = x;
        double x2 = x * x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17) {
                break;
            }
        }
        return 2.0 / Math.sqrt(Math.PI) * sum;
    }

    private static void checkCount(long count, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new ResNet4jException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != count) {
            throw new ResNet4jException("shape " + Arrays.toString(shape) + " holds " + n + " values, got " + count);
        }
    }
}
