"""`actionformer evaluate GT.json PRED.json`: the table, --per-class, --out, and clear errors."""

import json

import pytest


GT = {"version": "1.0", "database": {
    "a": {"subset": "test", "duration": 50.0, "annotations": [
        {"segment": [0, 10], "label": "Jump", "label_id": 0}, {"segment": [20, 30], "label": "Run", "label_id": 1}]},
    "b": {"subset": "test", "duration": 50.0, "annotations": [{"segment": [5, 15], "label": "Run", "label_id": 1}]},
    "c": {"subset": "validation", "duration": 50.0, "annotations": [{"segment": [5, 15], "label": "Run", "label_id": 1}]},
}}


def _write(tmp_path, name, payload):
    path = tmp_path / name
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return str(path)


def _official(rows):
    results = {}
    for vid, label, score, seg in rows:
        results.setdefault(vid, []).append({"label": label, "score": score, "segment": seg})
    return {"version": "1.3", "results": results}


@pytest.fixture
def gt_file(tmp_path):
    return _write(tmp_path, "toy_gt.json", GT)


def test_prints_the_table_and_writes_json(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10]), ("a", "Run", 0.8, [20, 30]),
                                                  ("b", "Run", 0.7, [5, 15])]))
    out = tmp_path / "res" / "map.json"
    code, stdout, stderr = run_cli("evaluate", gt_file, preds, "--split", "test", "--tiou", "0.5", "0.7",
                                   "--per-class", "--out", out)
    assert code == 0, stderr
    assert "[RESULTS] Action detection results on toy_gt." in stdout
    assert "|tIoU = 0.50: mAP = 100.00 (%) Recall@1x = 100.00 (%) Recall@5x = 100.00 (%)" in stdout
    assert "Average mAP: 100.00 (%)" in stdout
    assert "AP per class (%)" in stdout and "Jump" in stdout
    saved = json.loads(out.read_text())
    assert saved["mAP"] == [1.0, 1.0] and saved["split"] == ["test"] and saved["dataset"] == "toy_gt"
    assert {e["label"] for e in saved["per_class"]} == {"Jump", "Run"}


def test_original_release_format_with_ids_and_inferred_split(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", {"database": {"a": [{"label_id": 0, "scores": 0.9, "segment": [0, 10]}]}})
    code, stdout, stderr = run_cli("evaluate", gt_file, preds, "--tiou", "0.5")
    assert code == 0, stderr
    assert "scoring against subset 'test'" in stderr
    assert "|tIoU = 0.50: mAP = 50.00 (%)" in stdout  # Jump 100, Run 0 (no prediction)


def test_default_thresholds_follow_the_dataset(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    code, stdout, _ = run_cli("evaluate", gt_file, preds, "--split", "test", "--dataset", "thumos")
    assert code == 0 and stdout.count("|tIoU = ") == 5 and "|tIoU = 0.30" in stdout
    code, stdout, stderr = run_cli("evaluate", gt_file, preds, "--split", "test")
    assert code == 0 and stdout.count("|tIoU = ") == 10 and "ActivityNet's thresholds" in stderr


def test_prediction_for_unknown_video_is_counted_and_warned_once(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", _official([("zz", "Jump", 0.95, [0, 10]), ("zz", "Jump", 0.94, [0, 10]),
                                                  ("a", "Jump", 0.9, [0, 10])]))
    code, stdout, stderr = run_cli("evaluate", gt_file, preds, "--split", "test", "--tiou", "0.5")
    assert code == 0
    assert stderr.count("not in the ground truth") == 1 and "2 prediction(s) for 1 video(s)" in stderr


@pytest.mark.parametrize("payload, message", [
    (_official([("a", "Jumpp", 0.9, [0, 10])]), "unknown label name 'Jumpp'"),
    (_official([("a", "Jump", float("nan"), [0, 10])]), "NaN"),
    (_official([("a", "Jump", 0.9, [10, 0])]), "ends before it starts"),
    ({"version": "1.3", "results": {}}, "holds no predictions"),
    ("", "not valid json"),
    (_official([("a", "Jump", 0.9, [0, 10]), ("c", "Run", 0.9, [5, 15])]), "choose one with --split"),
])
def test_bad_input_gets_a_message_not_a_traceback(run_cli, tmp_path, gt_file, payload, message):
    preds = _write(tmp_path, "p.json", payload)
    code, stdout, stderr = run_cli("evaluate", gt_file, preds, "--tiou", "0.5")
    assert code == 2
    assert message in stderr and "Traceback" not in stderr
    assert stderr.startswith("error: ")


def test_missing_files_and_bad_options(run_cli, tmp_path, gt_file):
    code, _, stderr = run_cli("evaluate", gt_file, tmp_path / "nope.json")
    assert code == 2 and "not found" in stderr
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    code, _, stderr = run_cli("evaluate", gt_file, preds, "--tiou", "1.5")
    assert code == 2 and "(0, 1]" in stderr
    code, _, stderr = run_cli("evaluate", gt_file, preds, "--split", "train")
    assert code == 2 and "no video in split" in stderr


def test_thumos_ground_truth_as_official_predictions(run_cli, tmp_path, thumos14_json):
    database = json.loads(thumos14_json.read_text())["database"]
    rows = [(vid, ann["label"], 1.0, ann["segment"]) for vid, v in database.items() if v["subset"] == "Test"
            for ann in v["annotations"]]
    preds = _write(tmp_path, "p.json", _official(rows))
    code, stdout, stderr = run_cli("evaluate", thumos14_json, preds, "--split", "test")
    assert code == 0, stderr
    assert stdout.count("mAP = 100.00 (%)") == 5 and "Average mAP: 100.00 (%)" in stdout


@pytest.mark.parametrize("gt_payload, message", [
    ({"database": {"a": {"subset": "test", "annotations": [{"segment": [0, "x"], "label_id": 0}]}}},
     "video 'a': annotation 'segment' must be [start, end]"),
    ([1, 2], "expected a json object with a 'database'"),
])
def test_ground_truth_errors_name_the_file(run_cli, tmp_path, gt_payload, message):
    bad_gt = _write(tmp_path, "bad_gt.json", gt_payload)
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    code, _, stderr = run_cli("evaluate", bad_gt, preds, "--tiou", "0.5")
    assert code == 2 and message in stderr
    assert f"{bad_gt}: " in stderr, stderr


def test_unknown_split_names_the_ground_truth_file(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    code, _, stderr = run_cli("evaluate", gt_file, preds, "--split", "train")
    assert code == 2 and f"{gt_file}: no video in split" in stderr


def test_task_from_a_config_and_its_dataset_thresholds(run_cli, tmp_path, gt_file):
    import yaml

    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"dataset_name": "thumos", "model": {"meta_arch": "LocPointTransformer"}}))
    code, stdout, stderr = run_cli("evaluate", gt_file, preds, "--split", "test", "--config", config)
    assert code == 0, stderr
    assert "|tIoU = 0.30:" in stdout and "|tIoU = 0.70:" in stdout  # THUMOS14's thresholds


def test_unknown_task_is_refused(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    code, _, stderr = run_cli("evaluate", gt_file, preds, "--task", "spoting")
    assert code == 2 and "invalid choice: 'spoting'" in stderr


def test_bad_config_is_a_clear_error(run_cli, tmp_path, gt_file):
    preds = _write(tmp_path, "p.json", _official([("a", "Jump", 0.9, [0, 10])]))
    code, _, stderr = run_cli("evaluate", gt_file, preds, "--config", tmp_path / "missing.yaml")
    assert code == 2 and "config file not found" in stderr
