#!/usr/bin/env bash
# Soak test of `resnet4j serve`: a mix of good and hostile requests (scripts/ServeLoad.java --hostile-every N:
# random bytes, truncated JPEGs, decompression bombs, 17 MiB bodies, malformed and mis-shaped inference JSON,
# clients that hang up mid-body) for S seconds, sampling the server's resident memory (VmRSS) every I seconds;
# prints RSS after start-up, after the first fifth of the run, at its peak and at the end, then stops the server
# with SIGTERM. The 10-minute check: scripts/serve-soak.sh --seconds 600.
#
#   scripts/serve-soak.sh [--seconds 600] [--interval 5] [--concurrency 8] [--hostile-every 3] [--arch resnet18]
#                         [--out runs/serve-soak]
#
# The server runs with RESNET4J_JAVA_OPTS (default -Xmx1g: a fixed heap ceiling, so that RSS growth means native
# or off-heap memory, not the heap expanding into its default quarter of the machine). Linux only (/proc).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=600
interval=5
concurrency=8
hostile=3
arch=resnet18
out="$root/runs/serve-soak"
port=18090
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --hostile-every) hostile="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
cd "$root"
./resnet4j summary --arch resnet18 >/dev/null # builds when needed
cp="$root/target/resnet4j.jar:$(cat "$root/target/classpath.txt")"
model="$out/$arch"
[ -f "$model/config.json" ] || java -cp "$cp" scripts/RandomModel.java "$arch" "$model"
mkdir -p "$out/load-classes"
javac -d "$out/load-classes" scripts/ServeLoad.java
export RESNET4J_JAVA_OPTS="${RESNET4J_JAVA_OPTS:--Xmx1g}"
./resnet4j serve --model "$model" --port "$port" >"$out/serve.log" 2>&1 &
launcher=$!
until grep -q "serve: ready" "$out/serve.log"; do
  kill -0 "$launcher" 2>/dev/null || { cat "$out/serve.log"; exit 1; }
  sleep 0.2
done
pid="$launcher" # the launcher execs the JVM
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "seconds,rss_kib" >"$out/rss.csv"
start=$SECONDS
( while kill -0 "$pid" 2>/dev/null; do echo "$((SECONDS - start)),$(rss)" >>"$out/rss.csv"; sleep "$interval"; done ) &
sampler=$!
java -cp "$out/load-classes" ServeLoad --url "http://127.0.0.1:$port/v1/models/$arch:predict" \
  --image "$model/photo.jpg" --concurrency "$concurrency" --seconds "$seconds" --warmup 0 \
  --hostile-every "$hostile" | tee "$out/load.json"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^resnet4j_requests_total' >"$out/requests.txt" || true
end_rss="$(rss)"
kill "$sampler" 2>/dev/null || true
kill -TERM "$pid"
wait "$launcher" || true
awk -F, -v total="$seconds" -v end="$end_rss" 'NR > 1 {
    n++; t[n] = $1; r[n] = $2; if ($2 > peak) peak = $2
  } END {
    for (i = 1; i <= n; i++) if (t[i] >= total / 5) { warm = r[i]; break }
    printf "RSS after start-up %.0f MiB, after %d s %.0f MiB, peak %.0f MiB, end %.0f MiB (%d samples)\n",
      r[1] / 1024, total / 5, warm / 1024, peak / 1024, end / 1024, n
  }' "$out/rss.csv" | tee "$out/summary.txt"
cat "$out/requests.txt"
