"""Interleaved A/B of our model's speed between two source trees (e.g. before / after a change).

    python bench/bench_model_ab.py --before /tmp/base --after . --rounds 5 train 2304 1000 9216

Each run is a fresh process that loads the tree's own ``bench/bench_model.py`` and times our
model only (``train``: median of 3 training steps; a number: median of 5 inferences of that
length); the trees alternate run by run, and which goes first alternates by round, so load from
other jobs on a shared machine hits both alike. Prints every run, then the medians and minima
over the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Dict, List

CHILD = r"""
import importlib.util, json, sys, torch
torch.set_num_threads(2)
spec = importlib.util.spec_from_file_location("bm", sys.argv[1] + "/bench/bench_model.py")
bm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bm)
what = sys.argv[2]
if what == "train":
    result = bm.time_train_steps({"fast": True}, 3)["fast"]
else:
    result = bm.time_inference({"fast": True}, int(what), 5)["fast"]
print(json.dumps(result))
"""


def run(tree: str, what: str) -> Dict[str, float]:
    env = {"PYTHONPATH": tree + "/src", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", CHILD, tree, what], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("what", nargs="+", help="'train' or inference lengths")
    args = parser.parse_args()
    trees = {"before": args.before, "after": args.after}
    runs: Dict[str, Dict[str, List[Dict[str, float]]]] = {w: {t: [] for t in trees} for w in args.what}
    for i in range(args.rounds):
        order = list(trees) if i % 2 == 0 else list(trees)[::-1]
        for what in args.what:
            for name in order:
                runs[what][name].append(run(trees[name], what))
                print(i, what, name, runs[what][name][-1], flush=True)
    for what in args.what:
        for name in trees:
            for key in ("seconds", "cpu_seconds"):
                values = [r[key] for r in runs[what][name]]
                print(what, name, key, "median", round(statistics.median(values), 3), "min", round(min(values), 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
