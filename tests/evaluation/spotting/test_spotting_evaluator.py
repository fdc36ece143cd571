"""The ``spotting`` evaluator: registration, construction from a dataset and a config, its outputs."""

import json

import numpy as np
import pytest
import torch

from actionformer.evaluation import EvaluationInputError
from actionformer.evaluation.evaluators import EVALUATORS
from actionformer.evaluation.spotting import SpottingEvaluator

GROUND_TRUTH = {"classes": ["goal", "snap"], "videos": {
    "v1": {"times": np.array([10.0, 30.0]), "labels": np.array([0, 1]), "visible": np.array([True, False])},
    "v2": {"times": np.array([5.0]), "labels": np.array([1]), "visible": np.array([True])}}}
PERFECT = [{"video_id": "v1", "times": torch.tensor([10.0, 30.0]), "scores": torch.tensor([0.9, 0.8]),
            "labels": torch.tensor([0, 1])},
           {"video_id": "v2", "times": np.array([5.0]), "scores": np.array([0.7]), "labels": np.array([1])}]


class PointDataset:
    skipped_videos = ()

    def to_spotting_ground_truth(self):
        return GROUND_TRUTH


class SegmentDataset:
    """A detection-style dataset: the evaluator takes the centres of its segments."""

    label_dict = {"goal": 0, "snap": 1}
    skipped_videos = ("v2",)

    def to_activitynet_json(self):
        return {"database": {
            "v1": {"subset": "validation", "annotations": [{"segment": [9.0, 11.0], "label": "goal", "label_id": 0}]},
            "v2": {"subset": "validation", "annotations": [{"segment": [5.0, 5.0], "label": "snap", "label_id": 1}]},
            "v3": {"subset": "training", "annotations": [{"segment": [1.0, 1.0], "label": "snap", "label_id": 1}]}}}


def test_registered_with_its_config_keys():
    assert EVALUATORS.get("spotting") is SpottingEvaluator
    paths = {k.path for k in EVALUATORS.config_keys("spotting")}
    assert {"eval_cfg.metric", "eval_cfg.framerate", "eval_cfg.frame_tolerances", "eval_cfg.tolerance_unit",
            "eval_cfg.step_fps"} <= paths


def test_perfect_predictions_score_one_and_tensors_are_accepted():
    evaluator = SpottingEvaluator.from_dataset(PointDataset(), ["validation"], {})
    values, headline = evaluator.evaluate(PERFECT)
    assert headline == 1.0 and values.shape == (5,)
    assert evaluator.report().splitlines()[-1] == "Average mAP: 100.00 (%) [tight a-mAP]"
    json.dumps(evaluator.metrics(), allow_nan=False)  # valid json: NaN turned into null


@pytest.mark.parametrize("metric, count", [("tight", 5), ("loose", 12), ("frame", 2)])
def test_config_chooses_the_headline(metric, count):
    cfg = {"eval_cfg": {"metric": metric, "frame_tolerances": [0, 2]}, "dataset": {"fps": 2}}
    evaluator = SpottingEvaluator.from_dataset(PointDataset(), ["validation"], cfg)
    values, headline = evaluator.evaluate(PERFECT[:1])  # v2's event is missed
    assert len(values) == count and 0.0 < headline < 1.0
    assert evaluator.step_fps == 2.0


def test_segment_dataset_falls_back_to_centres_and_drops_skipped_videos():
    evaluator = SpottingEvaluator.from_dataset(SegmentDataset(), ["validation"], {})
    assert evaluator.classes == ["goal", "snap"]
    _, headline = evaluator.evaluate([{"video_id": "v1", "times": [10.0], "scores": [0.9], "labels": [0]}])
    # v2 was skipped when read (not scored), v3 is another subset: goal AP 1, snap has no event (0)
    assert headline == 0.5 and evaluator.result.num_videos == 1


def test_predictions_for_unknown_videos_and_missing_fields():
    evaluator = SpottingEvaluator(GROUND_TRUTH)
    evaluator.evaluate(PERFECT + [{"video_id": "elsewhere", "times": [1.0], "scores": [0.5], "labels": [0]}])
    assert any("not in the ground truth" in w for w in evaluator.warnings)
    with pytest.raises(EvaluationInputError, match="video 'v1': missing field.*times"):
        evaluator.evaluate([{"video_id": "v1", "segments": [[1, 2]], "scores": [0.5], "labels": [0]}])
    with pytest.raises(EvaluationInputError, match="video 'v1', field 'labels': label id 5"):
        evaluator.evaluate([{"video_id": "v1", "times": [1.0], "scores": [0.5], "labels": [5]}])


def test_eval_cfg_keys_are_validated_when_the_model_spots(monkeypatch):
    from actionformer.config import components
    from actionformer.config.validation import collect_problems

    monkeypatch.setattr(components, "task_of", lambda name: "spotting")
    cfg = {"eval_cfg": {"metrc": "loose", "framerate": 0}}
    problems = [p for p in collect_problems(cfg) if p.startswith("eval_cfg.")]
    assert any("eval_cfg.metrc: unknown key; did you mean 'metric'" in p for p in problems)
    assert any(p.startswith("eval_cfg.framerate:") for p in problems)


def test_no_predictions_and_no_events_score_zero_without_errors():
    evaluator = SpottingEvaluator({"classes": ["a"], "videos": {"v": {"times": [], "labels": []}}}, metric="frame")
    values, headline = evaluator.evaluate([])
    assert headline == 0.0 and values.tolist() == [0.0] * 4
    assert evaluator.report(per_class=True).splitlines()[-1].startswith("Average mAP: 0.00 (%)")
    assert any("have no prediction" in w for w in evaluator.warnings)
