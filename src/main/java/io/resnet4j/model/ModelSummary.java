package io.resnet4j.model;

import io.resnet4j.ResNet4jException;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer table of an architecture at an input size, computed from the shape alone (no weights built):
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
        if (height < 1 || width < 1) {
            throw new ResNet4jException("input size must be positive, got " + height + "x" + width);
        }
        return new Counter(arch).run(height, width);
    }

    /** Walks the architecture the way {@link ResNet} builds it, counting as it goes. */
    private static final class Counter {
        private final Architecture arch;
        private final boolean v2;
        private final List<Row> rows = new ArrayList<>();
        private int c;
        private int h;
        private int w;
        private long params;
        private long buffers;
        private long macs;

        Counter(Architecture arch) {
            this.arch = arch;
            this.v2 = arch.version() == Architecture.Version.V2;
        }

        ModelSummary run(int height, int width) {
            h = height;
            w = width;
            c = arch.inChannels();
            boolean imagenet = arch.stem() == Architecture.Stem.IMAGENET;
            conv(arch.baseWidth(), imagenet ? 7 : 3, imagenet ? 2 : 1);
            if (!v2) {
                bn(c);
            }
            emit(v2 ? "stem.conv" : "conv1", "conv " + (imagenet ? "7x7/2" : "3x3/1"));
            if (imagenet) {
                if (v2) {
                    h = (h + 1) / 2; // TF SAME: ceil(n / 2)
                    w = (w + 1) / 2;
                } else {
                    h = (h + 2 - 3) / 2 + 1;
                    w = (w + 2 - 3) / 2 + 1;
                }
                emit("maxpool", v2 ? "max pool 3x3/2 (TF SAME)" : "max pool 3x3/2");
            }
            checkSize();
            for (int i = 0; i < arch.blocks().size(); i++) {
                for (int j = 0; j < arch.blocks().get(i); j++) {
                    block(i, j);
                    checkSize();
                    emit("layer" + (i + 1) + "." + j, arch.block() == Architecture.Block.BASIC ? "basic" : "bottleneck");
                }
            }
            if (v2) {
                bn(c);
                emit("final_bn", "batch norm + ReLU");
            }
            params += (long) c * arch.numClasses() + arch.numClasses();
            macs += (long) c * arch.numClasses();
            rows.add(new Row("fc", "global average pool + fully connected", new long[] {arch.numClasses()},
                    params, buffers, macs));
            params = buffers = macs = 0;
            return new ModelSummary(arch, height, width, rows);
        }

        private void block(int layer, int index) {
            int width = arch.layerWidth(layer);
            int out = arch.layerOutChannels(layer);
            int stride = index == 0 ? arch.strides().get(layer) : 1;
            int in = c;
            int inH = h;
            int inW = w;
            boolean bottleneck = arch.block() == Architecture.Block.BOTTLENECK;
            if (v2) {
                bn(in);
            }
            if (bottleneck) {
                conv(width, 1, 1);
                bnAfter(v2 ? -1 : width);
                if (v2) {
                    bn(width);
                }
                conv(width, 3, stride);
                bnAfter(v2 ? -1 : width);
                if (v2) {
                    bn(width);
                }
                conv(out, 1, 1);
                bnAfter(v2 ? -1 : out);
            } else {
                conv(width, 3, stride);
                bnAfter(v2 ? -1 : width);
                if (v2) {
                    bn(width);
                }
                conv(width, 3, 1);
                bnAfter(v2 ? -1 : width);
            }
            boolean project = v2 ? index == 0 : (stride != 1 || in != out);
            if (project) {
                long oh = (inH - 1) / stride + 1;
                long ow = (inW - 1) / stride + 1;
                params += (long) in * out;
                macs += (long) in * out * oh * ow;
                if (!v2) {
                    bn(out);
                }
            }
        }

        private void bnAfter(int channels) {
            if (channels > 0) {
                bn(channels);
            }
        }

        /** A k x k convolution with padding (k-1)/2: out = floor((n - 1) / stride) + 1. */
        private void conv(int out, int k, int stride) {
            h = (h - 1) / stride + 1;
            w = (w - 1) / stride + 1;
            params += (long) out * c * k * k;
            macs += (long) out * c * k * k * h * w;
            c = out;
        }

        private void bn(int channels) {
            params += 2L * channels;
            buffers += 2L * channels;
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
