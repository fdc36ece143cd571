"""`actionformer evaluate` on predictions that would score wrong silently: contradicting label
ids, segments in milliseconds."""

from __future__ import annotations

import json

import pytest

GT = {"database": {
    "v1": {"subset": "test", "duration": 20.0, "annotations": [
        {"segment": [1.0, 4.0], "label": "Jump", "label_id": 0}, {"segment": [8.0, 12.0], "label": "Wave", "label_id": 1}]},
    "v2": {"subset": "test", "duration": 30.0, "annotations": [
        {"segment": [2.0, 9.0], "label": "Wave", "label_id": 1}]}}}


def _truth_as_predictions(scale=1.0, swap_ids=False):
    return {"results": {vid: [{"segment": [s * scale for s in a["segment"]], "label": a["label"],
                               "label_id": 1 - a["label_id"] if swap_ids else a["label_id"], "score": 0.9}
                              for a in video["annotations"]] for vid, video in GT["database"].items()}}


@pytest.fixture
def files(tmp_path):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps(GT))
    return gt, tmp_path


def test_names_win_over_contradicting_ids_and_the_contradiction_is_reported(run_cli, files):
    gt, root = files
    pred = root / "pred.json"
    pred.write_text(json.dumps(_truth_as_predictions(swap_ids=True)))
    code, out, err = run_cli("evaluate", gt, pred, "--tiou", "0.5")
    assert code == 0 and "Average mAP: 100.00 (%)" in out
    assert "3 prediction(s) have a label name that contradicts their label_id; the names were used" in err
    assert "video 'v1': label 'Jump' is id 0 in the ground truth, label_id says 1" in err


def test_segments_in_milliseconds_are_warned_about(run_cli, files):
    gt, root = files
    pred = root / "pred.json"
    pred.write_text(json.dumps(_truth_as_predictions(scale=1000.0)))
    code, out, err = run_cli("evaluate", gt, pred, "--tiou", "0.5")
    assert code == 0 and "3 of 3 predictions end more than 10x past their video's duration" in err
    assert "look like milliseconds" in err


def test_seconds_give_no_unit_warning(run_cli, files):
    gt, root = files
    pred = root / "pred.json"
    pred.write_text(json.dumps(_truth_as_predictions()))
    code, _, err = run_cli("evaluate", gt, pred, "--tiou", "0.5")
    assert code == 0 and "milliseconds" not in err and "contradicts" not in err
