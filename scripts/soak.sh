#!/usr/bin/env bash
# Soak test: runs `./resnet4j bench` in inference mode, then in training mode, for a given time each, sampling the
# process's resident memory (VmRSS in /proc/PID/status) every few seconds into a CSV, and prints per mode the RSS at
# the start, after warm-up, at its peak and at the end, and the slope of a least-squares line through the samples
# after warm-up (a leak shows as a steady positive slope; a healthy run levels off).
#
#   scripts/soak.sh [--seconds S] [--interval I] [--arch A] [--batch B] [--input HxW] [--precision P]
#                   [--modes "infer train"] [--warmup-seconds W] [--out DIR] [-- EXTRA BENCH FLAGS...]
#   scripts/soak.sh --summarize DIR     # the table again, from DIR/rss.csv
#
# Defaults: 600 s per mode, a sample every 5 s, resnet18, batch 8, 112x112, fp32, into runs/soak-<time>/
# (rss.csv, bench-<mode>.log, summary.txt). Warm-up (left out of slope and drift): 20% of each mode's duration, at
# least 10 s and at most 300 s. bench ends with up to 3 s of matrix-product probe (its ceiling), which allocates on
# its own: the samples of each mode's last 5 s are kept in the CSV but left out of the summary. Drift (mean RSS of
# the last third of the samples minus that of the first third) is steadier than the slope when RSS oscillates.
# RESNET4J_THREADS and RESNET4J_JAVA_OPTS are passed through to the launcher. Linux only (/proc). Exit 1 if a bench
# run fails, 2 for bad options.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=600
interval=5
arch=resnet18
batch=8
input=112x112
precision=fp32
modes="infer train"
warmup=""
summarize_dir=""
out=""
extra=()

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# Prints the table of a CSV of samples (mode,elapsed_s,rss_kib), modes in the order they first appear.
summarize() {
  awk -F, -v warmup="$warmup" '
    NR == 1 { next }
    {
      m = $1; if (!(m in n)) order[++k] = m
      n[m]++; t[m, n[m]] = $2; r[m, n[m]] = $3 / 1024
    }
    END {
      printf "warm-up (left out of slope and drift): %s; the last 5 s (bench'"'"'s ceiling probe) left out;\n",
        warmup == "" ? "the first 20% of each mode, 10 to 300 s" : "the first " warmup " s"
      printf "drift: mean RSS of the last third of the samples after warm-up minus that of the first third\n"
      printf "%-6s %8s %8s %10s %10s %10s %10s %14s %10s\n", "mode", "seconds", "samples", "start_MiB",
        "warm_MiB", "peak_MiB", "end_MiB", "slope_MiB/h", "drift_MiB"
      for (j = 1; j <= k; j++) {
        m = order[j]
        e = n[m]
        while (e > 1 && t[m, e] > t[m, n[m]] - 5) e--    # the last sample before the ceiling probe
        ws = warmup != "" ? warmup : t[m, e] / 5
        if (warmup == "") ws = ws < 10 ? 10 : (ws > 300 ? 300 : ws)
        w = 1
        while (w < e && t[m, w] < ws) w++                # the first sample after warm-up
        peak = 0
        for (i = 1; i <= e; i++) if (r[m, i] > peak) peak = r[m, i]
        sx = sy = sxx = sxy = 0; c = 0
        for (i = w; i <= e; i++) { x = t[m, i] / 3600; y = r[m, i]; sx += x; sy += y; sxx += x * x; sxy += x * y; c++ }
        d = c * sxx - sx * sx
        slope = (c > 1 && d > 0) ? (c * sxy - sx * sy) / d : 0
        third = int(c / 3); a = b = 0
        for (i = 0; i < third; i++) { a += r[m, w + i]; b += r[m, e - i] }
        drift = third > 0 ? (b - a) / third : 0
        printf "%-6s %8.0f %8d %10.1f %10.1f %10.1f %10.1f %14.1f %10.1f\n", m, t[m, e], e, r[m, 1], r[m, w], peak,
          r[m, e], slope, drift
      }
    }' "$1"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --interval) interval="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --input) input="$2"; shift 2 ;;
    --precision) precision="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --warmup-seconds) warmup="$2"; shift 2 ;;
    --summarize) summarize_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$seconds" "$interval" ${warmup:+"$warmup"}; do
  if ! awk -v x="$n" 'BEGIN { exit !(x + 0 > 0) }'; then
    echo "error: --seconds, --interval and --warmup-seconds must be positive numbers, got '$n'" >&2; exit 2
  fi
done
if [ -n "$summarize_dir" ]; then
  summarize "$summarize_dir/rss.csv"
  exit 0
fi
[ -r /proc/self/status ] || { echo "error: /proc is needed to read the resident memory" >&2; exit 1; }
out="${out:-$root/runs/soak-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
csv="$out/rss.csv"
echo "mode,elapsed_s,rss_kib" >"$csv"

# Build first (the launcher builds on first use), so that no sample is of Maven.
"$root/resnet4j" summary --arch "$arch" >/dev/null

{
  echo "soak: $(uname -n), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
    "RESNET4J_THREADS=${RESNET4J_THREADS:-all}, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "bench --arch $arch --batch $batch --input $input --precision $precision --seconds $seconds${extra[*]:+ ${extra[*]}}"
} | tee "$out/summary.txt"

bench_pid=""
trap '[ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null; exit 130' INT TERM

for mode in $modes; do
  log="$out/bench-$mode.log"
  "$root/resnet4j" bench --arch "$arch" --mode "$mode" --batch "$batch" --input "$input" \
    --precision "$precision" --seconds "$seconds" "${extra[@]}" >"$log" 2>&1 &
  bench_pid=$!   # the launcher execs java, so this is the JVM's PID
  t0=$(date +%s.%N)
  while kill -0 "$bench_pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$bench_pid/status" 2>/dev/null || true)
    # Only once the launcher has exec'ed java: the first moments are the launcher script's.
    if [ -n "$rss" ] && [ "$(cat "/proc/$bench_pid/comm" 2>/dev/null)" = java ]; then
      echo "$mode,$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'),$rss" >>"$csv"
    fi
    # Sleep in short steps so that the end of the run is noticed at once.
    for _ in $(seq 1 "$(awk -v i="$interval" 'BEGIN { n = int(i / 0.25); print (n < 1 ? 1 : n) }')"); do
      kill -0 "$bench_pid" 2>/dev/null || break
      sleep 0.25
    done
  done
  if wait "$bench_pid"; then rc=0; else rc=$?; fi
  bench_pid=""
  if [ "$rc" != 0 ]; then
    echo "error: bench --mode $mode failed (exit $rc); the end of $log:" >&2
    tail -5 "$log" >&2
    exit 1
  fi
done

summarize "$csv" | tee -a "$out/summary.txt"
for mode in $modes; do
  echo "$mode: $(tail -1 "$out/bench-$mode.log")" | tee -a "$out/summary.txt"
done
echo "samples: $csv" | tee -a "$out/summary.txt"
