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


def test_constraints_use_the_utilities_module_or_say_it_is_missing(tmp_path):
    try:
        import actionformer.postprocess.constraints  # noqa: F401
    except ImportError:
        with pytest.raises(InferenceError, match="actionformer.postprocess.constraints") as err:
            load_temporal_constraints(str(tmp_path / "rules.yaml"), ["Jump"])
        assert err.value.code == 2
    else:
        pytest.skip("the constraints module is installed: tested where it is defined")
