#!/usr/bin/env bash
# Re-creates results/anchors/: the fits, reports and plots of the published tables in
# ../shared/anchors/, made with the clipscale binary. Runs from the repository root, so the paths
# recorded in the reports are relative to it.
#   bash results/anchors/make.sh [CLIPSCALE_BINARY] [ANCHORS_DIR]
# Defaults: build/src/cli/clipscale and ../shared/anchors.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-build/src/cli/clipscale}")
anchors=${2:-../shared/anchors}
here=results/anchors
table=$anchors/openclip-scaling/zeroshot_results.csv

# Compute targets the scaling-laws-openclip notebook extrapolates to (GMACs): ViT-g/14 at 34B
# samples (407332084 × 84 samples × 290.74), ViT-H/14 at 68B (2 × 407332084 × 84 × 190.97) and
# ViT-G/14 at 68B (2 × 407332084 × 84 × 532.92).
at=9.947929e12,1.3068419e13,3.6468670e13

# Cherti et al. 2023, Figure 1: E = beta · C^alpha on C = gmacs_total; LAION runs (80M, 400M and
# 2B pooled) on the binned frontier (5 bins, pad 0.1 decades), the 3 OpenAI models by plain OLS.
fit_openclip() {  # downstream_dataset metric
  "$bin" fit "$table" --metric "$2" --x gmacs_total --x-unit GMACs --id name \
    --where "downstream_dataset=$1" \
    --variant 'LAION:upstream_dataset!=CLIP-WIT' --variant 'OpenAI:upstream_dataset=CLIP-WIT' \
    --frontier binned --frontier OpenAI=all --bins 5 --pad 0.1 \
    --bootstrap 1000 --seed 0 --threads 2 --reference LAION --at "$at" \
    --title "OpenCLIP zero-shot scaling (Cherti et al. 2023): $1, E = 1 - $2" \
    --out "$here/openclip-$1"
}
fit_openclip imagenet1k acc1
fit_openclip imagenet_robustness acc1
fit_openclip mscoco_captions image_retrieval_recall@5
fit_openclip flickr30k image_retrieval_recall@5

# Hoffmann et al. 2022 approach 3 on Epoch AI's reconstruction: the 240 points left after dropping
# the 5 highest losses, D = C / (6 N), Huber (delta 1e-3) on log residuals.
"$bin" fit "$anchors/chinchilla/svg_extracted_data.csv" --metric loss --law joint \
  --x "Training FLOP" --x-unit FLOPs --n "Model Size" --d-from-compute 6 --where 'loss<3.44699' \
  --compute-per-nd 6 --bootstrap 1000 --seed 42 --threads 2 --at 5.88e23,1e24,1e25 \
  --title "Chinchilla approach 3 (Hoffmann et al. 2022) on Epoch AI's 240 points" \
  --out "$here/chinchilla"

# One report over all of them (each folder also keeps its own report.md).
"$bin" report "$here"/openclip-imagenet1k "$here"/openclip-imagenet_robustness "$here"/openclip-mscoco_captions \
  "$here"/openclip-flickr30k "$here"/chinchilla --out "$here" --title "clipscale on the published anchors"
