package io.resnet4j.engine;

import org.bytedeco.pytorch.global.torch;

/**
 * bfloat16 autocast on the CPU for one step: {@code try (Autocast a = Autocast.begin(precision)) { ... }}.
 *
 * <p>Mirrors {@code torch.autocast("cpu", torch.bfloat16)}: the nesting counter and the cast cache are managed
 * the way PyTorch's context manager does, so cached bf16 copies of the weights are dropped after every step
 * (otherwise they would go stale after an optimizer update and leak). For {@link Precision#FP32} it does nothing.
 */
public final class Autocast implements AutoCloseable {
    private final boolean active;
    private final boolean wasEnabled;
    private final torch.ScalarType previousType;

    private Autocast(boolean active) {
        this.active = active;
        if (active) {
            wasEnabled = torch.is_autocast_enabled(torch.DeviceType.CPU);
            previousType = torch.get_autocast_dtype(torch.DeviceType.CPU);
            torch.set_autocast_dtype(torch.DeviceType.CPU, torch.ScalarType.BFloat16);
            torch.set_autocast_enabled(torch.DeviceType.CPU, true);
            torch.increment_nesting();
        } else {
            wasEnabled = false;
            previousType = null;
        }
    }

    /** Starts autocast when {@code precision} is BF16; otherwise returns a no-op. */
    public static Autocast begin(Precision precision) {
        Engine.init();
        return new Autocast(precision == Precision.BF16);
    }

    @Override
    public void close() {
        if (!active) {
            return;
        }
        if (torch.decrement_nesting() == 0) {
            torch.clear_cache();
        }
        torch.set_autocast_enabled(torch.DeviceType.CPU, wasEnabled);
        torch.set_autocast_dtype(torch.DeviceType.CPU, previousType);
    }
}
