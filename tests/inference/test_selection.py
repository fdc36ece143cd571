"""Keeping part of each video's results: --min-score, --top-k, --constraints."""

from __future__ import annotations

import pytest
import torch

from actionformer.inference import InferenceError
from actionformer.inference.selection import apply_selection, load_temporal_constraints, select

RESULTS = [{"video_id": "a", "segments": torch.tensor([[1.0, 2.0], [0.5, 4.0]]), "scores": torch.tensor([0.2, 0.9]),
            "labels": torch.tensor([1, 0])},
           {"video_id": "b", "segments": torch.zeros(0, 2), "scores": torch.zeros(0),
            "labels": torch.zeros(0, dtype=torch.long)}]


def test_min_score_and_top_k_filter_every_per_detection_array():
    kept = select(RESULTS[0], min_score=0.1, top_k=1)
    assert kept["scores"].tolist() == pytest.approx([0.9]) and kept["segments"].tolist() == [[0.5, 4.0]]
    assert [len(r["scores"]) for r in apply_selection(RESULTS, min_score=0.5)] == [1, 0]


def test_constraints_from_a_missing_file_are_a_usage_error(tmp_path):
    with pytest.raises(InferenceError, match="--constraints .*rules.yaml: no such file") as err:
        load_temporal_constraints(str(tmp_path / "rules.yaml"), ["Jump"])
    assert err.value.code == 2


def test_constraints_with_an_unknown_class_name_the_flag_and_the_class(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("classes:\n  Jumpp: {min_duration: 1.0}\n")
    with pytest.raises(InferenceError, match="--constraints .*Jumpp") as err:
        load_temporal_constraints(str(rules), ["Jump"])
    assert err.value.code == 2
