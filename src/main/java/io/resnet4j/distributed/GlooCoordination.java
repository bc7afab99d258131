package io.resnet4j.distributed;

import io.resnet4j.engine.GradientReducer;
import io.resnet4j.engine.ProcessGroup;
import io.resnet4j.engine.SyncBatchNorm;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.Coordination;
import io.resnet4j.train.GradientHook;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/** {@link Coordination} on a c10d {@link ProcessGroup} (Gloo) with libtorch's {@link GradientReducer}. */
final class GlooCoordination implements Coordination {
    private final ProcessGroup group;
    private final boolean syncBatchNorm;
    /** Strong references for the run: the Reducer's autograd hooks point into it. */
    private GradientReducer reducer;
    private List<Tensor> buffers;

    GlooCoordination(ProcessGroup group, boolean syncBatchNorm) {
        this.group = group;
        this.syncBatchNorm = syncBatchNorm;
    }

    @Override
    public int rank() {
        return group.rank();
    }

    @Override
    public int worldSize() {
        return group.worldSize();
    }

    @Override
    public GradientHook attach(ResNet model) {
        Map<String, Tensor> params = model.namedParameters();
        reducer = new GradientReducer(group, new ArrayList<>(params.values()), new ArrayList<>(params.keySet()),
                GradientReducer.BUCKET_BYTES, model.dataFormat());
        buffers = new ArrayList<>(model.namedBuffers().values());
        if (syncBatchNorm) {
            SyncBatchNorm.install(group, model.batchNorms());
        }
        return new GradientHook() {
            @Override
            public void beforeForward(ResNet m, long step) {
                syncBuffers();
            }

            @Override
            public void beforeBackward(ResNet m, long step) {
                reducer.beforeBackward();
            }

            @Override
            public void onGradients(ResNet m, long step) {
                // The Reducer has averaged them during backward.
            }
        };
    }

    @Override
    public void syncBuffers() {
        if (!syncBatchNorm && buffers != null) {
            // Everyone runs with the primary's statistics (their shapes were checked once, when the run started
            // from the primary's state; with sync-bn they are equal already).
            group.broadcastCoalesced(buffers);
        }
    }

    @Override
    public void broadcastFromPrimary(List<Tensor> tensors) {
        group.broadcastFromRank0(tensors);
    }

    @Override
    public double[] broadcast(double[] values) {
        return group.broadcast(values);
    }

    @Override
    public double[] sum(double[] values) {
        return group.sum(values);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("world_size", group.worldSize());
        m.put("sync_bn", syncBatchNorm);
        return m;
    }
}
