#!/usr/bin/env bash
# Train-step throughput of clipscale next to the plain-PyTorch reference step
# (shared/bench/reference_clip_step.py, Debian's python3-torch), same model JSON, batch and
# threads, interleaved in one run. Prints a Markdown table with the ratio ours / reference.
#   bash bench/run_train_step_bench.sh [batch=128] [steps=10] [models...]
# Env: CLIPSCALE_BUILD (default build), REFERENCE (default ../shared/bench/reference_clip_step.py),
#      THREADS (default: nproc), REPEATS (default 2; the median of the repeats is reported).
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${1:-128}
steps=${2:-10}
shift 2 2>/dev/null || shift $# 2>/dev/null || true
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(experiments/models/clip-w64-l2.json experiments/models/clip-w96-l3.json experiments/models/clip-w128-l4.json
          experiments/models/clip-w192-l4.json experiments/models/clip-w256-l6.json experiments/models/clip-w384-l6.json)
fi
build=${CLIPSCALE_BUILD:-build}
reference=${REFERENCE:-../shared/bench/reference_clip_step.py}
threads=${THREADS:-$(nproc)}
repeats=${REPEATS:-2}
bench="$build/bench/clipscale_bench_train_step"
[ -x "$bench" ] || { echo "missing $bench: build first (bash cmake/build.sh)" >&2; exit 2; }
[ -f "$reference" ] || { echo "missing $reference (shared/bench)" >&2; exit 2; }
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647

value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "| model | params | batch | threads | reference fp32 (samples/s) | clipscale fp32 | ratio fp32 | clipscale bf16 | ratio bf16 vs ref fp32 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in "${models[@]}"; do
  ref=(); ours=(); ours16=(); params=""
  for ((r = 0; r < repeats; r++)); do
    out=$(/usr/bin/python3 "$reference" --model-config "$m" --batch-size "$batch" --threads "$threads" --steps "$steps")
    ref+=("$(echo "$out" | value samples_per_s)")
    out=$("$bench" --model-config "$m" --batch-size "$batch" --threads "$threads" --steps "$steps" --precision fp32)
    ours+=("$(echo "$out" | value samples_per_s)"); params=$(echo "$out" | value params)
    out=$("$bench" --model-config "$m" --batch-size "$batch" --threads "$threads" --steps "$steps" --precision bf16)
    ours16+=("$(echo "$out" | value samples_per_s)")
  done
  r_med=$(printf '%s\n' "${ref[@]}" | median)
  o_med=$(printf '%s\n' "${ours[@]}" | median)
  b_med=$(printf '%s\n' "${ours16[@]}" | median)
  awk -v m="$(basename "$m" .json)" -v p="$params" -v b="$batch" -v t="$threads" -v r="$r_med" -v o="$o_med" -v h="$b_med" \
    'BEGIN {printf "| %s | %.2fM | %d | %d | %.1f | %.1f | %.2f | %.1f | %.2f |\n", m, p/1e6, b, t, r, o, o/r, h, h/r}'
done
