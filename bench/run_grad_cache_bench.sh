#!/usr/bin/env bash
# Gradient caching: peak resident memory and step time of one training step at several global
# batch sizes, with and without caching, one process per measurement (peak RSS only grows),
# cached and uncached interleaved. Prints a Markdown table with the ratios cached / uncached.
#   bash bench/run_grad_cache_bench.sh [model=experiments/models/clip-w192-l4.json] [chunk=128] [batches...]
# Env: CLIPSCALE_BUILD (default build), THREADS (default nproc), STEPS (default 2), PRECISION (bf16).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-experiments/models/clip-w192-l4.json}
chunk=${2:-128}
shift 2 2>/dev/null || shift $# 2>/dev/null || true
batches=("$@")
[ ${#batches[@]} -gt 0 ] || batches=(256 1024 4096)
build=${CLIPSCALE_BUILD:-build}
threads=${THREADS:-$(nproc)}
steps=${STEPS:-2}
precision=${PRECISION:-bf16}
bench="$build/bench/clipscale_bench_train_step"
[ -x "$bench" ] || { echo "missing $bench: build first (bash cmake/build.sh)" >&2; exit 2; }
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647

value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
run() { "$bench" --model-config "$model" --batch-size "$1" --grad-cache-chunk "$2" --threads "$threads" \
          --steps "$steps" --warmup 1 --precision "$precision"; }

echo "model $(basename "$model" .json), $precision, $threads threads, chunk $chunk, $steps timed steps after 1 warm-up"
echo
echo "| global batch | step s (no cache) | step s (cache) | time ratio | peak RSS MiB (no cache) | peak RSS MiB (cache) | memory ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for b in "${batches[@]}"; do
  plain=$(run "$b" 0)
  cached=$(run "$b" "$chunk")
  tp=$(echo "$plain" | value step_ms); tc=$(echo "$cached" | value step_ms)
  mp=$(echo "$plain" | value peak_rss_mb); mc=$(echo "$cached" | value peak_rss_mb)
  awk -v b="$b" -v tp="$tp" -v tc="$tc" -v mp="$mp" -v mc="$mc" \
    'BEGIN { printf "| %d | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f |\n", b, tp/1e3, tc/1e3, tc/tp, mp, mc, mc/mp }'
done
