#!/usr/bin/env python3
"""Per-layer time of ONNX Runtime's CPU inference of a ResNet, from its own profiler, by layer class.

  flock /tmp/bench.lock VENV/bin/python scripts/ort-profile.py [--onnx MODEL.onnx] [--batch 16] [--threads 2]

Without --onnx it exports torchvision's resnet50 as shared/peer/ort_bench.py does (opset 17, NCHW fp32). The
session has ort_bench.py's settings plus enable_profiling; the first --skip runs are dropped. Each node's kernel
time (the profiler's "kernel_time" events) is classed by op type and, for convolutions, by kernel size (read from
the node's input shapes), and reported as milliseconds per run; "outside kernels" is the session's run time
less the kernel times (session overhead, thread-pool hand-offs).
"""
import argparse
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict

import numpy as np
import onnxruntime as ort


def export(path, batch):
    import torch
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn(batch, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(model, (x,), path, opset_version=17, input_names=["input"], output_names=["logits"],
                          dynamo=False)


def classify(ev):
    op = ev["args"].get("op_name", "?")
    if op in ("Conv", "FusedConv", "NchwcConv"):
        shapes = ev["args"].get("input_type_shape", [])
        k = None
        if len(shapes) > 1:
            w = list(shapes[1].values())[0]
            if len(w) == 4:
                k = w[2]
        if k == 7:
            return "stem conv 7x7"
        if k == 1:
            return "conv 1x1"
        if k == 3:
            return "conv 3x3"
        return "conv"
    if op in ("ReorderInput", "ReorderOutput", "Transpose"):
        return "reorder (layout)"
    if op in ("MaxPool", "NchwcMaxPool"):
        return "max-pool"
    if op in ("GlobalAveragePool", "NchwcGlobalAveragePool", "ReduceMean"):
        return "global mean"
    if op in ("Gemm", "MatMul", "FusedGemm"):
        return "fc"
    if op in ("Add", "Relu", "Sum"):
        return "eltwise / add"
    return op


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", default="")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--skip", type=int, default=3)
    a = ap.parse_args()
    path = a.onnx
    if not path:
        path = os.path.join(tempfile.mkdtemp(), "resnet50-b%d.onnx" % a.batch)
        export(path, a.batch)
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort")
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(0).standard_normal((a.batch, 3, 224, 224), dtype=np.float32)
    walls = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        sess.run(None, {inp.name: x})
        walls.append((time.perf_counter() - t0) * 1e3)
    prof = sess.end_profiling()
    events = json.load(open(prof))
    runs = [e for e in events if e.get("name") == "model_run"]
    kernels = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
    kept = runs[a.skip:]
    per_class = defaultdict(float)
    kernel_names = defaultdict(set)
    for r in kept:
        t0, t1 = r["ts"], r["ts"] + r["dur"]
        for e in kernels:
            if t0 <= e["ts"] <= t1:
                c = classify(e)
                per_class[c] += e["dur"] / 1e3
                kernel_names[c].add(e["args"].get("op_name", "?"))
    n = len(kept)
    # The session's own run time (the profiler's model_run), so that the classes add up to it.
    wall = statistics.mean(r["dur"] / 1e3 for r in kept)
    total = 0.0
    print("| layer class | ONNX Runtime %s ms | ops |" % ort.__version__)
    print("|---|---|---|")
    for c, ms in sorted(per_class.items(), key=lambda kv: -kv[1]):
        total += ms / n
        print("| %s | %.2f | %s |" % (c, ms / n, ", ".join(sorted(kernel_names[c]))))
    print("| outside kernels | %.2f | |" % (wall - total))
    print("| **run (mean)** | **%.1f** | |" % wall)
    print("| run, wall clock outside the profiler's view (median) | %.1f | |" % statistics.median(walls[a.skip:]))
    print("| runs averaged | %d | |" % n)


if __name__ == "__main__":
    main()
