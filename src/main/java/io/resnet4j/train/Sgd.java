package io.resnet4j.train;

import io.resnet4j.engine.NoGrad;
import io.resnet4j.engine.Scope;
import io.resnet4j.engine.Tensors;
import io.resnet4j.model.ResNet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Stochastic gradient descent with momentum, exactly {@code torch.optim.SGD}'s update, written out so that its
 * state (one momentum buffer per parameter) is ours to checkpoint and restore bit-exactly:
 * <pre>
 *   g = grad + weightDecay * p        (weight decay only on decayed parameters)
 *   buf = g on the first step, else momentum * buf + g
 *   g = nesterov ? g + momentum * buf : buf
 *   p = p - lr * g
 * </pre>
 * With {@code decayNormsAndBiases == false}, batch-norm weights and biases and the fc bias get no weight decay
 * (what TensorFlow official's ResNet does, which only decays conv and dense kernels).
 */
public final class Sgd {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final double momentum;
    private final boolean nesterov;
    private final double weightDecay;
    private final boolean decayNormsAndBiases;

    public Sgd(ResNet model, double momentum, boolean nesterov, double weightDecay, boolean decayNormsAndBiases) {
        this.params = model.namedParameters();
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.decayNormsAndBiases = decayNormsAndBiases;
    }

    /** Whether a parameter gets weight decay: conv and fc kernels always; 1-D tensors only when asked. */
    boolean decays(String name, Tensor p) {
        return weightDecay > 0 && (decayNormsAndBiases || p.dim() > 1);
    }

    /** One update with learning rate {@code lr}; call inside a Scope after backward(). */
    public void step(double lr) {
        try (NoGrad ignored = NoGrad.begin()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null || grad.isNull() || !grad.defined()) {
                    continue;
                }
                Tensor g = decays(e.getKey(), p) ? torch.add(grad, p, new Scalar(weightDecay)) : grad;
                if (momentum != 0) {
                    Tensor buf = buffers.get(e.getKey());
                    if (buf == null) {
                        buf = Scope.outlive(new Tensor(g.detach().clone()));
                        buffers.put(e.getKey(), buf);
                    } else {
                        buf.mul_(new Scalar(momentum)).add_(g);
                    }
                    g = nesterov ? torch.add(g, buf, new Scalar(momentum)) : buf;
                }
                p.add_(g, new Scalar(-lr));
            }
        }
    }

    /** Sets every parameter's gradient to none (cheaper than zeroing; the next backward allocates). */
    public void zeroGrad(ResNet model) {
        model.module().zero_grad(true);
    }

    /** Momentum buffers by parameter name, as float arrays (for checkpoints). */
    public Map<String, float[]> state() {
        Map<String, float[]> out = new LinkedHashMap<>();
        buffers.forEach((k, v) -> out.put(k, Tensors.toFloats(v)));
        return out;
    }

    /** Whether there are momentum buffers (after a step, or restored from a checkpoint). */
    boolean hasState() {
        return !buffers.isEmpty();
    }

    /**
     * The momentum buffers in parameter order, made (zero) where there are none yet: the tensors a data-parallel
     * run overwrites with the primary process's.
     */
    java.util.List<Tensor> stateTensors() {
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor buf = buffers.get(e.getKey());
            if (buf == null) {
                buf = new Tensor(torch.zeros_like(e.getValue()));
                try (NoGrad ignored = NoGrad.begin()) {
                    buf.requires_grad_(false);
                }
                Scope.outlive(buf);
                buffers.put(e.getKey(), buf);
            }
            out.add(buf);
        }
        return out;
    }

    /** Restores momentum buffers saved by {@link #state()}; their layout follows the parameter's. */
    public void restore(Map<String, float[]> state) {
        buffers.clear();
        for (Map.Entry<String, float[]> e : state.entrySet()) {
            Tensor p = params.get(e.getKey());
            if (p == null) {
                throw new io.resnet4j.ResNet4jException("checkpoint has momentum for unknown parameter " + e.getKey());
            }
            Tensor src = Tensors.fromFloats(e.getValue(), Tensors.shape(p));
            Tensor buf = new Tensor(torch.empty_like(p));
            try (NoGrad ignored = NoGrad.begin()) {
                buf.copy_(src);
            }
            Scope.outlive(buf);
            buffers.put(e.getKey(), buf);
        }
    }
}
