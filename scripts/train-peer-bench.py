#!/usr/bin/env python3
"""Training-step throughput of torchvision's ResNet-50 in PyTorch, eager or torch.compile, fp32 or bf16 autocast:
the peer for `./resnet4j bench --mode train --arch resnet50 --batch 8 --precision P` (shared/peer has eager fp32
only, as torch_bench.py's train50 group, and no compiled or bf16 ResNet-50 training).

The step is what resnet4j's bench times: channels_last, SGD with momentum 0.9, Nesterov, weight decay 1e-4, forward,
cross-entropy, backward, update; images/s = batch / median step time (the peers' rule).

  VENV/bin/python scripts/train-peer-bench.py [--compile] [--precision fp32|bf16] [--batch 8] [--steps 12]
Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
import torchvision

ap = argparse.ArgumentParser()
ap.add_argument("--compile", action="store_true")
ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--steps", type=int, default=12)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
net = torchvision.models.resnet50().to(memory_format=torch.channels_last)
net.train()
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
step_net = torch.compile(net) if a.compile else net
x = torch.randn(a.batch, 3, 224, 224).to(memory_format=torch.channels_last)
y = torch.randint(0, 1000, (a.batch,))


def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
        loss = F.cross_entropy(step_net(x), y)
    loss.backward()
    opt.step()


t0 = time.time()
for _ in range(a.warmup):
    step()
warm = time.time() - t0
ts = []
for _ in range(a.steps):
    t = time.time()
    step()
    ts.append(time.time() - t)
ts.sort()
med = ts[len(ts) // 2]
print(json.dumps({"torch": torch.__version__, "model": "resnet50", "compile": a.compile, "batch": a.batch,
                  "precision": a.precision, "images_per_s": round(a.batch / med, 2), "median_step_s": round(med, 4),
                  "warmup_s": round(warm, 1), "steps": a.steps}))
