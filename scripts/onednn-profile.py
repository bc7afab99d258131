#!/usr/bin/env python3
"""Per-layer time of a ResNet forward pass from oneDNN's verbose log, aggregated by layer class.

Run the workload with ONEDNN_VERBOSE=profile_exec ONEDNN_VERBOSE_TIMESTAMP=1, e.g.

  flock /tmp/bench.lock env ONEDNN_VERBOSE=profile_exec ONEDNN_VERBOSE_TIMESTAMP=1 \
      ./resnet4j bench --arch resnet50 --batch 16 --precision fp32 --seconds 4 > ours.log 2>&1
  flock /tmp/bench.lock env ONEDNN_VERBOSE=profile_exec ONEDNN_VERBOSE_TIMESTAMP=1 TORCHINDUCTOR_CACHE_DIR=$(mktemp -d) \
      VENV/bin/python ../shared/peer/compile_bench.py --freezing --precision fp32 --budget 4 > theirs.log 2>&1
  scripts/onednn-profile.py ours.log theirs.log --names ours,torch.compile

A forward pass starts at the stem convolution (the one with 3 input channels at the batch size); the first --skip
passes are warm-up and dropped, as is the last (the log may end mid-pass). Work outside oneDNN (PyTorch's or
inductor's own kernels: max-pool, global mean, a classifier that is not a oneDNN matmul, input layout, framework
glue) shows as gaps between primitives, attributed to where it happens: after the stem convolution (the stem pool),
between the last convolution and the next pass's stem (head, input and loop), or between convolutions (glue).
Prints mean milliseconds per pass per class, and per convolution shape with the kernel oneDNN chose.
"""
import argparse
import re
import statistics
import sys
from collections import OrderedDict, defaultdict

SHAPE = re.compile(r"mb(\d+)_(?:g\d+)?ic(\d+)oc(\d+)_ih(\d+)oh(\d+)kh(\d+)sh(\d+)")


def records(path):
    """(start_ms, duration_ms, primitive, kernel, desc, shape) for every executed primitive."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if ",primitive,exec," not in line:
                continue
            p = line.rstrip("\n").split(",")
            # onednn_verbose,v1,TIMESTAMP,primitive,exec,cpu,KIND,IMPL,PROP,MEMS,ATTRS,AUX,SHAPE,TIME
            try:
                out.append((float(p[2]), float(p[-1]), p[6], p[7], p[9] + " " + p[10], p[-2]))
            except (ValueError, IndexError):
                continue
    return out


def classify(kind, shape, desc):
    if kind == "convolution":
        m = SHAPE.search(shape)
        k = int(m.group(6)) if m else 0
        if k == 7:
            return "stem conv 7x7"
        if k == 1:
            return "conv 1x1" + (" (add)" if "binary_add" in desc or "sum" in desc else "")
        if k == 3:
            return "conv 3x3"
        return "conv %dx%d" % (k, k)
    if kind == "reorder":
        return "reorder"
    if kind == "pooling":
        return "pooling (oneDNN)"
    if kind in ("inner_product", "matmul"):
        return "fc / matmul (oneDNN)"
    if kind in ("eltwise", "binary", "sum"):
        return "eltwise / add (oneDNN)"
    return kind


def passes(recs, batch):
    """Splits the records into forward passes at each stem convolution of the given batch."""
    starts = [i for i, r in enumerate(recs) if r[2] == "convolution"
              and re.search(r"mb%d_(?:g\d+)?ic3oc\d+_ih\d+oh\d+kh7" % batch, r[5])]
    return [recs[a:b] for a, b in zip(starts, starts[1:])]


def profile(path, batch, skip):
    ps = passes(records(path), batch)[skip:]
    if not ps:
        sys.exit("%s: no complete forward pass of batch %d after %d skipped" % (path, batch, skip))
    by_class = [defaultdict(float) for _ in ps]
    kernels = defaultdict(set)
    by_shape = defaultdict(list)
    walls = []
    for n, recs in enumerate(ps):
        conv_seen = 0
        for i, (t0, dur, kind, kernel, desc, shape) in enumerate(recs):
            cls = classify(kind, shape, desc)
            by_class[n][cls] += dur
            kernels[cls].add(kernel)
            if kind == "convolution":
                key = (conv_seen, shape, kernel, "post-ops:" + ";".join(re.findall(r"(?:eltwise_relu|binary_add|sum)",
                                                                                  desc)))
                by_shape[key].append(dur)
                conv_seen += 1
            # The gap after this primitive, up to the next one (or the next pass's stem).
            nxt = recs[i + 1][0] if i + 1 < len(recs) else (ps[n + 1][0][0] if n + 1 < len(ps) else None)
            if nxt is None:
                continue
            gap = max(0.0, nxt - t0 - dur)
            if i + 1 == len(recs):
                by_class[n]["outside oneDNN: head + input + loop"] += gap
            elif cls == "stem conv 7x7":
                by_class[n]["outside oneDNN: after stem (max-pool)"] += gap
            else:
                by_class[n]["outside oneDNN: between ops"] += gap
        if n + 1 < len(ps):
            walls.append(ps[n + 1][0][0] - recs[0][0])
    classes = sorted({c for d in by_class for c in d})
    mean = OrderedDict((c, statistics.mean(d.get(c, 0.0) for d in by_class[:len(walls) or None])) for c in classes)
    shapes = OrderedDict()
    for key in sorted(by_shape):
        shapes[key] = statistics.mean(by_shape[key])
    return mean, shapes, (statistics.median(walls) if walls else float("nan")), len(ps), kernels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--names", default="", help="comma-separated column names (default: file names)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--skip", type=int, default=3, help="warm-up passes to drop (default 3)")
    ap.add_argument("--shapes", action="store_true", help="also list every convolution with its kernel")
    a = ap.parse_args()
    names = a.names.split(",") if a.names else a.logs
    results = [profile(p, a.batch, a.skip) for p in a.logs]
    classes = []
    for mean, _, _, _, _ in results:
        classes += [c for c in mean if c not in classes]
    order = ["stem conv 7x7", "conv 1x1", "conv 1x1 (add)", "conv 3x3", "reorder", "pooling (oneDNN)",
             "fc / matmul (oneDNN)", "eltwise / add (oneDNN)", "outside oneDNN: after stem (max-pool)",
             "outside oneDNN: between ops", "outside oneDNN: head + input + loop"]
    classes = [c for c in order if c in classes] + [c for c in classes if c not in order]
    print("| layer class | oneDNN kernel | " + " | ".join("%s ms" % n for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for c in classes:
        ks = sorted(set().union(*(r[4].get(c, set()) for r in results)))
        print("| %s | %s | %s |" % (c, ", ".join(ks) or "—", " | ".join("%.2f" % r[0].get(c, 0.0) for r in results)))
    print("| **pass (wall, median)** | | %s |" % " | ".join("**%.1f**" % r[2] for r in results))
    print("| passes averaged | | %s |" % " | ".join(str(r[3] - 1) for r in results))
    if a.shapes:
        for name, (_, shapes, _, _, _) in zip(names, results):
            print("\n%s: convolutions in pass order\n" % name)
            print("| # | shape | kernel | post-ops | ms |")
            print("|---|---|---|---|---|")
            for (i, shape, kernel, post), ms in shapes.items():
                print("| %d | %s | %s | %s | %.2f |" % (i, shape, kernel, post[9:], ms))


if __name__ == "__main__":
    main()
