"""evaluation/evaluators.py: one evaluator per task, found by the task's name."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from actionformer.evaluation.evaluators import EVALUATORS, DetectionEvaluator, json_ready

GT = {"database": {
    "a": {"subset": "test", "duration": 50.0, "annotations": [
        {"segment": [0, 10], "label": "Jump", "label_id": 0}, {"segment": [20, 30], "label": "Run", "label_id": 1}]},
}}


class _Dataset:
    def get_attributes(self):
        return {"dataset_name": "toy", "tiou_thresholds": [0.5, 0.7]}

    def to_activitynet_json(self):
        return GT


def test_detection_is_the_registered_default_task():
    assert "detection" in EVALUATORS.names() and EVALUATORS.get("detection") is DetectionEvaluator


def test_detection_evaluator_from_a_dataset():
    evaluator = DetectionEvaluator.from_dataset(_Dataset(), ["test"], {"dataset_name": "thumos"})
    detections = [{"video_id": "a", "segments": np.array([[0.0, 10.0], [20.0, 30.0]]),
                   "scores": np.array([0.9, 0.8]), "labels": np.array([0, 0])}]
    per_threshold, headline = evaluator.evaluate(detections)
    assert np.allclose(per_threshold, [0.5, 0.5]) and headline == pytest.approx(0.5)
    assert evaluator.report().rstrip().splitlines()[-1] == "Average mAP: 50.00 (%)"
    metrics = evaluator.metrics()
    json.dumps(metrics)  # JSON-ready
    assert metrics["mAP"] == [0.5, 0.5]


def test_json_ready_turns_numpy_and_nan_into_json():
    assert json_ready({"a": np.float32(0.5), "b": [np.int64(2), math.nan], "c": np.arange(2)}) == {
        "a": 0.5, "b": [2, None], "c": [0, 1]}
