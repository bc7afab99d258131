#!/usr/bin/env bash
# Two resnet4j checkouts side by side, each benchmark run by A then B, one at a time (for an engine move or a
# refactoring: "no regression" is a claim about one sitting).
#   scripts/bench-ab.sh A_CHECKOUT B_CHECKOUT [ARCH]      (each checkout builds itself on first use)
# Prints one JSON line per run, tagged with its checkout: {"checkout":"A", ...bench --json fields...}.
set -uo pipefail
a="$(cd "$1" && pwd)"; b="$(cd "$2" && pwd)"; arch="${3:-resnet50}"
lock=/tmp/bench.lock
run() { # checkout-tag checkout-dir bench-args...
  local tag="$1" dir="$2"; shift 2
  local out
  out="$(flock "$lock" "$dir/resnet4j" bench --arch "$arch" --json --seconds 15 "$@" 2>/dev/null)" \
    || out="{\"error\":\"bench failed: $*\"}"
  echo "{\"checkout\":\"$tag\",${out#\{}"
}
for dir in "$a" "$b"; do "$dir/resnet4j" --help >/dev/null 2>&1; done # build both first
cases=(
  "--mode infer --batch 16 --precision fp32 --runtime onednn"
  "--mode infer --batch 16 --precision bf16 --runtime onednn"
  "--mode infer --batch 1 --precision fp32 --runtime onednn"
  "--mode infer --batch 1 --precision bf16 --runtime onednn"
  "--mode infer --batch 16 --precision fp32 --runtime torchscript"
  "--mode infer --batch 16 --precision bf16 --runtime torchscript"
  "--mode infer --batch 16 --precision fp32 --runtime onnxruntime"
  "--mode infer --batch 1 --precision fp32 --runtime onnxruntime"
  "--mode infer --batch 16 --precision fp32 --runtime eager"
  "--mode infer --batch 16 --precision bf16 --runtime eager"
  "--mode train --batch 16 --precision fp32"
  "--mode train --batch 16 --precision bf16"
)
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086
  run A "$a" $c
  # shellcheck disable=SC2086
  run B "$b" $c
done
