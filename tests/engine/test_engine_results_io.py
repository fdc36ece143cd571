"""Detections and metrics as JSON: layout, label names, sorting, NaN handling."""

from __future__ import annotations

import json
import math

import numpy as np

from actionformer.engine.loops import detections_to_flat
from actionformer.engine.results_io import write_detections_json, write_json_atomic
from actionformer.evaluation.evaluators import json_ready


def _detections():
    return [
        {"video_id": "b", "segments": np.array([[1.0, 2.0], [3.0, 4.5]]), "scores": np.array([0.2, 0.9]),
         "labels": np.array([1, 0])},
        {"video_id": "a", "segments": np.zeros((0, 2)), "scores": np.zeros(0), "labels": np.zeros(0, dtype=int)},
    ]


def test_detections_json_has_seconds_names_ids_and_scores_sorted(tmp_path):
    path = write_detections_json(_detections(), tmp_path / "d.json", {0: "Jump", 1: "Wave"})
    data = json.loads(path.read_text())
    rows = data["results"]["b"]
    assert [r["score"] for r in rows] == [0.9, 0.2]
    assert rows[0] == {"segment": [3.0, 4.5], "label": "Jump", "label_id": 0, "score": 0.9}
    assert data["results"]["a"] == []


def test_flat_format_of_the_original():
    flat = detections_to_flat(_detections())
    assert flat["video-id"] == ["b", "b"]
    assert flat["t-start"].tolist() == [1.0, 3.0] and flat["label"].dtype == np.int64


def test_metrics_become_valid_json(tmp_path):
    metrics = json_ready({"mAP": np.array([0.5, math.nan]), "n": np.int64(3)})
    assert metrics == {"mAP": [0.5, None], "n": 3}
    write_json_atomic(metrics, tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text()) == metrics
