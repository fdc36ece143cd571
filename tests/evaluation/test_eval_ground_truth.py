"""Loading ground truth: formats, splits, label ids, duplicates, and clear errors."""

import json

import numpy as np
import pytest

from actionformer.evaluation import EvaluationInputError, load_ground_truth, remove_duplicate_annotations


def _db():
    return {"database": {
        "a": {"subset": "Test", "annotations": [{"segment": [0, 5], "label": "Jump", "label_id": 7},
                                                 {"segment": [6, 9], "label": "Run", "label_id": 2}]},
        "b": {"subset": "Validation", "annotations": [{"segment": [1, 2], "label": "Run", "label_id": 2}]},
        "c": {"subset": "test", "annotations": []},
    }}


def test_path_and_dict_give_the_same_ground_truth(tmp_path):
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(_db()))
    from_path, from_dict = load_ground_truth(str(path), "test"), load_ground_truth(_db(), "test")
    assert from_path.video_ids == from_dict.video_ids == ["a", "c"]  # split matched in any case
    assert from_path.gt_label.tolist() == [7, 2] and from_path.class_ids.tolist() == [2, 7]
    assert from_path.label_to_id == {"Jump": 7, "Run": 2} and from_path.id_to_label[7] == "Jump"


def test_split_list_and_none():
    assert load_ground_truth(_db(), ["test", "VALIDATION"]).video_ids == ["a", "b", "c"]
    assert len(load_ground_truth(_db(), None)) == 3


def test_ids_from_sorted_names_without_label_id():
    db = {"database": {"v": {"subset": "test", "annotations": [
        {"segment": [0, 1], "label": "Zebra"}, {"segment": [2, 3], "label": "Apple"}]}}}
    gt = load_ground_truth(db)
    assert gt.label_to_id == {"Apple": 0, "Zebra": 1}
    assert gt.gt_label.tolist() == [1, 0]


def test_duplicates_and_short_instances_removed_as_the_original():
    segments = [(0.0, 5.0), (0.0009, 5.0005), (0.0, 5.0), (3.0, 3.0009), (0.0, 5.0)]
    labels = [1, 1, 2, 1, 1]
    assert remove_duplicate_annotations(segments, labels) == [0, 2]
    as_array = np.array([[1.0, 2.0], [1.0005, 2.0], [1.0, 2.0], [3.0, 3.0005]], dtype=np.float32)
    assert remove_duplicate_annotations(as_array, [0, 0, 1, 0]) == [0, 2]


@pytest.mark.parametrize("bad", [(float("nan"), 5.0), (0.0, float("nan")), (float("nan"), float("nan"))])
def test_a_segment_of_nan_length_is_dropped_and_hides_no_later_instance(bad):
    segments = np.array([bad, (0.0, 5.0), bad, (1.0, 2.0)], dtype=np.float64)
    assert remove_duplicate_annotations(segments, [1, 1, 1, 2]) == [1, 3]


def test_unknown_split_names_the_subsets():
    with pytest.raises(EvaluationInputError, match=r"no video in split \['train'\].*Test"):
        load_ground_truth(_db(), "train")


@pytest.mark.parametrize("payload, message", [
    ({"videos": {}}, "'database'"),
    ({"database": {"v": {"annotations": [{"segment": [0, "x"], "label_id": 1}]}}}, "video 'v'.*segment"),
    ({"database": {"v": {"annotations": [{"segment": [0, float("nan")], "label_id": 1}]}}}, "not finite"),
    ({"database": {"v": {"annotations": [{"segment": [0, 1], "label_id": [1, 2]}]}}}, "composite"),
    ({"database": {"v": {"annotations": [{"segment": [0, 1]}]}}}, "neither 'label_id' nor 'label'"),
    ({"database": {"v": {"annotations": []}}}, "no ground-truth instance"),
])
def test_bad_ground_truth_gets_a_clear_error(payload, message):
    with pytest.raises(EvaluationInputError, match=message):
        load_ground_truth(payload)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(EvaluationInputError, match="not found"):
        load_ground_truth(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EvaluationInputError, match="not valid json"):
        load_ground_truth(str(bad))


def test_arrays_are_float64_in_database_order():
    gt = load_ground_truth(_db())
    assert gt.gt_start.dtype == np.float64 and gt.gt_start.tolist() == [0.0, 6.0, 1.0]
    assert gt.gt_video.tolist() == [0, 0, 1]


def test_label_id_on_some_annotations_only_is_an_error():
    # falling back to sorted-name ids for the whole file would silently renumber every class
    db = {"database": {
        "a": {"subset": "test", "annotations": [{"segment": [0, 1], "label": "Run", "label_id": 7}]},
        "b": {"subset": "test", "annotations": [{"segment": [2, 3], "label": "Jump"}]}}}
    with pytest.raises(EvaluationInputError, match="video 'b'.*no 'label_id'.*others have one"):
        load_ground_truth(db)
