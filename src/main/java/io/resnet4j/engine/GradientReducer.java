package io.resnet4j.engine;

import java.util.List;
import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.T_SizeTVectorVectorSizeTVector_T;
import org.bytedeco.pytorch.TensorVector;

/**
 * Gradient averaging over a {@link ProcessGroup} with libtorch's own {@code c10d::Reducer}, the engine inside
 * {@code DistributedDataParallel}, set up as DDP sets it up: the parameters in buckets of about 25 MB (the first
 * one 1 MB) in reverse order ({@code compute_bucket_assignment_by_size}), the Reducer's autograd hooks launching a
 * bucket's all-reduce as soon as backward has produced its last gradient, so communication overlaps the rest of
 * backward; at the end of backward the averaged gradients are in every parameter's {@code grad()}.
 *
 * <p>Per step: {@link #beforeBackward()} after the forward pass (DDP's {@code prepare_for_backward}); after the
 * first step the Reducer rebuilds its buckets in the order gradients arrived (DDP's {@code _rebuild_buckets}, a
 * collective). The Reducer, its process group and the parameters stay reachable from this object for the run.
 */
public final class GradientReducer {
    /** DDP's defaults: {@code bucket_cap_mb=25}, {@code dist._DEFAULT_FIRST_BUCKET_BYTES} 1 MiB. */
    public static final long BUCKET_BYTES = 25L << 20;
    public static final long FIRST_BUCKET_BYTES = 1L << 20;

    private final ProcessGroup group;
    private final TensorVector params;
    private final Reducer reducer;
    private boolean first = true;

    /**
     * @param params the model's parameters, in forward order (every one gets a gradient every step)
     * @param names their names, for the Reducer's error messages
     * @param format the memory format the model's convolutions run in
     */
    public GradientReducer(ProcessGroup group, List<org.bytedeco.pytorch.Tensor> params, List<String> names,
            long bucketBytes, DataFormat format) {
        this.group = group;
        if (format == DataFormat.CHANNELS_LAST) {
            alignOneByOneKernels(params);
        }
        this.params = new TensorVector(params.toArray(new org.bytedeco.pytorch.Tensor[0]));
        boolean[] sparse = new boolean[params.size()];
        BoolVector expectSparse = new BoolVector(sparse);
        T_SizeTVectorVectorSizeTVector_T assignment = org.bytedeco.pytorch.global.torch
                .compute_bucket_assignment_by_size(this.params, new SizeTVector(new long[] {FIRST_BUCKET_BYTES,
                        bucketBytes}), expectSparse, new LongVector(new long[0]),
                        new org.bytedeco.pytorch.LoggerOptional());
        SizeTVectorVector forward = assignment.get0();
        SizeTVector limits = assignment.get1();
        int n = (int) forward.size();
        SizeTVector[] reversed = new SizeTVector[n];
        long[] reversedLimits = new long[n];
        for (int i = 0; i < n; i++) {
            SizeTVector b = forward.get(n - 1 - i);
            long[] idx = new long[(int) b.size()];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = b.get(j);
            }
            reversed[i] = new SizeTVector(idx);
            reversedLimits[i] = limits.get(n - 1 - i);
        }
        SizeTStringMap paramNames = new SizeTStringMap();
        for (int i = 0; i < names.size(); i++) {
            paramNames.put(i, names.get(i));
        }
        try {
            this.reducer = new Reducer(this.params, new SizeTVectorVector(reversed), group.group(),
                    new BoolVector(sparse), bucketBytes, false, false, paramNames, FIRST_BUCKET_BYTES, false, false,
                    new LongVector(reversedLimits));
        } catch (RuntimeException e) {
            throw group.lost(e);
        }
    }

    /**
     * Gives every channels_last 1×1 kernel the strides its gradient will have. For a {@code [O, I, 1, 1]} kernel the
     * contiguous strides {@code (I, 1, 1, 1)} and channels_last's {@code (I, 1, I, I)} describe the same memory, so
     * the model keeps the former; but the convolution's backward hands back the latter, and the Reducer, whose
     * bucket views copy the parameter's strides, then warns on every process that the gradient layout contract is
     * broken. The values do not change.
     */
    private static void alignOneByOneKernels(List<org.bytedeco.pytorch.Tensor> params) {
        try (NoGrad ng = NoGrad.begin()) {
            for (org.bytedeco.pytorch.Tensor p : params) {
                if (p.dim() != 4 || p.size(2) != 1 || p.size(3) != 1 || p.size(1) == 1) {
                    continue; // not a 1×1 kernel (or one whose two layouts agree)
                }
                long in = p.size(1);
                org.bytedeco.pytorch.Tensor aligned = org.bytedeco.pytorch.global.torch.empty_strided(
                        new long[] {p.size(0), in, 1, 1}, new long[] {in, 1, in, in}, p.options());
                aligned.copy_(p);
                p.set_data(aligned);
            }
        }
    }

    /** Arms the Reducer for this step's backward; call after the forward pass, before {@code backward()}. */
    public void beforeBackward() {
        try {
            if (!first) {
                reducer.rebuild_buckets(); // only after the first step; a no-op later
            }
            reducer.prepare_for_forward();
            reducer.prepare_for_backward(new TensorVector());
            first = false;
        } catch (RuntimeException e) {
            throw group.lost(e);
        }
    }
}
