#!/usr/bin/env python3
"""Makes the anchor data of the analysis tests from ../shared/anchors/ (see the README there).

    /usr/bin/python3 tests/analysis/data/make_anchor_data.py [ANCHORS_DIR]

Writes, next to this script:
  chinchilla_svg_extracted_data.csv  Epoch AI's 245-point reconstruction of Chinchilla Fig. 4,
                                     copied unchanged (sha256 checked)
  chinchilla_expected_fits.csv       the project's table of expected Chinchilla fits, unchanged
  openclip_zeroshot_subset.csv       the rows of Cherti et al.'s zeroshot_results.csv for
                                     imagenet1k, imagenet_robustness, mscoco_captions and
                                     flickr30k (128 of 1312), with the columns the fits use
  openclip_golden.csv                the binned-frontier / OLS fits of those rows, computed here
                                     with numpy independently of the C++ code: the recipe of
                                     reference/scaling-methods.md section 1 (x = log10 gmacs_total,
                                     y = log10 error, 5 equal bins over [min x, max x + 0.1], the
                                     minimum y of each non-empty bin at the bin centre, least
                                     squares line; alpha = slope, beta = 10^intercept), and plain
                                     least squares on the 3 OpenAI (CLIP-WIT) models.
"""
import csv
import hashlib
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ANCHORS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared", "anchors")

CHINCHILLA_SHA256 = "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"
OPENCLIP_SHA256 = "a04786cfcde5d47436c8ddbca0f0bdbb39cc584c0d0776b4f99145ae430a6568"
TARGETS = {  # downstream dataset -> metric whose 1 - value is the error
    "imagenet1k": "acc1",
    "imagenet_robustness": "acc1",
    "mscoco_captions": "image_retrieval_recall@5",
    "flickr30k": "image_retrieval_recall@5",
}
COLUMNS = ["arch", "samples_seen", "gmacs_total", "gmacs", "upstream_dataset", "downstream_dataset", "acc1",
           "image_retrieval_recall@5", "name"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def checked(path, expected):
    found = sha256(path)
    if found != expected:
        sys.exit(f"{path}: sha256 {found}, expected {expected} (see its README)")
    return path


def binned_fit(x, y, bins=5, pad=0.1):
    edges = np.linspace(x.min(), x.max() + pad, bins + 1)
    which = np.digitize(x, edges)  # bin i+1 holds edges[i] <= x < edges[i+1]
    cx, cy = [], []
    for i in range(bins):
        inside = y[which == i + 1]
        if inside.size:
            cx.append((edges[i] + edges[i + 1]) / 2)
            cy.append(inside.min())
    return line_fit(np.array(cx), np.array(cy)) + (len(cx),)


def line_fit(x, y):
    slope, intercept = np.linalg.lstsq(np.vstack([x, np.ones(len(x))]).T, y, rcond=None)[0]
    return float(slope), float(10 ** intercept)


def main():
    shutil.copyfile(checked(os.path.join(ANCHORS, "chinchilla", "svg_extracted_data.csv"), CHINCHILLA_SHA256),
                    os.path.join(HERE, "chinchilla_svg_extracted_data.csv"))
    shutil.copyfile(os.path.join(ANCHORS, "chinchilla", "expected_fits.csv"),
                    os.path.join(HERE, "chinchilla_expected_fits.csv"))

    source = checked(os.path.join(ANCHORS, "openclip-scaling", "zeroshot_results.csv"), OPENCLIP_SHA256)
    with open(source, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["downstream_dataset"] in TARGETS]
    with open(os.path.join(HERE, "openclip_zeroshot_subset.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

    with open(os.path.join(HERE, "openclip_golden.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["downstream_dataset", "line", "alpha", "beta", "n_points"])
        for dataset, metric in TARGETS.items():
            for line in ("LAION", "OpenAI"):
                sel = [r for r in rows if r["downstream_dataset"] == dataset and
                       (r["upstream_dataset"] == "CLIP-WIT") == (line == "OpenAI")]
                x = np.log10(np.array([float(r["gmacs_total"]) for r in sel]))
                y = np.log10(1 - np.array([float(r[metric]) for r in sel]))
                if line == "LAION":
                    alpha, beta, n = binned_fit(x, y)
                else:
                    (alpha, beta), n = line_fit(x, y), len(sel)
                w.writerow([dataset, line, repr(alpha), repr(beta), n])


if __name__ == "__main__":
    main()
