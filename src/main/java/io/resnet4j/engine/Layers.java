package io.resnet4j.engine;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * The three parametrised layers a ResNet needs, as libtorch modules whose tensors carry PyTorch's names
 * ({@code weight}, {@code bias}, {@code running_mean}, {@code running_var}), so a model's state dict reads like
 * torchvision's. Each runs one functional libtorch op: no hidden copies, and autograd and autocast apply.
 */
public final class Layers {
    private Layers() {}

    /**
     * 2-D convolution, with or without bias. Weight {@code [out, in, k, k]} (OIHW), bias {@code [out]}; input/output
     * NCHW logically.
     */
    public static final class Conv2d extends Module {
        private final Tensor weight;
        private final Tensor bias;
        private final long[] stride;
        private final long[] padding;
        private final long[] dilation = {1, 1};
        public final int in;
        public final int out;
        public final int kernel;

        /**
         * @param padding symmetric zero padding on each side of H and W. Every ResNet kernel is odd (1, 3, 7), and
         *     for odd k both PyTorch's {@code padding=(k-1)/2} and TensorFlow's "fixed padding" (pad (k-1)//2
         *     before and the rest after, then VALID) are this same symmetric pad, so one op serves v1 and v2.
         */
        public Conv2d(int in, int out, int kernel, int stride, int padding) {
            this(in, out, kernel, stride, padding, false);
        }

        /** The same, with a bias {@code [out]} (zeros) when {@code withBias}. */
        public Conv2d(int in, int out, int kernel, int stride, int padding, boolean withBias) {
            super("Conv2d");
            Engine.init();
            this.in = in;
            this.out = out;
            this.kernel = kernel;
            this.stride = new long[] {stride, stride};
            this.padding = new long[] {padding, padding};
            this.weight = owned(register_parameter("weight", torch.empty(out, in, kernel, kernel)));
            this.bias = withBias ? owned(register_parameter("bias", torch.zeros(out))) : null;
        }

        public Tensor forward(Tensor x) {
            return torch.conv2d(x, weight, bias == null ? new TensorOptional() : new TensorOptional(bias), stride,
                    padding, dilation, 1);
        }

        public Tensor weight() {
            return weight;
        }

        /** The bias, or null for a bias-free convolution. */
        public Tensor bias() {
            return bias;
        }

        /** Keras' defaults for {@code Conv2D}: Glorot uniform kernel, zero bias. */
        public void initGlorotUniform() {
            double limit = Math.sqrt(6.0 / ((double) (in + out) * kernel * kernel));
            try (NoGrad ignored = NoGrad.begin()) {
                weight.uniform_(-limit, limit, new GeneratorOptional());
                if (bias != null) {
                    bias.zero_();
                }
            }
        }

        public int stride() {
            return (int) stride[0];
        }

        /** He normal with fan_out, as torchvision initialises ResNet convolutions. */
        public void initHeNormalFanOut() {
            double std = Math.sqrt(2.0 / ((double) out * kernel * kernel));
            try (NoGrad ignored = NoGrad.begin()) {
                weight.normal_(0.0, std, new GeneratorOptional());
            }
        }

        /**
         * TensorFlow's {@code variance_scaling_initializer()} defaults (scale 1, fan_in, truncated normal), as the
         * TF official ResNet initialises its convolutions: stddev sqrt(1/fan_in)/0.8796 truncated at 2 sigma.
         */
        public void initVarianceScalingFanIn() {
            double std = Math.sqrt(1.0 / ((double) in * kernel * kernel)) / 0.87962566103423978;
            try (NoGrad ignored = NoGrad.begin()) {
                Tensors.truncatedNormal(weight, std);
            }
        }
    }

    /**
     * Batch normalisation over (N, H, W) per channel, PyTorch semantics: training normalises with the batch mean
     * and biased variance and updates {@code running = (1 - m) * running + m * batch} with the unbiased variance;
     * evaluation uses the running statistics. eps 1e-5 unless given (Keras' ResNets: 1.001e-5).
     */
    public static final class BatchNorm2d extends Module {
        public static final double EPS = 1e-5;
        private final double eps;
        private final Tensor weight;
        private final Tensor bias;
        private final Tensor runningMean;
        private final Tensor runningVar;
        private double momentum;
        private SyncBatchNorm sync;
        public final int channels;

        public BatchNorm2d(int channels, double momentum) {
            this(channels, momentum, EPS);
        }

        public BatchNorm2d(int channels, double momentum, double eps) {
            super("BatchNorm2d");
            Engine.init();
            this.eps = eps;
            this.channels = channels;
            this.momentum = momentum;
            this.weight = owned(register_parameter("weight", torch.ones(channels)));
            this.bias = owned(register_parameter("bias", torch.zeros(channels)));
            this.runningMean = owned(register_buffer("running_mean", torch.zeros(channels)));
            this.runningVar = owned(register_buffer("running_var", torch.ones(channels)));
        }

