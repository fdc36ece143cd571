"""Tiny ground truth and predictions built by hand (shared by the analysis and picture tests)."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from actionformer.evaluation.ground_truth import GroundTruth, load_ground_truth
from actionformer.evaluation.predictions import Predictions, to_predictions


def make_ground_truth(videos: Dict[str, List[Tuple[float, float, int]]], duration: float = 100.0) -> GroundTruth:
    """{video: [(start, end, label_id), ...]} -> GroundTruth; classes are named c0, c1, ..."""
    database = {vid: {"subset": "test", "duration": duration,
                      "annotations": [{"segment": [s, e], "label": f"c{c}", "label_id": c} for s, e, c in anns]}
                for vid, anns in videos.items()}
    return load_ground_truth({"database": database})


def make_predictions(rows: Sequence[Tuple[str, float, float, int, float]]) -> Predictions:
    """[(video, start, end, label_id, score), ...] -> Predictions."""
    return to_predictions({
        "video-id": [r[0] for r in rows],
        "t-start": np.array([r[1] for r in rows], dtype=float),
        "t-end": np.array([r[2] for r in rows], dtype=float),
        "label": np.array([r[3] for r in rows], dtype=np.int64),
        "score": np.array([r[4] for r in rows], dtype=float),
    })


def random_case(seed: int, num_videos: int = 4, num_classes: int = 3, num_gt: int = 24,
                num_preds: int = 80) -> Tuple[GroundTruth, Predictions]:
    """Random instances and predictions near them (distinct scores: no tie-order questions)."""
    rng = np.random.default_rng(seed)
    videos: Dict[str, List[Tuple[float, float, int]]] = {f"v{i}": [] for i in range(num_videos)}
    for _ in range(num_gt):
        start = float(rng.uniform(0, 80))
        videos[f"v{rng.integers(num_videos)}"].append((start, start + float(rng.uniform(1, 20)),
                                                       int(rng.integers(num_classes))))
    gt = make_ground_truth(videos)
    rows = []
    scores = rng.permutation(num_preds) / num_preds + 0.001
    for i in range(num_preds):
        g = int(rng.integers(len(gt)))
        jitter = rng.normal(0, 3, size=2)
        start = float(gt.gt_start[g] + jitter[0])
        rows.append((gt.video_ids[int(gt.gt_video[g])], start, max(start + 0.5, float(gt.gt_end[g] + jitter[1])),
                     int(rng.integers(num_classes)) if rng.random() < 0.3 else int(gt.gt_label[g]), float(scores[i])))
    return gt, make_predictions(rows)
