"""The evaluation loop's results keyed by what they hold: segments or point events (engine/loops.py)."""

from __future__ import annotations

import json

import numpy as np
import torch

from actionformer.engine.loops import predict, result_arrays
from actionformer.engine.results_io import holds_points, write_results_json


class _PointModel(torch.nn.Module):
    """Answers every video with two point events."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, videos):
        return [{"video_id": v["video_id"], "times": torch.tensor([1.5, 0.5]), "scores": torch.tensor([0.9, 0.2]),
                 "labels": torch.tensor([1, 0])} for v in videos]


def test_points_stay_points_and_segments_stay_segments():
    points = result_arrays({"video_id": "a", "times": torch.tensor([1.0]), "scores": torch.tensor([0.5]),
                            "labels": torch.tensor([2])})
    assert set(points) == {"video_id", "times", "scores", "labels"} and points["times"].dtype == np.float64
    segments = result_arrays({"video_id": "b", "segments": torch.tensor([[1.0, 2.0]]), "scores": torch.tensor([0.5]),
                              "labels": torch.tensor([0])})
    assert segments["segments"].shape == (1, 2) and "times" not in segments
    assert holds_points([points]) and not holds_points([segments])


def test_predict_and_write_point_events(tmp_path):
    results = predict([[{"video_id": "g/1"}], [], [{"video_id": "g/2"}]], _PointModel())
    assert [r["video_id"] for r in results] == ["g/1", "g/2"]  # an empty batch (video left out) is skipped
    write_results_json(results, tmp_path / "points.json", ["kick", "goal"])
    written = json.loads((tmp_path / "points.json").read_text())["results"]
    best = written["g/1"][-1]  # ascending scores: SoccerNet's metric keeps the last one per frame
    assert (best["time"], best["label"]) == (1.5, "goal") and abs(best["score"] - 0.9) < 1e-6  # float32 score
    write_results_json(results, tmp_path / "points.json", ["kick", "goal"])  # our own output: replaced
