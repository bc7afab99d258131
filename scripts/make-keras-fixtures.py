#!/usr/bin/env python3
"""Make the Keras import fixtures in src/test/resources/fixtures/keras from keras.applications' own code.

Each case is a tiny ResNet built through `keras.applications.resnet.ResNet(stack_fn, preact, use_bias, ...)` with
Keras' own stack functions (`stack_residual_blocks_v1` / `_v2`), so every layer, stride, padding, bias and epsilon is
Keras' choice, not ours. Only the stem's filter count is changed (Keras hard-codes 64; the layer named `conv1_conv`
gets STEM filters instead) to keep the committed files small. Every variable is randomised -- kernels, conv biases,
BN gamma/beta/moving statistics, the dense layer -- so a wrong mapping, a transposed kernel or a missing bias shows.

Per case (v1, v2) it writes:
  <case>.keras          model.save(): zip of config.json, metadata.json, model.weights.h5
  <case>.weights.h5     model.save_weights(): Keras 3 layout, /layers/<class>[_N]/vars/<i>, real name in attr `name`
  <case>.h5             Keras-2 layout of the published ImageNet files: root attr layer_names, per-layer weight_names
                        (written with a ':0' suffix, as TF 1.x/Keras 2 wrote them)
  <case>.expected.safetensors
                        input (NCHW, already Keras-preprocessed, channels in Keras' order: BGR for v1), and Keras'
                        float32 outputs of the same model: stem (pool1_pool, NCHW), pooled (avg_pool), logits (no
                        softmax)
  v2-finetuned.keras, v2-finetuned.weights.h5, v2-finetuned.expected.safetensors
                        a fine-tuning model as Keras users make it: the v2 base (include_top=False, pooling="avg")
                        nested in a model with a new Dense named "dense" (nested layers, no "predictions")
  hostile-huge.h5       a Keras-2 layout whose dataset claims 4 GiB in a few KiB (the importer must refuse it)
  params.json           parameter counts (total, trainable) of keras.applications ResNet50/101/152 and
                        ResNet50V2/101V2/152V2 (weights=None, 1000 classes)

Full-size check, outside CI (see README "From Keras"):
  python3 scripts/make-keras-fixtures.py full --out /tmp/keras-full
writes resnet50.keras and resnet50v2.keras (random weights and BN statistics) with their expected outputs at 64x64;
  mvn -o test -Dtest=KerasImportTest -Dkeras.full=/tmp/keras-full
then imports and compares them.

Run with TF_ENABLE_ONEDNN_OPTS=0 (TensorFlow's oneDNN path crashes on VMs that hide their cache sizes).
Verified with tensorflow-cpu 2.21.0, keras 3.15.1, h5py 3.14.0.
"""
import argparse
import json
import os
import struct
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras.src.applications import resnet as kresnet  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

STEM = 8
H, W = 37, 36
CLASSES = 5


def write_safetensors(path, tensors):
    header = {}
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr, dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class _StemLayers:
    """keras.layers, except that the layer named conv1_conv gets STEM filters instead of Keras' fixed 64."""

    def __init__(self, real, stem):
        self._real = real
        self._stem = stem

    def __getattr__(self, name):
        return getattr(self._real, name)

    def Conv2D(self, filters, *args, **kwargs):  # noqa: N802 (Keras' name)
        if kwargs.get("name") == "conv1_conv":
            filters = self._stem
        return self._real.Conv2D(filters, *args, **kwargs)


def tiny(version):
    real = kresnet.layers
    kresnet.layers = _StemLayers(real, STEM)
    try:
        if version == "v1":
            def stack_fn(x):
                x = kresnet.stack_residual_blocks_v1(x, 8, 2, stride1=1, name="conv2")
                x = kresnet.stack_residual_blocks_v1(x, 16, 2, name="conv3")
                return kresnet.stack_residual_blocks_v1(x, 32, 1, name="conv4")
            preact = False
        else:
            def stack_fn(x):
                x = kresnet.stack_residual_blocks_v2(x, 8, 2, name="conv2")
                x = kresnet.stack_residual_blocks_v2(x, 16, 3, name="conv3")
                return kresnet.stack_residual_blocks_v2(x, 32, 2, stride1=1, name="conv4")
            preact = True
        return kresnet.ResNet(stack_fn, preact, True, weights=None, input_shape=(H, W, 3), classes=CLASSES,
                              classifier_activation=None, name="tiny_" + version)
    finally:
        kresnet.layers = real


def randomise(model, rng):
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.6, 1.4, c), rng.normal(0, 0.2, c), rng.normal(0, 0.2, c),
                               rng.uniform(0.5, 1.5, c)])
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            ws = layer.get_weights()
            k = ws[0]
            fan_in = int(np.prod(k.shape[:-1]))
            out = [rng.normal(0, np.sqrt(2.0 / fan_in), k.shape)]
            if len(ws) > 1:
                out.append(rng.normal(0, 0.2, ws[1].shape))
            layer.set_weights(out)


