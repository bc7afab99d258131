#!/usr/bin/env python3
"""Expected data-parallel scaling with a ring all-reduce (BENCHMARKS.md, "Data-parallel training").

Per step and machine: compute C seconds (forward + backward + update of the per-machine batch), of which the backward
(about 2/3) can overlap the Reducer's bucket all-reduces. A ring all-reduce of S bytes over W machines moves
2 (W-1)/W * S bytes in and out of each machine, at min(link, r) bytes/s, where r is what Gloo's reduction sustains
per machine (measured on loopback: 1.2 GB/s with one Gloo thread on the AMD EPYC VM), plus 2 (W-1) latencies a per
bucket. Efficiency = C / step time; "no overlap": C + T, "overlap": max(C, C/3 + T).
"""
import sys

GBIT = 1e9 / 8
LAT = 50e-6          # per ring hop and bucket (TCP on a LAN)
REDUCE = 1.2e9       # bytes/s one Gloo thread reduces (measured, loopback)
MODELS = {           # gradient bytes (fp32), compute seconds of a 32-image step on a machine `speed` x this VM
    "resnet18": (11_689_512 * 4, 32 / 22.0),   # fp32 training, 224x224: ~22 images/s on the 2-vCPU VM (est.)
    "resnet50": (25_557_032 * 4, 32 / 9.75),   # fp32 training, 224x224: 9.75 images/s measured (BENCHMARKS)
}


def step(c, s, w, link, reduce):
    buckets = max(1, round(s / (25 << 20)))
    t = 2 * (w - 1) / w * s / min(link, reduce) + 2 * (w - 1) * LAT * buckets
    return c + t, max(c, c / 3 + t), t


def main():
    speed = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    reduce = float(sys.argv[2]) * 1e9 if len(sys.argv) > 2 else REDUCE
    print(f"machines {speed:g}x the 2-vCPU VM, reduction {reduce / 1e9:g} GB/s; efficiency no-overlap / overlap; "
          "overlap with bf16 gradients")
    for name, (s, c1) in MODELS.items():
        c = c1 / speed
        for g in (10, 25, 100):
            row = []
            for w in (2, 4, 8, 16, 32, 64):
                a, b, _ = step(c, s, w, g * GBIT, reduce)
                a2, b2, _ = step(c, s / 2, w, g * GBIT, reduce)
                row.append(f"{c / a:4.0%} {c / b:4.0%} {c / b2:4.0%}")
            print(f"{name:9s} {g:3d} Gbit/s  " + "  ".join(row))


if __name__ == "__main__":
    main()  # usage: ddp-scaling.py [SPEED_VS_THE_VM] [REDUCTION_GB_PER_S]
