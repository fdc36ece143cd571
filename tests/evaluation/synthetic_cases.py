"""Seeded random ground truth and predictions with many ties, for the equivalence tests and the benchmark."""

from __future__ import annotations

import numpy as np


def make_case(seed: int, num_videos: int = 12, num_classes: int = 5, preds_per_video: int = 30,
              max_gt: int = 6, grid: float = 0.5, score_levels: int = 7, subsets=("Test", "Validation")):
    """(database dict, predictions dict of arrays). Coarse grids make tIoU and score ties common."""
    rng = np.random.default_rng(seed)
    database = {}
    vids, starts, ends, labels, scores = [], [], [], [], []
    for v in range(num_videos):
        duration = float(rng.integers(20, 60))
        annotations = []
        for _ in range(int(rng.integers(0, max_gt + 1))):
            s = float(rng.integers(0, int(duration / grid) - 2)) * grid
            e = s + float(rng.integers(0, 12)) * grid  # zero-length ones get removed
            label = int(rng.integers(0, num_classes))
            annotations.append({"segment": [s, e], "label": f"class{label}", "label_id": label})
        if annotations and rng.random() < 0.3:  # an exact duplicate
            annotations.append(dict(annotations[0]))
        vid = f"video_{v:03d}"
        database[vid] = {"subset": subsets[v % len(subsets)], "duration": duration, "fps": 30.0,
                         "annotations": annotations}
        for _ in range(preds_per_video):
            s = float(rng.integers(0, int(duration / grid))) * grid
            e = s + float(rng.integers(1, 14)) * grid
            vids.append(vid if rng.random() > 0.05 else f"stray_{v}")
            starts.append(s)
            ends.append(e)
            labels.append(int(rng.integers(0, num_classes)))
            scores.append(float(rng.integers(1, score_levels + 1)) / score_levels)
    if not any(a["segment"][1] - a["segment"][0] > 1e-3 for v in database.values() for a in v["annotations"]):
        # every case needs one instance to evaluate against (an evaluation with none is an input error)
        database["video_000"]["annotations"].append({"segment": [1.0, 3.0], "label": "class0", "label_id": 0})
    preds = {"video-id": vids, "t-start": np.array(starts), "t-end": np.array(ends),
             "label": np.array(labels), "score": np.array(scores)}
    return {"database": database}, preds
