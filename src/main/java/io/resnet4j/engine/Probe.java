package io.resnet4j.engine;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The ceiling to compare a model's speed with: the GFLOP/s a large square matrix product reaches on this machine,
 * with these threads, at this precision (float32, or bfloat16 as autocast would run convolutions).
 */
public final class Probe {
    private Probe() {}

    /** Measures {@code n x n} matrix products for about {@code seconds} and returns GFLOP/s (2 n^3 per product). */
    public static double gemmGflops(Precision precision, int n, double seconds) {
        Engine.init();
        // float32 products run in OpenBLAS, which the engine keeps on one thread between calls (see Engine).
        Engine.setBlasThreads(Engine.threads());
        try (Scope s = Scope.open(); NoGrad ng = NoGrad.begin()) {
            torch.ScalarType type = precision == Precision.BF16 ? torch.ScalarType.BFloat16 : torch.ScalarType.Float;
            Tensor a = torch.randn(new long[] {n, n}, new TensorOptions(type));
            Tensor b = torch.randn(new long[] {n, n}, new TensorOptions(type));
            Tensor c = torch.mm(a, b); // warm-up: first call picks kernels and allocates
            c = torch.mm(a, b);
            long products = 0;
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline || products < 3) {
                try (Scope inner = Scope.open()) {
                    torch.mm(a, b);
                }
                products++;
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            return 2.0 * n * n * n * products / elapsed / 1e9;
        } finally {
            Engine.setBlasThreads(1);
        }
    }
}
