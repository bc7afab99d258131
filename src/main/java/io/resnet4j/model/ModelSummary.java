package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import io.resnet4j.model.Layout.ConvSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer table of an architecture at an input size, computed from its {@link Layout} alone (no weights built):
 * output shape, trainable parameters, buffer values and forward multiply-accumulates per row.
 *
 * <p>MACs count the convolutions and the fully connected layer, as torchvision's published numbers do
 * ({@code resnet50} at 224x224: 4,089,184,256); batch norm, ReLU, pooling and additions are not counted.
 */
public record ModelSummary(Architecture architecture, int height, int width, List<Row> rows) {

    /** One line of the table: a named part of the model and its cost. Output shape is C x H x W (or [features]). */
    public record Row(String name, String kind, long[] outputShape, long params, long buffers, long macs) {}

    public ModelSummary {
        rows = List.copyOf(rows);
    }

    public long params() {
        return rows.stream().mapToLong(Row::params).sum();
    }

    public long buffers() {
        return rows.stream().mapToLong(Row::buffers).sum();
    }

    public long macs() {
        return rows.stream().mapToLong(Row::macs).sum();
    }

    /** Summarises {@code arch} for one {@code height x width} input image. */
    public static ModelSummary of(Architecture arch, int height, int width) {
        return of(Layout.of(arch), height, width);
    }

    /** Summarises {@code layout} for one {@code height x width} input image: one row per stem, pool, unit, head. */
    public static ModelSummary of(Layout layout, int height, int width) {
        if (height < 1 || width < 1) {
            throw new ResNet4jException("input size must be positive, got " + height + "x" + width);
        }
        return new Counter(layout).run(height, width);
    }

    /** Walks the layout, tracking the activation shape {@code c x h x w} and counting as it goes. */
    private static final class Counter {
        private final Layout layout;
        private final Architecture arch;
        private final List<Row> rows = new ArrayList<>();
        private int c;
        private int h;
        private int w;
        private long params;
        private long buffers;
        private long macs;

        Counter(Layout layout) {
            this.layout = layout;
            this.arch = layout.architecture();
        }

        ModelSummary run(int height, int width) {
            h = height;
            w = width;
            c = arch.inChannels();
            ConvSpec stem = layout.stem().conv();
            conv(stem);
            emit(stem.name(), "conv " + stem.kernel() + "x" + stem.kernel() + "/" + stem.stride());
            Layout.Pool pool = layout.stem().pool();
            if (pool != Layout.Pool.NONE) {
                h = pool.outputSize(h);
                w = pool.outputSize(w);
                emit("maxpool", switch (pool) {
                    case MAX_3X3_TF_SAME -> "max pool 3x3/2 (TF SAME)";
                    case MAX_3X3_ZERO_PADDED -> "max pool 3x3/2 (zero-padded)";
                    default -> "max pool 3x3/2";
                });
            }
            checkSize();
            for (Layout.Unit u : layout.units()) {
                unit(u);
                checkSize();
                emit(u.name(), u.kind() == Architecture.Block.BASIC ? "basic" : "bottleneck");
            }
            Layout.Head head = layout.head();
            if (head.finalNorm() != null) {
                bn(head.finalNorm());
                emit(head.finalNorm().name(), "batch norm + ReLU");
            }
            params += (long) head.features() * head.classes() + head.classes();
            macs += (long) head.features() * head.classes();
            rows.add(new Row(head.classifier(), "global average pool + fully connected", new long[] {head.classes()},
                    params, buffers, macs));
            params = buffers = macs = 0;
            return new ModelSummary(arch, height, width, rows);
        }

        /** The pre-activation, the main path, and the projection, which reads the unit's input. */
        private void unit(Layout.Unit u) {
            int inH = h;
            int inW = w;
            if (u.preactivation() != null) {
                bn(u.preactivation());
            }
            for (ConvSpec s : u.convs()) {
                conv(s);
            }
            ConvSpec p = u.shortcut().projection();
            if (p != null) {
                params += p.parameterCount();
                macs += p.weightCount() * p.outputSize(inH) * p.outputSize(inW);
                if (p.norm() != null) {
                    bn(p.norm());
                }
            }
        }

        /** A convolution (and its batch norm): {@code h' = (h + 2 pad - k) / stride + 1}. */
        private void conv(ConvSpec s) {
            h = s.outputSize(h);
            w = s.outputSize(w);
            params += s.parameterCount();
            macs += s.weightCount() * h * w;
            c = s.out();
            if (s.norm() != null) {
                bn(s.norm());
            }
        }

        private void bn(Layout.Norm n) {
            params += 2L * n.channels();
            buffers += 2L * n.channels();
        }

        private void emit(String name, String kind) {
            rows.add(new Row(name, kind, new long[] {c, h, w}, params, buffers, macs));
            params = buffers = macs = 0;
        }

        private void checkSize() {
            if (h < 1 || w < 1) {
                throw new ResNet4jException("input too small for " + arch.name());
            }
        }
    }
}
