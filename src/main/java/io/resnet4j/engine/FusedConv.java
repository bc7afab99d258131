package io.resnet4j.engine;

import io.resnet4j.ResNet4jException;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.IntType;
import org.bytedeco.pytorch.NumberType;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.OptionalType;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.SingletonTypePtr;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.Type;
import org.bytedeco.pytorch.global.torch;

/**
 * An inference convolution the way PyTorch's inductor compiles one for CPUs: a batch norm folded into its weights
 * and bias, the weights reordered once into oneDNN's blocked layout (for bf16 on AMX machines the tile layout), and
 * the ReLU and the residual addition that follow it fused into the same kernel as oneDNN post-ops — so the
 * activation is written once instead of three times. Runs libtorch's {@code mkldnn::_convolution_pointwise} kernels
 * through the dispatcher (they have no C++ function of their own).
 *
 * <p>Input {@code [N, C, H, W]} in channels_last layout and the dtype of the {@link Precision} the convolution was
 * made for; output {@code [N, O, H', W']}, channels_last, same dtype. Immutable and thread-safe once made.
 */
public final class FusedConv {
    /** What follows the convolution (and the addition, if any) inside the kernel. */
    public enum Activation { NONE, RELU }

    private final Tensor weight;
    private final Tensor bias;
    /**
     * Every argument but the input, boxed once (a stack copies what is pushed onto it): at batch 1 the per-call
     * boxing was a measurable share of a ResNet-50 pass (ONEDNN_VERBOSE: ~80 µs between kernels).
     */
    private final IValue weightArg, biasArg, padding, stride, dilation, groups;

    private FusedConv(Tensor weight, Tensor bias, long stride, long padding) {
        this.weight = weight;
        this.bias = bias;
        // Made inside create's scope, kept for the convolution's life.
        this.weightArg = Scope.outlive(new IValue(weight));
        this.biasArg = Scope.outlive(new IValue(bias));
        this.padding = Scope.outlive(Ops.ints(padding, padding));
        this.stride = Scope.outlive(Ops.ints(stride, stride));
        this.dilation = Scope.outlive(Ops.ints(1, 1));
        this.groups = Scope.outlive(new IValue(1L));
    }

