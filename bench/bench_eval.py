"""Benchmark: our detection evaluator on an ActivityNet-sized and a THUMOS-sized seeded case.

ActivityNet-sized: 4,700 videos, 200 classes, 100 predictions per video, 10 thresholds.
THUMOS-sized: 210 videos, 20 classes, 200 predictions per video, 5 thresholds.
Half of the predictions are jittered copies of ground-truth instances (with their class), half
are random segments of random classes; scores are float32, as a model gives them.

Run:  PYTHONPATH=src python bench/bench_eval.py [--repeat 3]
Prints a markdown table and writes bench/results/evaluation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from actionformer.atomic_files import atomic_write
from actionformer.evaluation import ANETdetection, default_tiou_thresholds

CASES = {
    "ActivityNet-sized": dict(num_videos=4700, num_classes=200, preds_per_video=100, gt_per_video=(1, 3),
                              duration=(30.0, 240.0), dataset="anet", seed=1),
    "THUMOS-sized": dict(num_videos=210, num_classes=20, preds_per_video=200, gt_per_video=(1, 30),
                         duration=(60.0, 600.0), dataset="thumos", seed=2),
}


# The original release's pandas/joblib evaluator on cases of these sizes, 2 CPU cores (measured
# by the project, issue #4); pandas is not a dependency, so it is not re-run here.
REFERENCE_SECONDS = {"ActivityNet-sized": 32.0, "THUMOS-sized": 8.0}


def make_case(num_videos, num_classes, preds_per_video, gt_per_video, duration, seed, **_):
    """(ground-truth dict, predictions dict of arrays, detections list)."""
    rng = np.random.default_rng(seed)
    database, detections = {}, []
    for v in range(num_videos):
        length = float(rng.uniform(*duration))
        n_gt = int(rng.integers(gt_per_video[0], gt_per_video[1] + 1))
        video_classes = rng.integers(0, num_classes, size=max(1, n_gt // 8 + 1))
        gt_start = rng.uniform(0, length * 0.9, n_gt)
        gt_end = np.minimum(gt_start + rng.uniform(1.0, length * 0.3, n_gt), length)
        gt_label = rng.choice(video_classes, n_gt)
        vid = f"v_{v:05d}"
        database[vid] = {"subset": "validation", "duration": length, "fps": 30.0, "annotations": [
            {"segment": [float(s), float(e)], "label": f"class_{l:03d}", "label_id": int(l)}
            for s, e, l in zip(gt_start, gt_end, gt_label)]}
        k_true = preds_per_video // 2
        src = rng.integers(0, n_gt, k_true)
        width = gt_end[src] - gt_start[src]
        p_start = np.concatenate([gt_start[src] + rng.normal(0, 0.15, k_true) * width,
                                  rng.uniform(0, length * 0.9, preds_per_video - k_true)])
        p_end = np.concatenate([gt_end[src] + rng.normal(0, 0.15, k_true) * width,
                                p_start[k_true:] + rng.uniform(0.5, length * 0.3, preds_per_video - k_true)])
        p_end = np.maximum(p_end, p_start)
        labels = np.concatenate([gt_label[src], rng.integers(0, num_classes, preds_per_video - k_true)])
        scores = rng.random(preds_per_video).astype(np.float32)
        detections.append({"video_id": vid, "segments": np.stack([p_start, p_end], 1).astype(np.float32),
                           "scores": scores, "labels": labels.astype(np.int64)})
    arrays = {
        "video-id": [d["video_id"] for d in detections for _ in range(len(d["scores"]))],
        "t-start": np.concatenate([d["segments"][:, 0] for d in detections]),
        "t-end": np.concatenate([d["segments"][:, 1] for d in detections]),
        "label": np.concatenate([d["labels"] for d in detections]),
        "score": np.concatenate([d["scores"] for d in detections]),
    }
    return {"database": database}, arrays, detections


def time_call(fn, repeat):
    """(best wall seconds, best CPU seconds of this process, last output): CPU time is the
    steadier figure on a shared machine."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, out


def write_record(benchmark: str, repeat: int, rows: List[Dict[str, Any]], out: str) -> None:
    """The rows and the machine they were measured on, as json at ``out`` (written atomically)."""
    record = {"benchmark": benchmark, "repeat": repeat, "python": platform.python_version(),
              "numpy": np.__version__, "cpu_count": os.cpu_count(), "machine": platform.machine(), "rows": rows}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(Path(out)) as handle:
        json.dump(record, handle, indent=2)
    print(f"\nwritten to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "evaluation.json"))
    args = parser.parse_args()

    rows = []
    for name, spec in CASES.items():
        gt, arrays, detections = make_case(**spec)
        thresholds = default_tiou_thresholds(spec["dataset"])
        load_s, _, evaluator = time_call(lambda: ANETdetection(gt, "validation", thresholds), 1)
        dict_s, dict_cpu, out = time_call(lambda: evaluator.evaluate(arrays, verbose=False), args.repeat)
        det_s, det_cpu, out_det = time_call(lambda: evaluator.evaluate(detections, verbose=False), args.repeat)
        assert np.array_equal(out[0], out_det[0])
        rows.append({
            "case": name, "videos": spec["num_videos"], "classes": spec["num_classes"],
            "predictions": int(len(arrays["score"])), "ground_truth": len(evaluator.ground_truth),
            "thresholds": int(len(thresholds)), "load_gt_s": load_s, "evaluate_dict_s": dict_s,
            "evaluate_dict_cpu_s": dict_cpu, "evaluate_detections_s": det_s, "evaluate_detections_cpu_s": det_cpu,
            "reference_s": REFERENCE_SECONDS[name], "average_mAP": float(out[1]),
        })

    print("| case | videos | classes | predictions | GT | thresholds | evaluate, dict of arrays (wall / CPU) | "
          "evaluate, detections list (wall / CPU) | GT load | original (pandas/joblib) | speed-up (wall) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['videos']} | {r['classes']} | {r['predictions']:,} | {r['ground_truth']:,} | "
              f"{r['thresholds']} | {r['evaluate_dict_s']:.3f} s / {r['evaluate_dict_cpu_s']:.3f} s | "
              f"{r['evaluate_detections_s']:.3f} s / {r['evaluate_detections_cpu_s']:.3f} s | "
              f"{r['load_gt_s']:.3f} s | ~{r['reference_s']:.0f} s | "
              f"{r['reference_s'] / r['evaluate_dict_s']:.0f}x |")
    write_record("evaluation", args.repeat, rows, args.out)


if __name__ == "__main__":
    main()
