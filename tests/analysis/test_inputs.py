"""Reading GT.json and PRED.json as evaluate reads them, with named errors."""

import argparse
import json

import pytest

from actionformer.analysis.inputs import check_output, load_inputs
from actionformer.evaluation import EvaluationInputError

GT = {"database": {
    "a": {"subset": "test", "duration": 50.0, "annotations": [{"segment": [0, 10], "label": "Jump", "label_id": 0}]},
    "b": {"subset": "validation", "duration": 50.0, "annotations": [{"segment": [5, 15], "label": "Run", "label_id": 1}]},
}}


def _args(tmp_path, preds, gt=GT, name="thumos_gt.json", **options):
    gt_path, pred_path = tmp_path / name, tmp_path / "preds.json"
    gt_path.write_text(gt if isinstance(gt, str) else json.dumps(gt))
    pred_path.write_text(preds if isinstance(preds, str) else json.dumps(preds))
    values = {"split": None, "tiou": None, "dataset": None}
    values.update(options)
    return argparse.Namespace(ground_truth=str(gt_path), predictions=str(pred_path), **values)


def _results(*rows):
    return {"results": {vid: [{"label": label, "score": score, "segment": seg}] for vid, label, score, seg in rows}}


def test_split_dataset_and_thresholds_as_evaluate_chooses_them(tmp_path):
    inputs = load_inputs(_args(tmp_path, _results(("a", "Jump", 0.9, [0, 10]))))
    assert inputs.gt.video_ids == ["a"] and inputs.dataset == "thumos"
    assert inputs.tiou_thresholds.tolist() == pytest.approx([0.3, 0.4, 0.5, 0.6, 0.7])
    assert any("subset 'test'" in note for note in inputs.notes)


def test_explicit_options_win(tmp_path):
    inputs = load_inputs(_args(tmp_path, _results(("a", "Jump", 0.9, [0, 10])), split=["validation"],
                               tiou=[0.5], dataset="anet"))
    assert inputs.gt.video_ids == ["b"] and inputs.dataset == "anet" and inputs.tiou_thresholds.tolist() == [0.5]


@pytest.mark.parametrize("preds, message", [
    ("", "is not valid json"),
    ({"results": {}}, "holds no predictions"),
    ([1, 2], "expected a json object"),
    ({"results": {"a": [{"label": "Jumpp", "score": 1, "segment": [0, 1]}]}}, "Did you mean 'Jump'"),
])
def test_bad_prediction_files_are_named(tmp_path, preds, message):
    with pytest.raises(EvaluationInputError, match=message):
        load_inputs(_args(tmp_path, preds))


@pytest.mark.parametrize("gt, message", [("{}", "'database' mapping"), ("[]", "'database' mapping"),
                                         ("{", "not valid json")])
def test_bad_ground_truth_files_are_named(tmp_path, gt, message):
    with pytest.raises(EvaluationInputError, match=message):
        load_inputs(_args(tmp_path, _results(("a", "Jump", 0.9, [0, 10])), gt=gt))


def test_existing_output_needs_overwrite(tmp_path):
    target = tmp_path / "x.png"
    assert check_output(str(target), overwrite=False) is None
    target.write_bytes(b"")
    assert "--overwrite" in check_output(str(target), overwrite=False)
    assert check_output(str(target), overwrite=True) is None