    /**
     * A convolution with {@code weight [O, I, k, k]} and optional {@code bias [O]} (float32; copied), square stride
     * and zero padding, for inputs of about {@code inputShape} (the layout oneDNN picks for the weights depends on
     * it; other shapes still work, at the price of a weight reorder per call).
     */
    public static FusedConv create(Tensor weight, Tensor bias, int stride, int padding, Precision precision,
            long[] inputShape) {
        Engine.init();
        if (weight.dim() != 4) {
            throw new ResNet4jException("a convolution weight has 4 dimensions, got " + weight.dim());
        }
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            torch.ScalarType dtype = precision.dtype();
            // inductor's weight prepacking: the layout oneDNN's kernel for a channels_last input of this shape wants.
            IValueVector stack = new IValueVector();
            stack.push_back(new IValue(weight.detach().to(dtype).contiguous()));
            stack.push_back(Ops.ints(padding, padding));
            stack.push_back(Ops.ints(stride, stride));
            stack.push_back(Ops.ints(1, 1));
            stack.push_back(new IValue(1L));
            stack.push_back(Ops.ints(inputShape));
            Ops.REORDER.callBoxed(stack);
            Tensor packed = Scope.outlive(result(stack));
            Tensor b = Scope.outlive(bias == null ? torch.zeros(weight.size(0)).to(dtype) : bias.detach().to(dtype)
                    .clone());
            return new FusedConv(packed, b, stride, padding);
        }
    }

    /**
     * Folds an evaluation-mode batch norm ({@code gamma, beta, mean, var}, eps) that follows a bias-free
     * convolution into it: returns {@code [weight', bias']} with {@code weight' = weight · s} per output channel and
     * {@code bias' = beta − mean · s}, {@code s = gamma / sqrt(var + eps)}, in float32.
     */
    public static Tensor[] foldBatchNorm(Tensor weight, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
            double eps) {
        try (NoGrad ng = NoGrad.begin()) {
            Tensor s = gamma.to(torch.ScalarType.Float).div(var.to(torch.ScalarType.Float).add(new Scalar(eps)).sqrt());
            Tensor w = weight.to(torch.ScalarType.Float).mul(s.reshape(-1, 1, 1, 1));
            Tensor b = beta.to(torch.ScalarType.Float).sub(mean.to(torch.ScalarType.Float).mul(s));
            return new Tensor[] {w, b};
        }
    }

    /** {@code activation(conv(x) + bias)}. */
    public Tensor apply(Tensor x, Activation activation) {
        try (IValueVector stack = new IValueVector()) {
            pushTensor(stack, x);
            stack.push_back(weightArg);
            stack.push_back(biasArg);
            pushGeometry(stack);
            stack.push_back(activation == Activation.RELU ? Ops.RELU : Ops.NONE_STRING);
            stack.push_back(Ops.NO_SCALARS);
            stack.push_back(Ops.NONE); // algorithm
            Ops.UNARY.callBoxed(stack);
            return result(stack);
        }
    }

    /**
     * {@code activation(conv(x) + bias + residual)}, computed into {@code residual}'s memory (oneDNN's sum post-op
     * accumulates into the destination) and returned: {@code residual} has the output's shape, layout and dtype
     * and must not be needed afterwards.
     */
    public Tensor applyAddInPlace(Tensor x, Tensor residual, Activation activation) {
        try (IValueVector stack = new IValueVector()) {
            pushTensor(stack, residual);
            pushTensor(stack, x);
            stack.push_back(weightArg);
            stack.push_back(biasArg);
            pushGeometry(stack);
            stack.push_back(Ops.ADD);
            stack.push_back(Ops.NONE); // alpha
            stack.push_back(activation == Activation.RELU ? Ops.RELU : Ops.NONE);
            stack.push_back(Ops.NO_SCALARS);
            stack.push_back(Ops.NONE); // algorithm
            Ops.BINARY_INPLACE.callBoxed(stack);
            return result(stack);
        }
    }

    /**
     * The output of a boxed call: a new tensor handle. {@code toTensor()} returns a reference into the stack's own
     * storage, which dies with the stack (closed by the caller at once, so that the stack's reference does not keep
     * the activation alive until the enclosing scope ends).
     */
    private static Tensor result(IValueVector stack) {
        return new Tensor(stack.get(0).toTensor());
    }

    /** Pushes {@code t}; the boxed temporary (a second reference to the tensor) is freed now, not with the scope. */
    private static void pushTensor(IValueVector stack, Tensor t) {
        try (IValue boxed = new IValue(t)) {
            stack.push_back(boxed);
        }
    }

    private void pushGeometry(IValueVector stack) {
        stack.push_back(padding);
        stack.push_back(stride);
        stack.push_back(dilation);
        stack.push_back(groups);
    }

    /** Operator handles and the list types their boxed arguments need; resolved once. */
    private static final class Ops {
        static final OperatorHandle UNARY, BINARY_INPLACE, REORDER;
        static final Type.TypePtr INT, OPTIONAL_SCALAR;
        /** Constant arguments, shared by every call (pushing copies them). */
        static final IValue RELU, NONE_STRING, ADD, NONE, NO_SCALARS;

        static {
            Engine.init();
            try {
                // Static: they must outlive the scope that happens to be open at first use.
                UNARY = Scope.outlive(Dispatcher.singleton().findSchemaOrThrow("mkldnn::_convolution_pointwise", ""));
                BINARY_INPLACE = Scope.outlive(Dispatcher.singleton().findSchemaOrThrow(
                        "mkldnn::_convolution_pointwise_", "binary"));
                REORDER = Scope.outlive(Dispatcher.singleton().findSchemaOrThrow(
                        "mkldnn::_reorder_convolution_weight", ""));
            } catch (RuntimeException e) {
                throw new ResNet4jException("this libtorch has no oneDNN fused convolutions: " + e.getMessage());
            }
            INT = Scope.outlive(new Type.TypePtr(new SingletonTypePtr(IntType.getIntTypePtr())));
            // NumberType is the schema's "Scalar".
            OPTIONAL_SCALAR = Scope.outlive(OptionalType.get(new Type.TypePtr(new SingletonTypePtr(
                    NumberType.getNumberIntTypePtr()))));
            RELU = Scope.outlive(new IValue("relu"));
            NONE_STRING = Scope.outlive(new IValue("none"));
            ADD = Scope.outlive(new IValue("add"));
            NONE = Scope.outlive(new IValue());
            NO_SCALARS = Scope.outlive(noScalars());
        }

        /** A typed int[] IValue, as the schema's {@code int[]} arguments unbox. */
        static IValue ints(long... values) {
            GenericList list = new GenericList(INT);
            for (long v : values) {
                list.push_back(new IValue(v));
            }
            return new IValue(list);
        }

        /** An empty {@code Scalar?[]} (the post-op takes no scalars). */
        static IValue noScalars() {
            return new IValue(new GenericList(OPTIONAL_SCALAR));
        }
    }
}
