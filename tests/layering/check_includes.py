#!/usr/bin/env python3
"""Checks the module map of DESIGN.md on the source tree: every `#include "folder/..."` of a file
in src/<module>/ or analysis/ must name its own module or one the map lets it use, and the
LibTorch-free modules must not include LibTorch (<torch/...>, <ATen/...>, <c10/...>).

  check_includes.py ROOT          exit 1 and one line per broken rule, exit 0 when the tree is clean
  check_includes.py --self-test   proves the check fails on an upward include and a LibTorch leak
"""
import os
import re
import shutil
import sys
import tempfile

# module -> the modules it may include (besides itself). Keep in step with README's module table.
ALLOWED = {
    "core": set(),
    "config": {"core"},
    "io": {"core"},
    "spec": {"core", "config"},
    "text": {"core"},
    "data": {"core", "config", "spec", "text"},
    "model": {"core", "spec"},
    "dist": {"core"},
    "convert": {"core", "config", "spec", "text", "data"},
    "eval": {"core", "spec", "text", "model", "data", "dist", "io"},
    "curate": {"core", "config", "io", "spec", "text", "data", "model", "dist", "eval"},
    "train": {"core", "config", "io", "spec", "text", "data", "model", "dist", "eval", "analysis"},
    "sweep": {"core", "config", "io", "spec"},
    "analysis": {"core", "io", "spec"},
    "cli": {"core", "config", "io", "spec", "text", "data", "model", "dist", "convert", "eval", "curate", "train",
            "sweep", "analysis"},
    "pch": set(),
}
TORCH_FREE = {"core", "config", "io", "spec", "sweep", "analysis"}
MODULES = set(ALLOWED)
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
TORCH = re.compile(r"^(torch|ATen|c10)/")
SOURCE = (".h", ".hpp", ".cpp", ".cc", ".inc")


def module_folders(root):
    for module in sorted(MODULES):
        folder = os.path.join(root, "analysis") if module == "analysis" else os.path.join(root, "src", module)
        if os.path.isdir(folder):
            yield module, folder


def check(root):
    problems = []
    for module, folder in module_folders(root):
        for dirpath, _, files in os.walk(folder):
            for name in sorted(files):
                if not name.endswith(SOURCE):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(2)
                        where = f"{os.path.relpath(path, root)}:{number}"
                        if m.group(1) == "<" and TORCH.match(target) and module in TORCH_FREE:
                            problems.append(f"{where}: {module}/ is LibTorch-free but includes <{target}>")
                        first = target.split("/", 1)[0]
                        if m.group(1) == '"' and "/" in target and first in MODULES and first != module:
                            if first not in ALLOWED[module]:
                                problems.append(f"{where}: {module}/ may not include \"{target}\" "
                                                f"({module} may use: {', '.join(sorted(ALLOWED[module])) or 'nothing'})")
    return problems


def self_test():
    tmp = tempfile.mkdtemp(prefix="clipscale-layering-")
    try:
        os.makedirs(os.path.join(tmp, "src", "model"))
        os.makedirs(os.path.join(tmp, "src", "sweep"))
        with open(os.path.join(tmp, "src", "model", "ok.h"), "w") as f:
            f.write('#include "core/error.h"\n#include "spec/model_config.h"\n')
        assert check(tmp) == [], check(tmp)
        with open(os.path.join(tmp, "src", "model", "bad.cpp"), "w") as f:
            f.write('#include "model/ok.h"\n#include "train/trainer.h"\n')
        with open(os.path.join(tmp, "src", "sweep", "leak.cpp"), "w") as f:
            f.write("#include <torch/torch.h>\n")
        found = check(tmp)
        assert any("src/model/bad.cpp:2" in p and "train/trainer.h" in p for p in found), found
        assert any("src/sweep/leak.cpp:1" in p and "LibTorch-free" in p for p in found), found
        assert len(found) == 2, found
    finally:
        shutil.rmtree(tmp)
    print("self-test passed: an upward include and a LibTorch leak are both reported")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(argv[1])
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include(s) break the module map (README, Design). HINT: move the code down the map, "
              "or pass what is needed in from above.")
        return 1
    print("include rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
