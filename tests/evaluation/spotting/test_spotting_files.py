"""Spotting files: our point json and SoccerNet's folders, read, written, and refused when wrong."""

import json

import numpy as np
import pytest

from actionformer.evaluation import EvaluationInputError
from actionformer.evaluation.spotting import (SOCCERNET_V2_CLASSES, load_spotting_ground_truth,
                                              load_spotting_predictions, write_point_predictions,
                                              write_soccernet_predictions)


def _write(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    return path


def test_point_json_takes_time_or_segment_centre_and_visibility(tmp_path):
    gt = _write(tmp_path / "gt.json", {"database": {
        "v1": {"subset": "test", "annotations": [
            {"time": 3.5, "label": "snap", "label_id": 1},
            {"segment": [10.0, 12.0], "label": "goal", "label_id": 0, "visibility": "not shown"}]},
        "v2": {"subset": "train", "annotations": [{"time": 1.0, "label": "goal", "label_id": 0}]}}})
    loaded = load_spotting_ground_truth(gt, split=["TEST"])
    assert loaded["classes"] == ["goal", "snap"]  # by label_id
    assert list(loaded["videos"]) == ["v1"]
    video = loaded["videos"]["v1"]
    assert video["times"].tolist() == [3.5, 11.0] and video["labels"].tolist() == [1, 0]
    assert video["visible"].tolist() == [True, False]


def test_point_predictions_round_trip_in_ascending_score_order(tmp_path):
    detections = [{"video_id": "v1", "times": np.array([1.0, 2.0, 3.0]), "scores": np.array([0.9, 0.1, 0.5]),
                   "labels": np.array([0, 1, 0])}]
    path = write_point_predictions(tmp_path / "p.json", detections, ["goal", "snap"])
    back = load_spotting_predictions(path, ["goal", "snap"])
    assert back[0]["video_id"] == "v1"
    assert back[0]["scores"].tolist() == [0.1, 0.5, 0.9] and back[0]["times"].tolist() == [2.0, 3.0, 1.0]
    assert back[0]["labels"].tolist() == [1, 0, 0] and back.warnings == []


def test_soccernet_files_per_game_and_no_silent_overwrite(tmp_path):
    detections = [{"video_id": "epl/2016/g1/1", "times": [65.4321], "scores": [0.75], "labels": [2]},
                  {"video_id": "epl/2016/g1/2", "times": [3000.0], "scores": [0.5], "labels": [0]}]
    paths = write_soccernet_predictions(tmp_path, detections, SOCCERNET_V2_CLASSES)
    assert paths == [str(tmp_path / "epl" / "2016" / "g1" / "results_spotting.json")]
    content = json.loads((tmp_path / "epl/2016/g1/results_spotting.json").read_text())
    assert content["predictions"][1] == {"gameTime": "1 - 01:05", "label": "Goal", "position": "65432", "half": 1,
                                         "confidence": 0.75}
    assert content["predictions"][0]["gameTime"] == "2 - 50:00"
    with pytest.raises(FileExistsError, match="overwrite"):
        write_soccernet_predictions(tmp_path, detections, SOCCERNET_V2_CLASSES)
    write_soccernet_predictions(tmp_path, detections[:1], SOCCERNET_V2_CLASSES, overwrite=True)
    back = load_spotting_predictions(tmp_path, SOCCERNET_V2_CLASSES)
    assert [d["video_id"] for d in back] == ["epl/2016/g1/1", "epl/2016/g1/2"]
    assert back[0]["times"].tolist() == [65.432] and len(back[1]["times"]) == 0


def test_soccernet_writer_needs_half_video_ids(tmp_path):
    with pytest.raises(EvaluationInputError, match="video 'clip7'.*'<game>/1'"):
        write_soccernet_predictions(tmp_path, [{"video_id": "clip7", "times": [1.0], "scores": [0.5],
                                                "labels": [0]}], ["a"])


def test_soccernet_labels_read_position_else_game_time(tmp_path):
    _write(tmp_path / "l" / "a" / "s" / "g" / "Labels-v2.json", {"annotations": [
        {"gameTime": "1 - 00:10", "label": "Goal", "position": "10500", "visibility": "visible"},
        {"gameTime": "2 - 01:02", "label": "Corner", "visibility": "not shown"},
        {"gameTime": "1 - 00:11", "label": "Made up", "position": "11000"}]})
    loaded = load_spotting_ground_truth(tmp_path / "l")
    assert loaded["classes"] == SOCCERNET_V2_CLASSES
    assert loaded["videos"]["a/s/g/1"]["times"].tolist() == [10.5]
    second = loaded["videos"]["a/s/g/2"]
    assert second["times"].tolist() == [62.0] and second["visible"].tolist() == [False]
    assert any("Made up" in w for w in loaded["warnings"])


@pytest.mark.parametrize("payload, message", [
    ({"annotations": [{"gameTime": "1 - 0:xx", "label": "Goal"}]}, "gameTime"),
    ({"annotations": [{"gameTime": "1 - 00:01", "label": "Goal", "position": "soon"}]}, "position"),
    ({"events": []}, "'annotations' list"),
])
def test_bad_soccernet_labels_name_the_file_and_field(tmp_path, payload, message):
    path = _write(tmp_path / "g" / "Labels-v2.json", payload)
    with pytest.raises(EvaluationInputError, match=message) as info:
        load_spotting_ground_truth(tmp_path)
    assert str(path) in str(info.value)


def test_bad_point_files_are_refused_clearly(tmp_path):
    with pytest.raises(EvaluationInputError, match="not found"):
        load_spotting_ground_truth(tmp_path / "missing.json")
    gt = _write(tmp_path / "gt.json", {"database": {"v": {"annotations": [{"label": "a"}]}}})
    with pytest.raises(EvaluationInputError, match="video 'v', annotation 0: needs 'time'"):
        load_spotting_ground_truth(gt)
    preds = _write(tmp_path / "p.json", {"results": {"v": [{"time": 1.0, "label": "a", "score": "high"}]}})
    with pytest.raises(EvaluationInputError, match="'score' must be a number"):
        load_spotting_predictions(preds, ["a"])
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(EvaluationInputError, match="no 'results_spotting.json'"):
        load_spotting_predictions(tmp_path / "empty_dir", ["a"])


def test_nan_times_and_scores_are_refused_naming_the_file_and_prediction(tmp_path):
    """They reached the evaluator as 'detections, video ...', without the file's name."""
    preds = tmp_path / "p.json"
    preds.write_text('{"results": {"v": [{"time": NaN, "label": "a", "score": 0.5}]}}')
    with pytest.raises(EvaluationInputError, match=r"p\.json, video 'v', prediction 0: the time must be finite"):
        load_spotting_predictions(preds, ["a"])
    preds.write_text('{"results": {"v": [{"time": 1.0, "label": "a", "score": Infinity}]}}')
    with pytest.raises(EvaluationInputError, match=r"p\.json, video 'v', prediction 0: 'score' must be a finite"):
        load_spotting_predictions(preds, ["a"])
    gt = tmp_path / "gt.json"
    gt.write_text('{"database": {"v": {"annotations": [{"segment": [NaN, 2], "label": "a"}]}}}')
    with pytest.raises(EvaluationInputError, match=r"gt\.json, video 'v', annotation 0: the time must be finite"):
        load_spotting_ground_truth(gt)
    results = tmp_path / "sn" / "g" / "results_spotting.json"
    results.parent.mkdir(parents=True)
    results.write_text('{"predictions": [{"gameTime": "1 - 00:01", "label": "a", "position": "1000", "half": 1, '
                       '"confidence": NaN}]}')
    with pytest.raises(EvaluationInputError, match=r"results_spotting\.json, prediction 0: 'confidence' must be"):
        load_spotting_predictions(tmp_path / "sn", ["a"])
