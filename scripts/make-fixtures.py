#!/usr/bin/env python3
"""Regenerate, check or extend the ResNet test fixtures in src/test/resources/fixtures.

The fixtures follow the conventions of shared/fixtures/README.md (copied in the fixtures' own metadata): ResNet v1 with
torchvision's names and semantics, ResNet v2 with TensorFlow official's pre-activation semantics (fixed padding, TF SAME
max pool, projection on the pre-activated input, no ReLU after the addition, final BN-ReLU), and the CIFAR-style
variants of both. For each case, <case>.safetensors holds the weights and <case>.io.safetensors the input, the labels
and every reference tensor: logits_eval, logits_train, pooled_eval, stem_eval, loss_train, grad.<param> for every
trainable parameter, after_train.<bn>.running_mean/var for every BN. The references come from this file's own,
independent PyTorch implementation of both families, evaluated in float64 from the stored float32 weights and input,
then rounded to float32.

What is and is not reproduced. The README does not say how the original weights, inputs and labels were drawn (PyTorch
1.13, seeds 51000-56273 after rejection sampling for "kink safety", running statistics calibrated on some batch), so
they cannot be redrawn bit for bit. This script therefore takes the committed weights file and the input and labels of
the committed io file as its inputs and recomputes every reference output from them:

  check       regenerates every case into a temporary directory and compares with the committed files: the weights
              file must come back byte for byte, the io file must hold the same tensors in the same order with the
              same dtypes and shapes, every reference tensor within --atol (default 1e-6) of the committed one. Lists
              the metadata values that differ (the torch version and the float32 measurements: they depend on the
              PyTorch build and the CPU). Exit 1 on a mismatch.
  regenerate  writes <case>.safetensors (byte for byte) and a recomputed <case>.io.safetensors into --out.
  new         extends the set: a new case from this script's own seeded initialization (below), with the same
              rejection sampling for kink safety as the README describes (seeds --seed, --seed + 1, ... until every
              ReLU input and max-pool top-2 gap is far enough from its kink), written into --out.

Initialization of `new` cases (this script's own, not the original generator's): conv weights N(0, 2/fan_in) (He),
BN weight U(0.6, 1.4), BN bias N(0, 0.1^2), fc weight and bias U(-1/sqrt(F), 1/sqrt(F)); the running statistics are
those of one train-mode forward pass of a separate N(0, 1) calibration batch, perturbed (mean + 0.1 * std * N(0, 1),
var * U(0.7, 1.4)); the input is N(0, 1), the labels uniform. All draws come from one torch.Generator seeded with the
seed that is tried.

Usage (torch and numpy; the safetensors format is read and written here, no safetensors package needed):
  python3 scripts/make-fixtures.py check [--fixtures src/test/resources/fixtures]
  python3 scripts/make-fixtures.py regenerate --out DIR [--fixtures DIR] [CASE ...]
  python3 scripts/make-fixtures.py new --out DIR --case dev_v1_wide --family v1 --variant imagenet \\
      --block basic --blocks 1,1,1,1 --base-width 16 --input 2x3x33x41 --classes 5 --seed 57000

Verified with torch 2.13.0 (CPU): `check` rewrites all six committed weights files byte for byte, and of the 550
tensors of their io files all but one come back bit for bit; the exception is one element of dev_v1_bottleneck's
grad.bn1.bias, an analytically zero gradient (1.03e-15 committed, -8.3e-17 now). The float64 metadata
relu_min_abs_input_train and maxpool_min_top2_gap_train come back as committed; torch_f32_vs_ref_maxabs and
kink_safety_train differ, as they measure this PyTorch build's float32 round-off. A `new` case (v1 bottleneck,
2x3x33x41) run through `resnet4j forward` agreed within 2.1e-6 (logits_eval) and 9.8e-6 (pooled_eval).
"""

import argparse
import json
import math
import struct
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-5
MOMENTUM = 0.1
CASES = ["dev_v1_basic", "dev_v1_bottleneck", "dev_v2_basic", "dev_v2_bottleneck", "dev_v1_cifar20", "dev_v2_cifar20"]
DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "src" / "test" / "resources" / "fixtures"

