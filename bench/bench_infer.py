"""Benchmark: peak memory and time of inference on long videos, full length vs windowed.

The THUMOS14 I3D model (configs/thumos_i3d.yaml, random weights: speed and memory do not depend
on them) on one synthetic video of T feature steps (2048 channels; 4608 steps = 10 min of THUMOS
features, 73728 = 2.7 h). "full" runs the model's own full-length pass (``--window-steps`` above
T); "windowed" runs windows of ``--window`` steps with the exact stitching of
``actionformer.inference.windows``. Each case runs in a fresh process so that its peak resident
memory (ru_maxrss) is its own; the features themselves (T x 2048 float32) are included. Also
checks that both give the same detections where both ran. Prints a table and writes
bench/results/infer.json.

    PYTHONPATH=src python bench/bench_infer.py [--lengths 4608 18432 73728] [--window 16384] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

RESULTS = Path(__file__).resolve().parent / "results" / "infer.json"
CONFIG = Path(__file__).resolve().parent.parent / "configs" / "thumos_i3d.yaml"


def one_case(length: int, window: int, threads: int) -> Dict[str, Any]:
    """Run in the child process: build, warm up on a short video, then time the long one."""
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from actionformer.config import load_config
    from actionformer.engine.build import build_model
    from actionformer.inference import Detector

    cfg = load_config(str(CONFIG))
    torch.manual_seed(0)
    detector = Detector(build_model(cfg).eval(), cfg, device="cpu", window_steps=window)
    feats = np.random.default_rng(0).standard_normal(size=(length, 2048), dtype=np.float32)  # no float64 copy
    detector(feats[:512], layout="TC", fps=30.0)  # warm-up (and the receptive-field probe if windowed)
    start = time.perf_counter()
    found = detector(feats, layout="TC", fps=30.0)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    top = [[round(d.start, 3), round(d.end, 3), d.label, round(d.score, 5)] for d in found[:20]]
    return {"length": length, "window": window, "seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb),
            "margin": detector._margin, "detections": len(found), "top": top}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[4608, 18432, 73728])
    parser.add_argument("--window", type=int, default=16384, help="window steps of the windowed runs")
    parser.add_argument("--full-max", type=int, default=73728, help="longest video also run full length")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file of the results")
    parser.add_argument("--case", nargs=3, type=int, help=argparse.SUPPRESS)  # child: length window threads
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one_case(*args.case)))
        return
    rows: List[Dict[str, Any]] = []
    for length in args.lengths:
        modes = [("windowed", min(args.window, length - 1))]
        if length <= args.full_max:
            modes.insert(0, ("full", length + 1))
        for mode, window in modes:
            out = subprocess.run([sys.executable, __file__, "--case", str(length), str(window), str(args.threads)],
                                 capture_output=True, text=True, check=True, env=dict(os.environ))
            row = dict(json.loads(out.stdout.strip().splitlines()[-1]), mode=mode)
            rows.append(row)
            print(f"| {length:>6} | {mode:<8} | {row['seconds']:>8.2f} | {row['peak_rss_mb']:>8} "
                  f"| {row['detections']} |", flush=True)
    same = {}
    for length in args.lengths:
        pair = [r for r in rows if r["length"] == length]
        if len(pair) == 2:
            a, b = pair[0]["top"], pair[1]["top"]
            same[length] = len(a) == len(b) and all(
                abs(x[0] - y[0]) < 1e-3 and abs(x[1] - y[1]) < 1e-3 and x[2] == y[2] and abs(x[3] - y[3]) < 1e-4
                for x, y in zip(a, b))
    print("top-20 detections equal (full vs windowed):", same)
    args.results.parent.mkdir(exist_ok=True)
    args.results.write_text(json.dumps({"machine": platform.platform(), "cpu_count": os.cpu_count(),
                                   "threads": args.threads, "rows": rows, "same_top20": same}, indent=1))
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
