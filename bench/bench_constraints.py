"""Speed of TemporalConstraints on one video's detections (the issue's target: 3,000 detections
under all rules in under 50 ms on a CPU; the seed fork's Python loops took 25 s).

Cases: 3,000 detections over 20 classes (typical), and the worst case for the greedy rules: all
3,000 in one class with min_gap (an n x n conflict matrix). Median of repeated runs, numpy only.
Prints a table and writes bench/results/constraints.json.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Dict

import numpy as np

from actionformer.postprocess.constraints import TemporalConstraints

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "constraints.json"
ALL_RULES = {"classes": {"*": {"min_duration": 0.5, "max_duration": 15.0, "min_gap": 1.0, "merge_gap": 0.2}},
             "exclusive": [[0, 1, 2], [3, 4]], "max_per_video": 200}


def detections(n: int, num_classes: int, seed: int = 0) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 600, n)
    return {"segments": np.stack([start, start + rng.uniform(0.1, 20, n)], 1), "scores": rng.random(n),
            "labels": rng.integers(0, num_classes, n)}


def spaced(n: int) -> Dict[str, np.ndarray]:
    """The worst case for the greedy walk: nothing conflicts, so every detection is kept."""
    start = np.arange(n, dtype=np.float64)
    return {"segments": np.stack([start, start + 0.5], 1), "scores": np.random.default_rng(0).random(n),
            "labels": np.zeros(n, dtype=np.int64)}


def time_ms(rules: TemporalConstraints, det: Dict[str, Any], repeats: int = 20) -> float:
    rules.apply(det)  # warm-up
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        rules.apply(det)
        runs.append((time.perf_counter() - began) * 1e3)
    return statistics.median(runs)


def main() -> None:
    cases = [
        ("3000 dets, 20 classes, all rules", detections(3000, 20), ALL_RULES),
        ("3000 dets, 1 class, all rules", detections(3000, 1), ALL_RULES),
        ("3000 dets, 1 class, min_gap only", detections(3000, 1), {"classes": {"*": {"min_gap": 0.0}}}),
        ("3000 dets, 20 classes, merge only", detections(3000, 20), {"classes": {"*": {"merge_gap": 0.5}}}),
        ("3000 dets, 1 class, min_gap, all kept", spaced(3000), {"classes": {"*": {"min_gap": 0.1}}}),
        ("300 dets, 20 classes, all rules", detections(300, 20), ALL_RULES),
    ]
    rows = []
    print(f"{'case':<38} {'median ms':>10} {'kept':>6}")
    for name, det, mapping in cases:
        rules = TemporalConstraints.from_mapping(mapping)
        ms = time_ms(rules, det)
        kept = len(rules.apply(det)["scores"])
        rows.append({"case": name, "median_ms": ms, "kept": kept})
        print(f"{name:<38} {ms:>10.2f} {kept:>6}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "machine": "2-core CPU shared with other jobs"}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
