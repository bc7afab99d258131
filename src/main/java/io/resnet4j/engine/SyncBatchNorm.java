package io.resnet4j.engine;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Batch normalisation whose training-mode statistics are those of the global batch, over every process of a
 * data-parallel run ({@code torch.nn.SyncBatchNorm}): N processes with B/N images each compute what one process
 * with all B would. The mean is the all-reduced sum over the all-reduced count; the (biased) variance the
 * all-reduced sum of squared deviations from that mean, divided likewise (two passes, as {@code batch_norm}
 * computes it); the running statistics get the unbiased global variance.
 *
 * <p>Backward is exact too: a sum over processes is linear, so its gradient is the sum of the processes' gradients.
 * Each all-reduced statistic is {@code local - local.detach() + allreduce(local)} (the global value, with the
 * local one's gradient path), and a hook on it all-reduces the gradient that arrives there before it flows on into
 * this process's activations. The hooks run during backward in the autograd engine's order, the same in every
 * process, so the collectives match up.
 */
public final class SyncBatchNorm {
    /** The one hook object (JavaCPP callbacks are a scarce native resource): it all-reduces into {@link #current}. */
    private static final GradientSum HOOK;
    private static volatile ProcessGroup current;

    static {
        Engine.init();
        HOOK = new GradientSum();
    }

    private final ProcessGroup group;

    private SyncBatchNorm(ProcessGroup group) {
        this.group = group;
    }

    /** Synchronises the statistics of {@code norms} over {@code group} from now on. */
    public static void install(ProcessGroup group, Iterable<Layers.BatchNorm2d> norms) {
        current = group;
        SyncBatchNorm s = new SyncBatchNorm(group);
        for (Layers.BatchNorm2d b : norms) {
            b.synchronize(s);
        }
    }

    Tensor forward(Layers.BatchNorm2d bn, Tensor x) {
        int c = bn.channels;
        long[] dims = {0, 2, 3};
        Tensor xf = x.scalar_type() == torch.ScalarType.Float ? x : x.to(torch.ScalarType.Float);
        double localCount = (double) x.size(0) * x.size(2) * x.size(3);
        Tensor sum = xf.sum(dims, false, new ScalarTypeOptional());
        Tensor packed = torch.cat(new TensorVector(sum, torch.full(new long[] {1}, new Scalar(localCount))), 0);
        Tensor global = allSum(packed);
        Tensor count = global.narrow(0, c, 1);
        Tensor mean = global.narrow(0, 0, c).div(count);
        Tensor centered = xf.sub(mean.view(1, c, 1, 1));
        Tensor var = allSum(centered.mul(centered).sum(dims, false, new ScalarTypeOptional())).div(count);
        Tensor y = centered.mul(var.add(new Scalar(bn.eps())).rsqrt().view(1, c, 1, 1))
                .mul(bn.weight().view(1, c, 1, 1)).add(bn.bias().view(1, c, 1, 1));
        double n = Tensors.toFloats(count)[0];
        double m = bn.momentum();
        try (NoGrad ng = NoGrad.begin()) {
            bn.runningMean().mul_(new Scalar(1 - m)).add_(mean.detach(), new Scalar(m));
            bn.runningVar().mul_(new Scalar(1 - m)).add_(var.detach(), new Scalar(m * n / Math.max(1, n - 1)));
        }
        return y;
    }

    /** {@code t} summed over the processes, with the gradient summed likewise on the way back. */
    private Tensor allSum(Tensor t) {
        Tensor reduced = t.detach().clone();
        group.allreduceSum(reduced);
        Tensor out = t.sub(t.detach()).add(reduced);
        if (out.requires_grad()) {
            out.register_hook(HOOK);
        }
        return out;
    }

    /** The gradient hook: the incoming gradient summed over the processes. */
    private static final class GradientSum extends TensorTensorHook {
        GradientSum() {
            super();
        }

        @Override
        public TensorBase call(TensorBase grad) {
            Tensor g = new Tensor(grad).clone();
            current.allreduceSum(g);
            return g;
        }
    }
}
