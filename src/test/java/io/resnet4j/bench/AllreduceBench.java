package io.resnet4j.bench;

import io.resnet4j.engine.ProcessGroup;
import io.resnet4j.engine.Scope;
import java.time.Duration;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * All-reduce (sum) of float32 buffers of gradient sizes over a Gloo process group, one rank per JVM: {@code
 * AllreduceBench RANK WORLD PORT GLOO_THREADS REPS N1 N2 ...} (N in floats). Rank 0 prints, per size, the median
 * time, the algorithm bandwidth (bytes / time) and the bus bandwidth (2 (W-1)/W bytes / time, what a ring moves
 * per process).
 */
public final class AllreduceBench {
    private AllreduceBench() {}

    public static void main(String[] a) {
        int rank = Integer.parseInt(a[0]);
        int world = Integer.parseInt(a[1]);
        int port = Integer.parseInt(a[2]);
        int threads = Integer.parseInt(a[3]);
        int reps = Integer.parseInt(a[4]);
        ProcessGroup g = ProcessGroup.join(new ProcessGroup.Settings("127.0.0.1", port, world, rank, null,
                Duration.ofSeconds(120), threads));
        for (int i = 5; i < a.length; i++) {
            long n = Long.parseLong(a[i]);
            double[] t = new double[reps];
            try (Scope s = Scope.open()) {
                Tensor x = torch.ones(n);
                g.allreduceSum(x); // warm-up: buffers and pairs
                for (int r = 0; r < reps; r++) {
                    g.barrier();
                    long t0 = System.nanoTime();
                    g.allreduceSum(x);
                    t[r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            java.util.Arrays.sort(t);
            double med = t[reps / 2];
            double bytes = 4.0 * n;
            if (rank == 0) {
                System.out.printf("floats %d (%.1f MB): median %.1f ms (min %.1f), algbw %.2f GB/s, busbw %.2f GB/s%n",
                        n, bytes / 1e6, med * 1e3, t[0] * 1e3, bytes / med / 1e9,
                        bytes * 2 * (world - 1) / world / med / 1e9);
            }
        }
        g.close();
        System.exit(0);
    }
}
