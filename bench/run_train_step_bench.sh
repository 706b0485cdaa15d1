#!/usr/bin/env bash
# The train step against the hardware and against PyTorch, in one run on the machine at hand:
#  * GEMM peaks (fp32 and bf16: the best of several square sizes, clipscale_bench_gemm) beside the
#    theoretical peak of the ISA the CPU reports, measured before and after the step runs;
#  * per model: the plain-PyTorch reference step (../shared/bench/reference_clip_step.py, Debian's
#    python3-torch, eager) and clipscale's step in the same precision, interleaved, REPEATS times;
#    achieved FLOP/s from the analytic count (3 × forward × batch), % of the GEMM peak, peak RSS;
#  * a per-phase profile of clipscale's step (towers forward, loss, backward, optimizer, data).
# Medians of the repeats are reported. Writes the Markdown section to stdout and, with WRITE=1,
# replaces the "train-step" section of bench/RESULTS.md.
#   bash bench/run_train_step_bench.sh [batch=256] [steps=5] [models...]
# Env: CLIPSCALE_BUILD (build), REFERENCE (../shared/bench/reference_clip_step.py), THREADS (nproc),
#      REPEATS (5), PRECISIONS ("fp32 bf16"), WRITE (0).
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${1:-256}
steps=${2:-5}
shift 2 2>/dev/null || shift $# 2>/dev/null || true
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(experiments/models/clip-w128-l4.json experiments/models/clip-w256-l6.json experiments/models/clip-w384-l6.json)
fi
build=${CLIPSCALE_BUILD:-build}
reference=${REFERENCE:-../shared/bench/reference_clip_step.py}
threads=${THREADS:-$(nproc)}
repeats=${REPEATS:-5}
precisions=${PRECISIONS:-"fp32 bf16"}
bench="$build/bench/clipscale_bench_train_step"
gemm="$build/bench/clipscale_bench_gemm"
for b in "$bench" "$gemm"; do [ -x "$b" ] || { echo "missing $b: build first (bash cmake/build.sh)" >&2; exit 2; }; done
[ -f "$reference" ] || { echo "missing $reference: the reference step lives beside the repository" >&2; exit 2; }
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647

value() { sed -n "s/.*\b$1=\([0-9.e+-]*\).*/\1/p" | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" | head -1; }

declare -A peak theory isa
for p in $precisions; do
  runs=()
  for ((r = 0; r < 3; r++)); do runs+=("$("$gemm" --threads "$threads" --precision "$p" --seconds 0.5 | tail -1)"); done
  peak[$p]=$(for l in "${runs[@]}"; do echo "$l" | value peak_gflops; done | median)
  theory[$p]=$(echo "${runs[0]}" | value theoretical_gflops)
  isa[$p]=$(echo "${runs[0]}" | field isa)
done

rows=""
profiles=""
for m in "${models[@]}"; do
  name=$(basename "$m" .json)
  for p in $precisions; do
    ref=(); ours=(); rss=""; params=""; flops=""
    for ((r = 0; r < repeats; r++)); do
      out=$(/usr/bin/python3 "$reference" --model-config "$m" --batch-size "$batch" --threads "$threads" \
              --steps "$steps" --precision "$p")
      ref+=("$(echo "$out" | value samples_per_s)")
      out=$("$bench" --model-config "$m" --batch-size "$batch" --threads "$threads" --steps "$steps" --precision "$p")
      ours+=("$(echo "$out" | value samples_per_s)")
      params=$(echo "$out" | value params); flops=$(echo "$out" | value flops_per_step)
      rss=$(echo "$out" | value peak_rss_mb)
    done
    r_med=$(printf '%s\n' "${ref[@]}" | median)
    o_med=$(printf '%s\n' "${ours[@]}" | median)
    rows+=$(awk -v m="$name" -v pa="$params" -v p="$p" -v f="$flops" -v b="$batch" -v r="$r_med" -v o="$o_med" \
              -v pk="${peak[$p]}" -v rss="$rss" -v n="$repeats" -v rs="$(printf '%s ' "${ref[@]}")" \
              -v os="$(printf '%s ' "${ours[@]}")" \
      'BEGIN {fr = f / b * r / 1e9; fo = f / b * o / 1e9;
              printf "| %s | %.2fM | %s | %.1f | %.1f | %.1f | **%.2f** | %.0f%% | %.0f%% | %.0f | %d |\n",
                     m, pa / 1e6, p, f / 1e9, r, o, o / r, 100 * fr / pk, 100 * fo / pk, rss, n}')$'\n'
    out=$("$bench" --model-config "$m" --batch-size "$batch" --threads "$threads" --steps "$steps" --precision "$p" --profile)
    profiles+=$(echo "$out" | tail -1 | awk -v m="$name" -v p="$p" -v s="$(echo "$out" | head -1 | value step_ms)" '{
      for (i = 1; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", m, p, s, v["forward_ms"], v["loss_ms"],
             v["backward_ms"], v["optimizer_ms"], v["data_ms"]}')$'\n'
  done
done
after=""
for p in $precisions; do after+="$p $("$gemm" --threads "$threads" --precision "$p" --seconds 0.5 | tail -1 | value peak_gflops) GFLOP/s; "; done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
section=$(cat <<EOF
<!-- train-step:begin -->
## Train step vs. the GEMM peak and plain PyTorch (issue #15)

\`bash bench/run_train_step_bench.sh $batch $steps\` at commit \`$commit\` on $(date -u +%Y-%m-%d): $cpu,
$(nproc) cores, $threads threads, batch $batch, $steps timed steps after 3 warm-up steps, medians of
$repeats interleaved repeats (reference, clipscale, reference, ...). Reference: \`reference_clip_step.py\`
(PyTorch eager, Debian's python3-torch), same model JSON and precision. GEMM peak: the best of
torch::mm at 256–2048 (median of 3) — $(for p in $precisions; do printf '%s %s GFLOP/s (ISA %s, theoretical %s)  ' "$p" "${peak[$p]}" "${isa[$p]}" "${theory[$p]}"; done)
— and after the steps: $after. % of peak = 3 × analytic forward FLOPs × samples/s ÷ the GEMM peak of the precision.

| model | params | precision | GFLOP/step | reference samples/s | clipscale samples/s | ratio | reference % of peak | clipscale % of peak | peak RSS MiB | repeats |
|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows}
Per-phase profile of clipscale's step (one pass, ms; data: one global batch of synth:shapes built by
the loader on one core, which runs beside the step on its own thread in training):

| model | precision | step | towers forward | loss | backward | optimizer | data |
|---|---|---:|---:|---:|---:|---:|---:|
${profiles}
<!-- train-step:end -->
EOF
)
echo "$section"
if [ "${WRITE:-0}" = 1 ]; then
  python3 - "$section" <<'PY'
import re, sys
path = "bench/RESULTS.md"
text = open(path).read()
section = sys.argv[1].strip() + "\n"
pattern = re.compile(r"<!-- train-step:begin -->.*?<!-- train-step:end -->\n?", re.S)
text = pattern.sub(lambda m: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
  echo "wrote bench/RESULTS.md" >&2
fi
