#!/usr/bin/env bash
# ResNet-50 on this machine: resnet4j's bench and the peer benchmarks of shared/peer, back to back, one at a time.
#   scripts/bench-vs-peers.sh [PEER_VENV]   (PEER_VENV: a venv with torch 2.13, torchvision, onnxruntime; optional)
# Writes JSON lines to stdout; see BENCHMARKS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
venv="${1:-}"
peer="$(cd .. && pwd)/shared/peer"
lock=/tmp/bench.lock
ours() { flock "$lock" ./resnet4j bench --arch resnet50 --json --seconds 15 "$@"; }

for p in fp32 bf16; do
  ours --mode infer --batch 16 --precision "$p" --runtime onednn
  ours --mode infer --batch 1 --precision "$p" --runtime onednn
  ours --mode infer --batch 16 --precision "$p" --runtime torchscript
done
ours --mode infer --batch 16 --precision fp32 --runtime onnxruntime
ours --mode infer --batch 1 --precision fp32 --runtime onnxruntime
ours --mode infer --batch 16 --precision bf16 --runtime eager
ours --mode train --batch 16 --precision fp32
ours --mode train --batch 16 --precision bf16
if [ -n "$venv" ]; then
  flock "$lock" "$venv/bin/python" "$peer/torch_bench.py" --threads 2 --group infer50,train50
  TORCHINDUCTOR_CACHE_DIR="$(mktemp -d)" flock "$lock" "$venv/bin/python" "$peer/compile_bench.py" --threads 2 --precision fp32 --freezing
  TORCHINDUCTOR_CACHE_DIR="$(mktemp -d)" flock "$lock" "$venv/bin/python" "$peer/compile_bench.py" --threads 2 --precision bf16 --freezing
  flock "$lock" "$venv/bin/python" "$peer/ort_bench.py" --threads 2
fi
