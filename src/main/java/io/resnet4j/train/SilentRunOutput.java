package io.resnet4j.train;

import io.resnet4j.model.ModelConfig;
import io.resnet4j.model.ResNet;
import io.resnet4j.train.MetricsLog.MetricsRow;

/** {@link RunOutput#silent()}: a run that trains like any other and leaves nothing behind. */
final class SilentRunOutput implements RunOutput {
    static final SilentRunOutput INSTANCE = new SilentRunOutput();

    private SilentRunOutput() {}

    @Override
    public void open() {}

    @Override
    public void log(String line) {}

    @Override
    public Progress progress(String task, long total) {
        return Progress.silent(task, total);
    }

    @Override
    public void retainMetricsUpTo(int epoch) {}

    @Override
    public void recordEpoch(MetricsRow row) {}

    @Override
    public void checkpoint(ResNet model, Sgd sgd, int epoch, long step, double seconds, ModelConfig config,
            String options) {}

    @Override
    public void saveModel(ResNet model, ModelConfig config) {}
}