# ---------------------------------------------------------------------------------------------------- safetensors

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}


def read_safetensors(path):
    """(OrderedDict name -> numpy array, metadata dict, the file's bytes)."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    meta = header.pop("__metadata__", OrderedDict())
    base = 8 + n
    tensors = OrderedDict()
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(data[base + begin:base + end], dtype=dtype).reshape(info["shape"]).copy()
    return tensors, meta, data


def write_safetensors(path, tensors, meta):
    """Header JSON (compact, tensors in order, then __metadata__; padded with spaces to a multiple of 8), then the
    tensors packed little-endian in C order with no gaps."""
    header = OrderedDict()
    blobs = []
    offset = 0
    for name, a in tensors.items():
        code = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}[a.dtype]
        raw = np.ascontiguousarray(a, dtype=DTYPES[code]).tobytes()
        header[name] = OrderedDict([("dtype", code), ("shape", list(a.shape)), ("data_offsets", [offset,
                                                                                              offset + len(raw)])])
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))

# ---------------------------------------------------------------------------------------------------- the models


class Spec:
    """The shape of a case, from its metadata (or the command line of `new`)."""

    def __init__(self, meta):
        self.family = meta["family"]
        self.variant = meta["variant"]
        self.block = meta["block"]
        self.blocks = json.loads(meta["blocks"])
        self.base = int(meta["base_width"])
        self.classes = int(meta["num_classes"])
        self.in_channels = int(meta["in_channels"])
        if self.family not in ("v1", "v2") or self.variant not in ("imagenet", "cifar") \
                or self.block not in ("basic", "bottleneck"):
            raise SystemExit(f"unknown case shape: {self.family} {self.variant} {self.block}")

    def depth(self):
        return (2 if self.block == "basic" else 3) * sum(self.blocks) + 2

    def params(self):
        """(name, shape) of every weight tensor, in the fixtures' order."""
        out = []

        def bn(name, c):
            out.extend((f"{name}.{k}", [c]) for k in ("weight", "bias", "running_mean", "running_var"))

        k0 = 7 if self.variant == "imagenet" else 3
        if self.family == "v1":
            out.append(("conv1.weight", [self.base, self.in_channels, k0, k0]))
            bn("bn1", self.base)
        else:
            out.append(("stem.conv.weight", [self.base, self.in_channels, k0, k0]))
        cin = self.base
        for i, n in enumerate(self.blocks):
            f = self.base * 2 ** i
            cout = 4 * f if self.block == "bottleneck" else f
            stride = 1 if i == 0 else 2
            for j in range(n):
                p = f"layer{i + 1}.{j}"
                s = stride if j == 0 else 1
                c = cin if j == 0 else cout
                if self.block == "basic":
                    convs = [(f, c, 3), (cout, f, 3)]
                else:
                    convs = [(f, c, 1), (f, f, 3), (cout, f, 1)]
                for k, (o, ci, kk) in enumerate(convs, 1):
                    if self.family == "v1":
                        out.append((f"{p}.conv{k}.weight", [o, ci, kk, kk]))
                        bn(f"{p}.bn{k}", o)
                    else:
                        bn(f"{p}.bn{k}", ci)
                        out.append((f"{p}.conv{k}.weight", [o, ci, kk, kk]))
                if self.family == "v1" and (s != 1 or c != cout):
                    out.append((f"{p}.downsample.0.weight", [cout, c, 1, 1]))
                    bn(f"{p}.downsample.1", cout)
                if self.family == "v2" and j == 0:
                    out.append((f"{p}.shortcut.weight", [cout, c, 1, 1]))
            cin = cout
        if self.family == "v2":
            bn("final_bn", cin)
        out.append(("fc.weight", [self.classes, cin]))
        out.append(("fc.bias", [self.classes]))
        return out


