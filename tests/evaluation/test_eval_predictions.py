"""Reading predictions in every accepted form, and rejecting bad ones with a clear message."""

import json

import numpy as np
import pytest
import torch

from actionformer.evaluation import EvaluationInputError, to_predictions

LABELS = {"Jump": 7, "Run": 2}


def test_official_format_with_names(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"version": "1.3", "results": {
        "a": [{"label": "Jump", "score": 0.5, "segment": [1, 2]}], "b": [{"label": "Run", "score": 0.25, "segment": [3, 4]}]}}))
    preds = to_predictions(str(path), LABELS)
    assert preds.videos == ["a", "b"] and preds.pred_label.tolist() == [7, 2]
    assert preds.pred_score.tolist() == [0.5, 0.25] and preds.pred_end.tolist() == [2.0, 4.0]


def test_original_release_format_with_ids():
    preds = to_predictions({"database": {"a": [{"label_id": 2, "scores": 0.9, "segment": [0.5, 1.5]}]}}, LABELS)
    assert preds.pred_label.tolist() == [2] and preds.pred_score.tolist() == [0.9]


def test_detections_with_tensors():
    dets = [{"video_id": "a", "segments": torch.tensor([[0.0, 1.0], [2.0, 3.0]]), "scores": torch.tensor([0.3, 0.2]),
             "labels": torch.tensor([1, 0])},
            {"video_id": "b", "segments": torch.zeros(0, 2), "scores": torch.zeros(0), "labels": torch.zeros(0, dtype=torch.long)}]
    preds = to_predictions(dets)
    assert preds.videos == ["a", "b"] and preds.pred_video.tolist() == [0, 0]
    assert preds.pred_start.dtype == np.float64 and preds.pred_label.tolist() == [1, 0]


def test_seed_dict_of_arrays():
    preds = to_predictions({"video-id": ["a", "b", "a"], "t-start": np.array([0.0, 1, 2], dtype=np.float32),
                            "t-end": [1.0, 2, 3], "label": [0, 1, 0], "score": [0.1, 0.2, 0.3]})
    assert preds.videos == ["a", "b"] and preds.pred_video.tolist() == [0, 1, 0]


def test_data_frame_like_object():
    class Frame:  # what the seed's evaluator also accepted: a pandas DataFrame (pandas is not needed)
        columns = ["video-id", "t-start", "t-end", "label", "score"]

        def __getitem__(self, key):
            return {"video-id": ["a"], "t-start": [1.0], "t-end": [2.0], "label": [2], "score": [0.5]}[key]

    preds = to_predictions(Frame())
    assert preds.videos == ["a"] and preds.pred_label.tolist() == [2]


@pytest.mark.parametrize("preds, message", [
    ({"results": {"a": [{"label": "Jmup", "score": 0.5, "segment": [1, 2]}]}}, "unknown label name 'Jmup'.*Did you mean 'Jump'"),
    ({"results": {"a": [{"label": "Jump", "score": float("nan"), "segment": [1, 2]}]}}, "score is NaN"),
    ({"results": {"a": [{"label": "Jump", "score": 0.5, "segment": [2, 1]}]}}, "ends before it starts.*video 'a'"),
    ({"results": {"a": [{"label": "Jump", "score": 0.5, "segment": [1]}]}}, "must be \\[start, end\\]"),
    ({"results": {"a": [{"label": "Jump", "segment": [1, 2]}]}}, "no 'score' or 'scores'"),
    ({"results": {"a": {"label": "Jump"}}}, "expected a list"),
    ({"nothing": 1}, "'results'.*'database'"),
    ({"video-id": ["a"], "t-start": [0.0]}, "missing key"),
    ({"video-id": ["a", "b"], "t-start": [0.0], "t-end": [1.0], "label": [0], "score": [1.0]}, "differ in length"),
    (42, "cannot read predictions of type int"),
    ([{"video_id": "a", "segments": np.zeros((2, 3)), "scores": np.zeros(2), "labels": np.zeros(2, int)}],
     "segments must be \\(K, 2\\)"),
    ([{"video_id": "a", "segments": np.zeros((2, 2)), "scores": np.zeros(3), "labels": np.zeros(2, int)}],
     "differ in length"),
    ([{"video_id": "a", "segments": np.zeros((1, 2)), "scores": np.zeros(1), "labels": np.array([0.5])}],
     "integer class ids"),
])
def test_bad_predictions_get_a_clear_error(preds, message):
    with pytest.raises(EvaluationInputError, match=message):
        to_predictions(preds, LABELS)


def test_numpy_integer_label_ids_in_an_in_memory_json_dict():
    # np.int64 is not an `int`: it must still be read as an id, not looked up as the name "2"
    preds = to_predictions({"results": {"a": [{"label_id": np.int64(2), "score": np.float32(0.5),
                                               "segment": np.array([1.0, 2.0])}]}}, LABELS)
    assert preds.pred_label.tolist() == [2] and preds.pred_end.tolist() == [2.0]


@pytest.mark.parametrize("dtype_name", ["bfloat16", "float16"])
def test_detections_with_reduced_precision_tensors(dtype_name):
    dtype = getattr(torch, dtype_name)
    dets = [{"video_id": "a", "segments": torch.tensor([[0.5, 1.5]], dtype=dtype),
             "scores": torch.tensor([0.25], dtype=dtype), "labels": torch.tensor([1])}]
    preds = to_predictions(dets)
    assert preds.pred_start.tolist() == [0.5] and preds.pred_end.tolist() == [1.5]
    assert preds.pred_score.tolist() == [0.25] and preds.pred_label.tolist() == [1]


def test_bad_detection_labels_name_the_video_and_field():
    dets = [{"video_id": "ok", "segments": np.zeros((1, 2)), "scores": np.zeros(1), "labels": np.array([1])},
            {"video_id": "vid7", "segments": np.zeros((1, 2)), "scores": np.zeros(1), "labels": np.array([0.5])}]
    with pytest.raises(EvaluationInputError, match="video 'vid7'.*'labels' must hold integer class ids"):
        to_predictions(dets)


def test_label_name_wins_over_a_contradicting_label_id():
    preds = to_predictions({"results": {
        "a": [{"label": "Jump", "label_id": 2, "score": 0.5, "segment": [1, 2]},
              {"label": "Run", "label_id": 2, "score": 0.4, "segment": [1, 2]}],
        "b": [{"label": "Run", "label_id": 7, "score": 0.3, "segment": [1, 2]}]}}, LABELS)
    assert preds.pred_label.tolist() == [7, 2, 2]
    assert len(preds.warnings) == 1
    assert "2 prediction(s)" in preds.warnings[0] and "video 'a': label 'Jump' is id 7" in preds.warnings[0]


def test_agreeing_names_and_ids_give_no_warning():
    preds = to_predictions({"results": {"a": [{"label": "Jump", "label_id": 7, "score": 0.5, "segment": [1, 2]}]}},
                           LABELS)
    assert preds.pred_label.tolist() == [7] and preds.warnings == ()
