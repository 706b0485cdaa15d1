#!/usr/bin/env python3
"""Checks a finished clipscale run file with h5py, as a researcher's notebook would read it.

  /usr/bin/python3 read_run_file.py RUN.h5 EXPECTED_STEPS

Exits 1 with a message on the first attribute or series that is missing or inconsistent.
"""
import sys

import h5py
import numpy as np

REQUIRED_ATTRS = ["schema_version", "run_id", "config_toml", "git_sha", "params_image", "params_text",
                  "params_total", "flops_per_sample", "samples_seen_target", "data_size", "variant", "seed",
                  "world_size", "status"]
SERIES = ["step", "samples_seen", "loss", "lr", "logit_scale", "samples_per_s", "data_wait_s"]


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def main():
    path, steps = sys.argv[1], int(sys.argv[2])
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        for name in REQUIRED_ATTRS:
            if name not in f.attrs:
                fail(f"attribute {name} missing")
        if f.attrs["status"] != "done":
            fail(f"status {f.attrs['status']}")
        if f.attrs["params_total"] != f.attrs["params_image"] + f.attrs["params_text"] + 1:
            fail("params_total != image + text + logit_scale")
        for name in SERIES:
            if f["train/" + name].shape != (steps,):
                fail(f"train/{name} has shape {f['train/' + name].shape}, expected ({steps},)")
        if not np.array_equal(f["train/step"][...], np.arange(1, steps + 1)):
            fail("train/step is not 1..steps")
        if f["train/samples_seen"][-1] != f.attrs["samples_seen_target"]:
            fail("last samples_seen != samples_seen_target")
        if not np.all(np.isfinite(f["train/loss"][...])):
            fail("non-finite loss")
        for task in ["zeroshot_shape", "zeroshot_color", "retrieval"]:
            group = f["eval/" + task]
            metric = "top1" if task != "retrieval" else "image_to_text_r1"
            if not 0.0 <= group.attrs[metric] <= 1.0:
                fail(f"eval/{task} final {metric} = {group.attrs[metric]}")
            if group[metric][-1] != group.attrs[metric]:
                fail(f"eval/{task}/{metric} last value differs from the final attribute")
    print("ok")


if __name__ == "__main__":
    main()