def outputs(model, x):
    probe = keras.Model(model.inputs, [model.get_layer("pool1_pool").output, model.get_layer("avg_pool").output,
                                       model.output])
    stem, pooled, logits = [np.asarray(t, dtype=np.float32) for t in probe(x, training=False)]
    return stem, pooled, logits


def save_keras2_h5(model, path):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    # TF 1.x / Keras 2 (the published ImageNet files) named every weight '<layer>/<var>:0'.
    with h5py.File(path, "r+") as f:
        for name in f.attrs["layer_names"]:
            g = f[name.decode() if isinstance(name, bytes) else name]
            names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
            renamed = []
            for n in names:
                if not n.endswith(":0"):
                    g.move(n, n + ":0")
                    n = n + ":0"
                renamed.append(n.encode())
            g.attrs["weight_names"] = renamed


def finetuned(rng):
    """What fine-tuning in Keras makes: the v2 base with include_top=False and pooling="avg", a new Dense on top."""
    base = tiny("v2")
    base = keras.Model(base.inputs, base.get_layer("avg_pool").output, name="base")
    randomise(base, rng)
    inputs = keras.Input((H, W, 3))
    logits = keras.layers.Dense(3, name="dense")(base(inputs))
    model = keras.Model(inputs, logits, name="finetuned")
    randomise(model, rng)
    return model, base


def write_finetuned(out, rng):
    model, base = finetuned(rng)
    x = rng.normal(0, 1, (2, H, W, 3)).astype(np.float32)
    probe = keras.Model(base.inputs, [base.get_layer("pool1_pool").output, base.output])
    stem, pooled = [np.asarray(t, dtype=np.float32) for t in probe(x, training=False)]
    logits = np.asarray(model(x, training=False), dtype=np.float32)
    model.save(os.path.join(out, "v2-finetuned.keras"))
    model.save_weights(os.path.join(out, "v2-finetuned.weights.h5"))
    write_safetensors(os.path.join(out, "v2-finetuned.expected.safetensors"), {
        "input": x.transpose(0, 3, 1, 2), "stem": stem.transpose(0, 3, 1, 2), "pooled": pooled, "logits": logits})
    print(f"v2-finetuned: {model.count_params()} params, logits[0] {logits[0]}")


def write_case(model, version, out, rng, h, w):
    x = rng.normal(0, 1, (2, h, w, 3)).astype(np.float32)
    stem, pooled, logits = outputs(model, x)
    model.save(os.path.join(out, version + ".keras"))
    model.save_weights(os.path.join(out, version + ".weights.h5"))
    save_keras2_h5(model, os.path.join(out, version + ".h5"))
    write_safetensors(os.path.join(out, version + ".expected.safetensors"), {
        "input": x.transpose(0, 3, 1, 2), "stem": stem.transpose(0, 3, 1, 2), "pooled": pooled, "logits": logits})
    print(f"{version}: {model.count_params()} params, logits[0,:3] {logits[0, :3]}")


def param_counts():
    apps = keras.applications
    counts = {}
    for name, fn in [("resnet50-keras", apps.ResNet50), ("resnet101-keras", apps.ResNet101),
                     ("resnet152-keras", apps.ResNet152), ("resnet50-v2-keras", apps.ResNet50V2),
                     ("resnet101-v2-keras", apps.ResNet101V2), ("resnet152-v2-keras", apps.ResNet152V2)]:
        m = fn(weights=None)
        trainable = int(sum(np.prod(v.shape) for v in m.trainable_weights))
        counts[name] = {"total": int(m.count_params()), "trainable": trainable}
        print(name, counts[name])
        keras.backend.clear_session()
    return counts


def hostile(out):
    """A Keras-2 layout whose one dataset claims 2^30 float32 values (4 GiB) in a file of a few KiB."""
    with h5py.File(os.path.join(out, "hostile-huge.h5"), "w") as f:
        f.attrs["layer_names"] = [b"conv1_conv"]
        g = f.create_group("conv1_conv")
        g.attrs["weight_names"] = [b"conv1_conv/kernel:0"]
        g.create_dataset("conv1_conv/kernel:0", shape=(1024, 1024, 32, 32), dtype="f4", chunks=(1, 1, 32, 32))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["tiny", "params", "full"])
    p.add_argument("--out", default="src/test/resources/fixtures/keras")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(15)
    if a.mode == "tiny":
        for version in ["v1", "v2"]:
            m = tiny(version)
            randomise(m, rng)
            write_case(m, version, a.out, rng, H, W)
        write_finetuned(a.out, rng)
        hostile(a.out)
    elif a.mode == "params":
        with open(os.path.join(a.out, "params.json"), "w") as f:
            json.dump(param_counts(), f, indent=2)
            f.write("\n")
    else:
        for version, fn in [("resnet50", keras.applications.ResNet50), ("resnet50v2", keras.applications.ResNet50V2)]:
            m = fn(weights=None, input_shape=(64, 64, 3), classifier_activation=None)
            randomise(m, rng)
            write_case(m, version, a.out, rng, 64, 64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