class Run:
    """One forward pass: eval (running statistics) or train (batch statistics, updates recorded), in one dtype.
    Records the input of every ReLU and max pool (for the kink checks)."""

    def __init__(self, spec, params, train):
        self.spec = spec
        self.p = params
        self.train = train
        self.updated = OrderedDict()  # bn name -> (running_mean, running_var) after this pass
        self.kinks = OrderedDict()  # site -> ("relu" | "pool", input tensor)

    def conv(self, x, name, stride):
        w = self.p[name]
        k = w.shape[-1]
        # Odd kernels only: torchvision's padding and TF's fixed padding are both a symmetric (k - 1) / 2.
        return F.conv2d(x, w, stride=stride, padding=(k - 1) // 2)

    def bn(self, x, name):
        w, b = self.p[name + ".weight"], self.p[name + ".bias"]
        rm, rv = self.p[name + ".running_mean"], self.p[name + ".running_var"]
        if self.train:
            n = x.numel() // x.shape[1]
            mean = x.mean(dim=(0, 2, 3))
            var_b = ((x - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))
            var_u = var_b.detach() * n / (n - 1)
            self.updated[name] = ((1 - MOMENTUM) * rm + MOMENTUM * mean.detach(),
                                  (1 - MOMENTUM) * rv + MOMENTUM * var_u)
            xhat = (x - mean[None, :, None, None]) / torch.sqrt(var_b[None, :, None, None] + EPS)
        else:
            xhat = (x - rm[None, :, None, None]) / torch.sqrt(rv[None, :, None, None] + EPS)
        return xhat * w[None, :, None, None] + b[None, :, None, None]

    def relu(self, x, site):
        self.kinks[site] = ("relu", x.detach())
        return torch.clamp(x, min=0)

    def pool(self, x, site, tf_same):
        """3x3/2 max pool; padded cells are -inf. torchvision: pad 1 on each side; TF SAME: ceil(n/2) outputs, the odd
        pad after."""
        pads = []
        for n in (x.shape[3], x.shape[2]):  # F.pad order: W then H
            if tf_same:
                out = -(-n // 2)
                total = max((out - 1) * 2 + 3 - n, 0)
                pads += [total // 2, total - total // 2]
            else:
                pads += [1, 1]
        xp = F.pad(x, pads, value=-math.inf)
        windows = xp.unfold(2, 3, 2).unfold(3, 3, 2)
        windows = windows.reshape(*windows.shape[:4], 9)
        self.kinks[site] = ("pool", windows.detach())
        return windows.max(dim=-1).values

    def forward(self, x):
        s = self.spec
        imagenet = s.variant == "imagenet"
        if s.family == "v1":
            h = self.relu(self.bn(self.conv(x, "conv1.weight", 2 if imagenet else 1), "bn1"), "stem")
            stem = self.pool(h, "stem.pool", tf_same=False) if imagenet else h
        else:
            h = self.conv(x, "stem.conv.weight", 2 if imagenet else 1)
            stem = self.pool(h, "stem.pool", tf_same=True) if imagenet else h
        h = stem
        for i, n in enumerate(s.blocks):
            for j in range(n):
                stride = (1 if i == 0 else 2) if j == 0 else 1
                h = (self.block_v1 if s.family == "v1" else self.block_v2)(h, f"layer{i + 1}.{j}", stride)
        if s.family == "v2":
            h = self.relu(self.bn(h, "final_bn"), "final")
        pooled = h.mean(dim=(2, 3))
        logits = pooled @ self.p["fc.weight"].T + self.p["fc.bias"]
        return logits, pooled, stem

    def block_v1(self, x, p, stride):
        bottleneck = self.spec.block == "bottleneck"
        h = self.relu(self.bn(self.conv(x, p + ".conv1.weight", 1 if bottleneck else stride), p + ".bn1"),
                      p + ".relu1")
        h = self.bn(self.conv(h, p + ".conv2.weight", stride if bottleneck else 1), p + ".bn2")
        if bottleneck:
            h = self.bn(self.conv(self.relu(h, p + ".relu2"), p + ".conv3.weight", 1), p + ".bn3")
        shortcut = x
        if p + ".downsample.0.weight" in self.p:
            shortcut = self.bn(self.conv(x, p + ".downsample.0.weight", stride), p + ".downsample.1")
        return self.relu(h + shortcut, p + ".out")

    def block_v2(self, x, p, stride):
        bottleneck = self.spec.block == "bottleneck"
        a = self.relu(self.bn(x, p + ".bn1"), p + ".relu1")
        shortcut = self.conv(a, p + ".shortcut.weight", stride) if p + ".shortcut.weight" in self.p else x
        if bottleneck:
            h = self.conv(a, p + ".conv1.weight", 1)
            h = self.conv(self.relu(self.bn(h, p + ".bn2"), p + ".relu2"), p + ".conv2.weight", stride)
            h = self.conv(self.relu(self.bn(h, p + ".bn3"), p + ".relu3"), p + ".conv3.weight", 1)
        else:
            h = self.conv(a, p + ".conv1.weight", stride)
            h = self.conv(self.relu(self.bn(h, p + ".bn2"), p + ".relu2"), p + ".conv2.weight", 1)
        return h + shortcut  # no ReLU after the addition in v2


def compute(spec, weights, x, labels, dtype):
    """Every reference tensor of a case, in `dtype`, as float64 numpy arrays; and the kink records of the train
    pass."""
    p = OrderedDict((k, torch.tensor(v, dtype=dtype)) for k, v in weights.items())
    xt = torch.tensor(x, dtype=dtype)
    yt = torch.tensor(labels, dtype=torch.int64)
    out = OrderedDict()
    with torch.no_grad():
        logits, pooled, stem = Run(spec, p, train=False).forward(xt)
    trainable = [k for k in p if not k.endswith(("running_mean", "running_var"))]
    for k in trainable:
        p[k].requires_grad_(True)
    run = Run(spec, p, train=True)
    z = run.forward(xt)[0]
    loss = (torch.logsumexp(z, dim=1) - z.gather(1, yt[:, None])[:, 0]).mean()
    grads = torch.autograd.grad(loss, [p[k] for k in trainable])
    out["logits_eval"] = logits
    out["logits_train"] = z
    out["pooled_eval"] = pooled
    out["stem_eval"] = stem
    out["loss_train"] = loss.reshape(())
    for k, g in zip(trainable, grads):
        out["grad." + k] = g
    for name, (rm, rv) in run.updated.items():
        out[f"after_train.{name}.running_mean"] = rm
        out[f"after_train.{name}.running_var"] = rv
    return OrderedDict((k, v.detach().to(torch.float64).numpy()) for k, v in out.items()), run.kinks


def kind(name):
    if name.startswith("grad."):
        return "grad"
    if name.startswith("after_train."):
        return "after_train." + name.rsplit(".", 1)[1]
    return name


def kink_report(spec, ref_kinks, f32_kinks):
    """relu_min_abs_input_train, maxpool_min_top2_gap_train and kink_safety_train (the smallest ratio, over the ReLU
    and max-pool sites of the train pass, of the distance to the kink to float32's round-off there)."""
    relu_min = math.inf
    gap_min = math.inf
    safety = math.inf
    for site, (what, t64) in ref_kinks.items():
        t32 = f32_kinks[site][1].to(torch.float64)
        finite = torch.isfinite(t64)
        roundoff = (t32 - t64)[finite].abs().max().item()
        if what == "relu":
            margin = t64.abs().min().item()
            relu_min = min(relu_min, margin)
            safety = min(safety, margin / max(roundoff, 1e-30))
        else:
            top2 = t64.topk(2, dim=-1).values
            live = top2[..., 0] != 0  # windows whose inputs are all 0 after a ReLU pass no gradient
            if spec.family == "v2":
                live = torch.ones_like(live)
            gaps = (top2[..., 0] - top2[..., 1])[live]
            if gaps.numel():
                g = gaps.min().item()
                gap_min = min(gap_min, g)
                safety = min(safety, g / max(2 * roundoff, 1e-30))
    return relu_min, gap_min, safety


def references(spec, weights, x, labels):
    """(io tensors as float32/int64 numpy arrays in the fixtures' order, the measured metadata)."""
    ref, ref_kinks = compute(spec, weights, x, labels, torch.float64)
    f32, f32_kinks = compute(spec, weights, x, labels, torch.float32)
    io = OrderedDict([("input", x.astype(np.float32)), ("labels", labels.astype(np.int64))])
    for k, v in ref.items():
        io[k] = v.astype(np.float32)
    measured = OrderedDict()
    for k in ref:
        diff = float(np.abs(f32[k] - ref[k]).max()) if ref[k].size else 0.0
        measured[kind(k)] = max(measured.get(kind(k), 0.0), diff)
    order = ["logits_eval", "pooled_eval", "stem_eval", "logits_train", "loss_train", "grad",
             "after_train.running_mean", "after_train.running_var"]
    maxabs = OrderedDict((k, float("%.4g" % measured[k])) for k in order)
    relu_min, gap_min, safety = kink_report(spec, ref_kinks, f32_kinks)
    stats = OrderedDict([
        ("torch_f32_vs_ref_maxabs", json.dumps(maxabs)),
        ("relu_min_abs_input_train", "%.3e" % relu_min),
        ("maxpool_min_top2_gap_train", "%.3e" % gap_min if gap_min < math.inf else "no max pool"),
        ("kink_safety_train", "%.1f" % safety),
    ])
    return io, stats


def io_metadata(source_meta, stats):
    """The io file's metadata: the case description as it was, with this run's torch version and measurements."""
    meta = OrderedDict(source_meta)
    meta["torch"] = torch.__version__
    meta["torchvision"] = "unused (scripts/make-fixtures.py)"
    for k, v in stats.items():
        meta[k] = v
    return meta

# ---------------------------------------------------------------------------------------------------- commands


def regenerate(fixtures, out, cases):
    out.mkdir(parents=True, exist_ok=True)
    for case in cases:
        weights, wmeta, _ = read_safetensors(fixtures / f"{case}.safetensors")
        io, iometa, _ = read_safetensors(fixtures / f"{case}.io.safetensors")
        spec = Spec(wmeta)
        want = spec.params()
        got = [(k, list(v.shape)) for k, v in weights.items()]
        if got != want:
            raise SystemExit(f"{case}: the weights are not the {spec.family} {spec.block} model the metadata "
                             f"describes:\n  file {got}\n  expected {want}")
        tensors, stats = references(spec, weights, io["input"], io["labels"])
        write_safetensors(out / f"{case}.safetensors", weights, wmeta)
        write_safetensors(out / f"{case}.io.safetensors", tensors, io_metadata(iometa, stats))
        print(f"{case}: written to {out}")


def check(fixtures, atol):
    ok = True
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        regenerate(fixtures, Path(tmp), CASES)
        for case in CASES:
            for suffix in (".safetensors", ".io.safetensors"):
                committed = fixtures / (case + suffix)
                fresh = Path(tmp) / (case + suffix)
                a, ameta, abytes = read_safetensors(committed)
                b, bmeta, bbytes = read_safetensors(fresh)
                if suffix == ".safetensors":
                    same = abytes == bbytes
                    ok &= same
                    print(f"{case}{suffix}: {'byte for byte identical' if same else 'DIFFERENT'}"
                          f" ({len(abytes)} bytes)")
                    continue
                layout = [(k, v.dtype, v.shape) for k, v in a.items()] == [(k, v.dtype, v.shape) for k, v in
                                                                           b.items()]
                ok &= layout
                by_kind = OrderedDict()
                ulps = 0
                for k in a:
                    if k not in b:
                        continue
                    d = float(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)).max()) if a[k].size else 0.0
                    by_kind[kind(k)] = max(by_kind.get(kind(k), 0.0), d)
                    if a[k].dtype == np.float32 and a[k].size:  # in units of the committed values' last place
                        ulps = max(ulps, float((np.abs(a[k] - b[k]) / np.spacing(np.abs(a[k]))).max()))
                case_worst = max(by_kind.values())
                worst = max(worst, case_worst)
                ok &= case_worst <= atol
                print(f"{case}{suffix}: {len(a)} tensors, {'same' if layout else 'DIFFERENT'} names, order, dtypes "
                      f"and shapes; largest difference {case_worst:.3g} ({ulps:.3g} ulp)"
                      + ("" if case_worst <= atol else f" > {atol}  MISMATCH"))
                print("    by kind: " + ", ".join(f"{k} {v:.2g}" for k, v in by_kind.items()))
                changed = [k for k in ameta if ameta.get(k) != bmeta.get(k)]
                for k in changed:
                    print(f"    metadata {k}: committed {ameta[k]!r}, now {bmeta.get(k)!r}")
    print(f"largest difference over all reference tensors: {worst:.3g} (atol {atol}); "
          + ("all fixtures reproduced" if ok else "MISMATCH"))
    return 0 if ok else 1


FAMILY_ARCH = {
    "v1": "torchvision-resnet-v1 (post-activation; bottleneck stride on the 3x3)",
    "v2": "tf-official-resnet-v2 (pre-activation, fixed padding, TF SAME max pool)",
}
IO_SEMANTICS = OrderedDict([
    ("computed_in", "float64 from the stored F32 weights and input, stored as F32"),
    ("logits_train", "one train-mode forward: BN normalizes with the batch mean and the BIASED batch variance over "
                     "(N,H,W); running stats are not used"),
    ("loss_train", "mean over the batch of softmax cross-entropy of logits_train against labels"),
    ("grads", "grad.<param> = d loss_train / d param through the train-mode forward (gradient flows through the BN "
              "batch mean and variance)"),
    ("after_train", "after_train.<bn>.running_{mean,var} after that single train-mode forward, PyTorch momentum 0.1: "
                    "running_mean = 0.9*running_mean + 0.1*batch_mean; running_var = 0.9*running_var + "
                    "0.1*batch_var_UNBIASED (divisor n-1, n = N*H*W), although the forward normalizes with the biased "
                    "(divisor n) variance"),
])
RECOMMENDED_ATOL = ('{"logits_eval": 2e-05, "logits_train": 5e-05, "pooled_eval": 5e-05, "stem_eval": 5e-05, '
                    '"loss_train": 1e-05, "grad": 0.0002, "after_train.running_mean": 5e-06, '
                    '"after_train.running_var": 2e-05}')


def draw(spec, shape, seed):
    """Weights, input and labels of a new case, from this script's own initialization (see the module docstring)."""
    g = torch.Generator().manual_seed(seed)
    w = OrderedDict()
    for name, s in spec.params():
        if name.endswith("running_mean"):
            w[name] = torch.zeros(s, dtype=torch.float64)
        elif name.endswith("running_var"):
            w[name] = torch.ones(s, dtype=torch.float64)
        elif name == "fc.weight" or name == "fc.bias":
            bound = 1 / math.sqrt(spec.params()[-2][1][1])
            w[name] = (torch.rand(s, generator=g, dtype=torch.float64) * 2 - 1) * bound
        elif name.endswith(".weight") and len(s) == 4:
            fan_in = s[1] * s[2] * s[3]
            w[name] = torch.randn(s, generator=g, dtype=torch.float64) * math.sqrt(2 / fan_in)
        elif name.endswith(".weight"):
            w[name] = 0.6 + 0.8 * torch.rand(s, generator=g, dtype=torch.float64)
        else:
            w[name] = 0.1 * torch.randn(s, generator=g, dtype=torch.float64)
    calibration = torch.randn(shape, generator=g, dtype=torch.float64)
    run = Run(spec, w, train=True)
    with torch.no_grad():
        run.forward(calibration)
    for name, (rm, rv) in run.updated.items():
        mean = (rm - (1 - MOMENTUM) * w[name + ".running_mean"]) / MOMENTUM  # the calibration batch's statistics
        var = (rv - (1 - MOMENTUM) * w[name + ".running_var"]) / MOMENTUM
        w[name + ".running_mean"] = mean + 0.1 * var.sqrt() * torch.randn(mean.shape, generator=g,
                                                                            dtype=torch.float64)
        w[name + ".running_var"] = var * (0.7 + 0.7 * torch.rand(var.shape, generator=g, dtype=torch.float64))
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    labels = torch.randint(0, spec.classes, (shape[0],), generator=g)
    weights = OrderedDict((k, v.to(torch.float32).numpy()) for k, v in w.items())
    return weights, x.to(torch.float32).numpy(), labels.numpy()


def new(args):
    shape = [int(v) for v in args.input.lower().split("x")]
    if len(shape) != 4:
        raise SystemExit("--input must be NxCxHxW")
    meta = OrderedDict([
        ("format", "resnet-dev-fixtures/1"), ("case", args.case), ("family", args.family),
        ("arch", FAMILY_ARCH[args.family]), ("variant", args.variant), ("depth", ""), ("block", args.block),
        ("blocks", json.dumps([int(b) for b in args.blocks.split(",")])), ("base_width", str(args.base_width)),
        ("num_classes", str(args.classes)), ("in_channels", str(shape[1])), ("input_shape", args.input),
        ("layout", "NCHW"),
        ("weight_layout", "conv OIHW [out,in,kh,kw], no conv bias; dense [num_classes,in_features] + bias"),
        ("bn_eps", "1e-05"), ("bn_momentum", "0.1"), ("seed", ""), ("trainable_params", ""),
        ("torch", torch.__version__), ("torchvision", "unused (scripts/make-fixtures.py)"),
    ])
    spec = Spec(meta)
    meta["depth"] = str(spec.depth())
    for seed in range(args.seed, args.seed + args.tries):
        weights, x, labels = draw(spec, shape, seed)
        tensors, stats = references(spec, weights, x, labels)
        relu_min = float(stats["relu_min_abs_input_train"])
        gap = stats["maxpool_min_top2_gap_train"]
        safe = relu_min >= 2.2e-5 and float(stats["kink_safety_train"]) >= 8 and (gap == "no max pool"
                                                                                   or float(gap) >= 2e-4)
        if safe:
            break
    else:
        raise SystemExit(f"no seed in [{args.seed}, {args.seed + args.tries}) is kink-safe; try another --seed")
    meta["seed"] = str(seed)
    meta["trainable_params"] = str(sum(v.size for k, v in weights.items()
                                       if not k.endswith(("running_mean", "running_var"))))
    io_meta = OrderedDict(meta)
    io_meta.update(IO_SEMANTICS)
    io_meta["torch_f32_vs_ref_maxabs"] = stats["torch_f32_vs_ref_maxabs"]
    io_meta["recommended_atol"] = RECOMMENDED_ATOL
    for k in ("relu_min_abs_input_train", "maxpool_min_top2_gap_train", "kink_safety_train"):
        io_meta[k] = stats[k]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_safetensors(out / f"{args.case}.safetensors", weights, meta)
    write_safetensors(out / f"{args.case}.io.safetensors", tensors, io_meta)
    print(f"{args.case}: seed {seed}, {meta['trainable_params']} trainable parameters, kink safety "
          f"{stats['kink_safety_train']}; written to {out}")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="regenerate into a temporary directory and compare with the committed files")
    c.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    c.add_argument("--atol", type=float, default=1e-6)
    r = sub.add_parser("regenerate", help="recompute the io files of existing cases (weights copied byte for byte)")
    r.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("cases", nargs="*", default=CASES)
    n = sub.add_parser("new", help="a new case from this script's own seeded initialization")
    n.add_argument("--out", required=True)
    n.add_argument("--case", required=True)
    n.add_argument("--family", choices=["v1", "v2"], required=True)
    n.add_argument("--variant", choices=["imagenet", "cifar"], default="imagenet")
    n.add_argument("--block", choices=["basic", "bottleneck"], default="basic")
    n.add_argument("--blocks", default="1,1,1,1")
    n.add_argument("--base-width", type=int, default=8)
    n.add_argument("--input", default="2x3x37x45", help="NxCxHxW")
    n.add_argument("--classes", type=int, default=10)
    n.add_argument("--seed", type=int, default=57000)
    n.add_argument("--tries", type=int, default=1000)
    args = ap.parse_args(argv)
    if args.command == "check":
        return check(args.fixtures, args.atol)
    if args.command == "regenerate":
        regenerate(args.fixtures, args.out, args.cases)
        return 0
    return new(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
