#!/usr/bin/env bash
# The Fashion-MNIST recipe of the README: >= 95% test accuracy in under 30 minutes on the 2-core development machine.
#   scripts/fashion-mnist-95.sh [OUT_DIR]      (default runs/fashion-mnist-95)
# A pre-activation ResNet (v2, basic blocks [2, 2, 2], widths 32/64/128, CIFAR stem), bf16 autocast, 23 epochs of
# SGD (Nesterov, lr 0.1, batch 128, one warmup epoch, cosine), label smoothing 0.1, random erasing on a quarter of the
# images; then the test set with flip test-time augmentation, and the top-1 agreement of bf16 with fp32.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/fashion-mnist-95}"
start=$(date +%s)
./resnet4j train --data fashion-mnist --out "$out" --arch custom --version v2 --block basic --blocks 2,2,2 \
  --base-width 32 --stem cifar --epochs 23 --batch-size 128 --lr 0.1 --warmup 1 --label-smoothing 0.1 \
  --random-erasing 0.25 --precision bf16
./resnet4j eval --model "$out" --data fashion-mnist --flip-tta --agreement-with bf16
echo "total: $(( $(date +%s) - start )) s"