        public Tensor forward(Tensor x) {
            if (sync != null && is_training()) {
                return sync.forward(this, x);
            }
            return torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias),
                    new TensorOptional(runningMean), new TensorOptional(runningVar), is_training(), momentum, eps,
                    false);
        }

        public double eps() {
            return eps;
        }

        public void setMomentum(double momentum) {
            this.momentum = momentum;
        }

        public double momentum() {
            return momentum;
        }

        /**
         * Training-mode statistics over every process of a data-parallel run ({@link SyncBatchNorm}), or this
         * process's batch alone ({@code null}, the default).
         */
        public void synchronize(SyncBatchNorm s) {
            this.sync = s;
        }

        public Tensor weight() {
            return weight;
        }

        public Tensor bias() {
            return bias;
        }

        public Tensor runningMean() {
            return runningMean;
        }

        public Tensor runningVar() {
            return runningVar;
        }
    }

    /** Fully connected layer {@code y = x W^T + b}, weight {@code [out, in]}, bias {@code [out]}. */
    public static final class Linear extends Module {
        private final Tensor weight;
        private final Tensor bias;
        public final int in;
        public final int out;

        public Linear(int in, int out) {
            super("Linear");
            Engine.init();
            this.in = in;
            this.out = out;
            this.weight = owned(register_parameter("weight", torch.empty(out, in)));
            this.bias = owned(register_parameter("bias", torch.empty(out)));
        }

        public Tensor forward(Tensor x) {
            return torch.linear(x, weight, new TensorOptional(bias));
        }

        /** PyTorch's default for nn.Linear (what torchvision keeps): U(-1/sqrt(in), 1/sqrt(in)) for both. */
        public void initPyTorchDefault() {
            double bound = 1.0 / Math.sqrt(in);
            try (NoGrad ignored = NoGrad.begin()) {
                weight.uniform_(-bound, bound, new GeneratorOptional());
                bias.uniform_(-bound, bound, new GeneratorOptional());
            }
        }

        /** TensorFlow's dense-layer defaults, as TF official uses: Glorot uniform weight, zero bias. */
        public void initGlorotUniformZeroBias() {
            double limit = Math.sqrt(6.0 / (in + out));
            try (NoGrad ignored = NoGrad.begin()) {
                weight.uniform_(-limit, limit, new GeneratorOptional());
                bias.zero_();
            }
        }
    }

    /**
     * An owning handle to a tensor a module just registered. {@code register_parameter} returns a reference into
     * the module's dictionary, which moves when the next tensor is registered; holding that reference would
     * read freed memory later. The copy shares the same storage and autograd identity.
     */
    static Tensor owned(Tensor registered) {
        return new Tensor(registered);
    }

    /** ReLU in place: safe after batch norm and after an addition, whose backward passes do not need their output. */
    public static Tensor reluInPlace(Tensor x) {
        return torch.relu_(x);
    }

    public static Tensor add(Tensor a, Tensor b) {
        return torch.add(a, b);
    }

    /** Mean over H and W of an NCHW tensor: {@code [N, C, H, W] -> [N, C]}. */
    public static Tensor globalAveragePool(Tensor x) {
        return x.mean(new long[] {2, 3}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
    }

    /** Max pool 3x3 stride 2 with PyTorch's symmetric padding 1 (torchvision's stem). */
    public static Tensor maxPool3x3Symmetric(Tensor x) {
        return torch.max_pool2d(x, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, false);
    }

    /**
     * Max pool 3x3 stride 2 with TensorFlow SAME padding (the v2 stem): per spatial size n, out = ceil(n/2) and
     * the padding is (1, 1) for odd n but (0, 1) for even n, extra cell at the bottom/right; padded cells never win.
     * Expressed without a padding copy: pad 1 on odd sides, 0 on even sides, and ceil_mode, whose extra window
     * reaches one cell past the end and ignores it. Both give exactly TF's windows (see the test).
     */
    public static Tensor maxPool3x3TfSame(Tensor x) {
        long ph = x.size(2) % 2;
        long pw = x.size(3) % 2;
        return torch.max_pool2d(x, new long[] {3, 3}, new long[] {2, 2}, new long[] {ph, pw}, new long[] {1, 1}, true);
    }

    /**
     * Max pool 3x3 stride 2 over the input zero-padded by 1 on every side (Keras' {@code ZeroPadding2D(1)} and a
     * VALID pool, its v2 stem): out = ceil(n/2) as with the other two, but a padded zero wins over negative values.
     */
    public static Tensor maxPool3x3ZeroPadded(Tensor x) {
        // The padded copy is freed at once, not with the enclosing scope (autograd keeps its own reference).
        try (Tensor padded = torch.constant_pad_nd(x, new long[] {1, 1, 1, 1},
                new org.bytedeco.pytorch.Scalar(0.0))) {
            return torch.max_pool2d(padded, new long[] {3, 3}, new long[] {2, 2}, new long[] {0, 0},
                    new long[] {1, 1}, false);
        }
    }

    /**
     * Every {@code stride}-th pixel of {@code [N, C, H, W]}:
     * {@code [N, C, (H - 1) / stride + 1, (W - 1) / stride + 1]},
     * a 1x1 max pool with that stride (the subsampling shortcut of Keras' ResNetV2).
     */
    public static Tensor subsample(Tensor x, int stride) {
        return torch.max_pool2d(x, new long[] {1, 1}, new long[] {stride, stride}, new long[] {0, 0},
                new long[] {1, 1}, false);
    }

    /** Mean softmax cross-entropy of logits {@code [N, K]} against class indices {@code [N]}, with label smoothing. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, double labelSmoothing) {
        return torch.cross_entropy_loss(logits, labels, new TensorOptional(), 1 /* mean */, -100, labelSmoothing);
    }
}
