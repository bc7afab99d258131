#!/usr/bin/env bash
# Speed of `resnet4j serve` against `resnet4j bench`, in one sitting: for each architecture and precision, start
# the server on a model directory with random (untrained) weights, load it at each concurrency with the closed-loop
# client scripts/ServeLoad.java (raw-image predict of a 500x375 JPEG: decoding, preprocessing and HTTP included),
# stop it with SIGTERM, then run `bench --batch 16` and `bench --batch 1` of the same model and precision.
#
#   scripts/bench-serve.sh [--archs "resnet18 resnet50"] [--precisions "fp32 bf16"] [--concurrency "1 8 32"]
#                          [--seconds 20] [--warmup 5] [--out runs/serve-bench] [--no-bench]
#
# One JSON line per measurement in OUT/results.jsonl (also printed). Extra serve flags: SERVE_FLAGS; the image sent:
# IMAGE=photo224.jpg for the 224x224 one (no resize).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
archs="resnet18 resnet50"
precisions="fp32 bf16"
concurrency="1 8 32"
seconds=20
warmup=5
out="$root/runs/serve-bench"
port=18080
bench=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --archs) archs="$2"; shift 2 ;;
    --precisions) precisions="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --no-bench) bench=no; shift ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
cd "$root"
./resnet4j summary --arch resnet18 >/dev/null # builds when needed
cp="$root/target/resnet4j.jar:$(cat "$root/target/classpath.txt")"
load="$out/load-classes"
mkdir -p "$load"
javac -d "$load" scripts/ServeLoad.java
results="$out/results.jsonl"
log() { echo "$1" | tee -a "$results"; }

for arch in $archs; do
  model="$out/$arch"
  [ -f "$model/config.json" ] || java -cp "$cp" scripts/RandomModel.java "$arch" "$model"
  for prec in $precisions; do
    serve_log="$out/serve-$arch-$prec.log"
    ./resnet4j serve --model "$model" --port "$port" --precision "$prec" ${SERVE_FLAGS:-} >"$serve_log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
      grep -q "serve: ready" "$serve_log" && break
      kill -0 "$pid" 2>/dev/null || { echo "serve exited:"; cat "$serve_log"; exit 1; }
      sleep 0.2
    done
    for c in $concurrency; do
      r="$(java -cp "$load" ServeLoad --url "http://127.0.0.1:$port/v1/models/$arch:predict" \
        --image "$model/${IMAGE:-photo.jpg}" --concurrency "$c" --seconds "$seconds" --warmup "$warmup")"
      log "{\"what\":\"serve\",\"arch\":\"$arch\",\"precision\":\"$prec\",\"image\":\"${IMAGE:-photo.jpg}\",\"time\":\"$(date -u +%H:%M:%S)\",${r#\{}"
    done
    kill -TERM "$pid"
    wait "$pid" || true
    [ "$bench" = yes ] || continue
    for b in 16 1; do
      r="$(./resnet4j bench --arch "$arch" --batch "$b" --precision "$prec" --seconds 10 --json)"
      log "{\"what\":\"bench\",\"time\":\"$(date -u +%H:%M:%S)\",${r#\{}"
    done
  done
done
