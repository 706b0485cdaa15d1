#!/usr/bin/env bash
# Kill-and-resume at many random points: one uninterrupted run, then N runs each killed at a
# random failpoint (SIGKILL inside a step, while a checkpoint is written or while a run-file row
# is flushed; or SIGUSR1/SIGTERM at a step) and resumed with the same command until it finishes.
# Each is compared with the uninterrupted run: final weights byte for byte, every run-file row,
# every eval point and final metric. Prints how many ended bit-identical.
#   bash bench/run_resume_bench.sh [runs=50] [seed=1]
# Env: CLIPSCALE_BUILD (default build), KEEP=1 keeps the scratch directory.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
RANDOM=${2:-1}
binary="${CLIPSCALE_BUILD:-build}/src/cli/clipscale"
[ -x "$binary" ] || { echo "missing $binary: build first (bash cmake/build.sh)" >&2; exit 2; }
work=$(mktemp -d /tmp/clipscale_resume_bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

cat > "$work/tiny.json" <<'JSON'
{"embed_dim": 32,
 "vision_cfg": {"image_size": 16, "patch_size": 4, "width": 32, "layers": 1, "head_width": 16, "mlp_ratio": 2.0},
 "text_cfg": {"context_length": 16, "vocab_size": 600, "width": 32, "heads": 2, "layers": 1, "mlp_ratio": 2.0}}
JSON
cat > "$work/run.toml" <<TOML
[run]
name = "bench"
[model]
config = "$work/tiny.json"
[data]
data_size = 2000
vocab_corpus = 2000
[train]
samples_seen = 640
global_batch_size = 32
precision = "fp32"
threads = 1
[optim]
lr = 0.002
warmup_samples = 64
[eval]
every_samples = 192
zeroshot_size = 48
retrieval_size = 40
[checkpoint]
every_samples = 128
TOML

train() { "$binary" train "$work/run.toml" --set run.output_dir="$1" >>"$1.log" 2>&1; }
train "$work/whole" || { echo "the uninterrupted run failed: $work/whole.log" >&2; exit 1; }

compare=$(cat <<'PY'
import glob, sys, h5py, numpy as np
a_dir, b_dir = sys.argv[1], sys.argv[2]
def only(pattern):
    found = glob.glob(pattern)
    assert len(found) == 1, pattern
    return found[0]
wa = open(only(a_dir + "/bench/checkpoints/*/final/model.safetensors"), "rb").read()
wb = open(only(b_dir + "/bench/checkpoints/*/final/model.safetensors"), "rb").read()
fa, fb = h5py.File(only(a_dir + "/bench/runs/*.h5"), "r"), h5py.File(only(b_dir + "/bench/runs/*.h5"), "r")
same = wa == wb and fb.attrs["status"] == "done"
for name in ("step", "samples_seen", "loss", "lr", "logit_scale"):
    same &= np.array_equal(fa["train/" + name][:], fb["train/" + name][:])
for task in fa["eval"]:
    for series in fa["eval"][task]:
        same &= np.array_equal(fa["eval"][task][series][:], fb["eval"][task][series][:], equal_nan=True)
    for metric, value in fa["eval"][task].attrs.items():
        other = fb["eval"][task].attrs[metric]
        same &= bool(value == other or (np.isnan(value) and np.isnan(other)))
print("identical" if same else "DIFFERENT")
PY
)

identical=0
declare -A by_point
for ((i = 1; i <= runs; i++)); do
  case $((RANDOM % 5)) in
    0|1) point="step:$((RANDOM % 19 + 1))" ;;
    2) point="checkpoint_write:$((RANDOM % 4 + 1))" ;;
    3) point="run_file_flush:$((RANDOM % 160 + 1))" ;;
    4) point="step:$((RANDOM % 19 + 1)):$([ $((RANDOM % 2)) = 0 ] && echo usr1 || echo term)" ;;
  esac
  out="$work/run$i"
  CLIPSCALE_FAILPOINT=$point train "$out" && first=0 || first=$?
  attempts=1
  until train "$out"; do
    attempts=$((attempts + 1))
    [ $attempts -le 3 ] || { echo "run $i ($point): resume keeps failing: $out.log" >&2; break; }
  done
  verdict=$(/usr/bin/python3 -c "$compare" "$work/whole" "$out" 2>&1 || echo "DIFFERENT (compare failed)")
  [ "$verdict" = identical ] && identical=$((identical + 1))
  kind=${point%%:*}; [[ $point == *:usr1 || $point == *:term ]] && kind="signal"
  by_point[$kind]=$(( ${by_point[$kind]:-0} + 1 ))
  printf '%3d  %-22s first exit %3d  %s\n' "$i" "$point" "$first" "$verdict"
done
echo
for kind in "${!by_point[@]}"; do echo "  $kind: ${by_point[$kind]} runs"; done
echo "bit-identical after kill and resume: $identical / $runs"
