import json

import numpy as np
import pytest
from data_test_helpers import make_cfg, video_entry, write_json

from actionformer.data import DATASETS, DataReport, check_data_from_config, check_dataset, enforce_data_policy
from actionformer.data.checks import DataCheckError


def _problems(report: DataReport):
    return {(p.severity, p.video_id, p.field) for p in report.problems}


def test_clean_dataset_reports_summary(thumos_dir):
    report = check_data_from_config(make_cfg(thumos_dir["kwargs"]))
    assert report.ok and not report.problems
    train = report.summary["splits"]["train"]
    assert train["num_videos"] == 2 and train["num_instances"] == 4
    assert train["duration"]["min"] == 30.0 and train["feat_len"]["max"] == 297
    assert report.summary["instances_per_class"]["Run"] == {"train": 2, "val": 0}
    text = report.format()
    assert "No problems found" in text and "Result: OK" in text and "Run" in text


def _corrupt(thumos_dir):
    feats, db = thumos_dir["feats"], thumos_dir["db"]
    (feats / "video_validation_1.npy").unlink()  # missing feature file
    np.save(feats / "video_validation_2.npy", np.zeros((50, 7), np.float32))  # wrong dim
    bad = np.zeros((40, 8), np.float32)
    bad[3, 1] = np.nan
    bad[5, 0] = np.inf
    np.save(feats / "video_test_1.npy", bad)  # NaN / Inf
    np.save(feats / "video_test_2.npy", np.zeros((0, 8), np.float32))  # empty
    db["video_validation_2"]["annotations"].append({"segment": [9.0, 5.0], "label": "Run", "label_id": 1})
    db["video_validation_2"]["annotations"].append({"segment": [25.0, 35.0], "label": "Run", "label_id": 1})
    db["video_test_1"]["annotations"].append({"segment": [1.0, 2.0], "label": "Fly", "label_id": 2})
    db["video_nosubset"] = {"duration": 3.0, "fps": 30.0, "annotations": []}
    write_json(thumos_dir["json"], db)
    kw = dict(thumos_dir["kwargs"], class_list=str(thumos_dir["root"] / "classes.txt"), num_classes=4)
    (thumos_dir["root"] / "classes.txt").write_text("Jump\nRun\nSwim\nSkate\n")
    return kw


def test_every_bad_input_is_reported_with_video_file_and_field(thumos_dir):
    report = check_data_from_config(make_cfg(_corrupt(thumos_dir)))
    got = _problems(report)
    expected = {
        ("error", "video_validation_1", "features"),
        ("error", "video_validation_2", "feature dim"),
        ("error", "video_validation_2", "segment"),  # end < start
        ("warning", "video_validation_2", "segment"),  # outside [0, duration]
        ("error", "video_test_1", "feature values"),
        ("error", "video_test_1", "label"),  # 'Fly' not in the class list
        ("error", "video_test_2", "feature length"),
        ("error", "video_nosubset", "subset"),
        ("warning", None, "class"),  # 'Skate' has no training instance
    }
    assert expected <= got, expected - got
    by_key = {(p.video_id, p.field): p for p in report.problems}
    assert by_key[("video_validation_1", "features")].file.endswith("video_validation_1.npy")
    assert "7 != input_dim 8" in by_key[("video_validation_2", "feature dim")].message
    assert "1 NaN and 1 Inf" in by_key[("video_test_1", "feature values")].message
    assert "'Fly'" in by_key[("video_test_1", "label")].message
    assert "Skate" in by_key[(None, "class")].message
    assert not report.ok
    assert report.bad_video_ids == {"video_validation_1", "video_validation_2", "video_test_1", "video_test_2",
                                    "video_nosubset"}
    text = report.format()
    assert "FAILED" in text and "video_validation_1.npy" in text


def test_duplicate_ids_and_transposed_features(thumos_dir):
    path = thumos_dir["json"]
    text = path.read_text()
    entry = json.dumps(thumos_dir["db"]["video_test_1"])
    path.write_text(text.replace('"database": {', '"database": {"video_test_1": ' + entry + ", ", 1))
    np.save(thumos_dir["feats"] / "video_test_2.npy", np.zeros((8, 50), np.float32))
    report = check_data_from_config(make_cfg(thumos_dir["kwargs"]))
    assert ("error", "video_test_1", "video id") in _problems(report)
    dim = [p for p in report.problems if p.field == "feature dim"][0]
    assert "transposed" in dim.message


def test_missing_folder_and_annotation_file_are_dataset_errors(thumos_dir):
    report = check_data_from_config(make_cfg(dict(thumos_dir["kwargs"], feat_folder="/nonexistent/x")))
    assert ("error", None, "feat_folder") in _problems(report)
    assert not any(p.field == "features" for p in report.problems), "one folder error, not one per video"
    report = check_data_from_config(make_cfg(dict(thumos_dir["kwargs"], json_file="/nonexistent/a.json")))
    assert ("error", None, "json_file") in _problems(report) and report.dataset_errors


def test_quick_mode_does_not_read_features(thumos_dir):
    np.save(thumos_dir["feats"] / "video_test_1.npy", np.zeros((10, 3), np.float32))
    assert check_data_from_config(make_cfg(thumos_dir["kwargs"]), deep=False).ok
    assert not check_data_from_config(make_cfg(thumos_dir["kwargs"])).ok


def test_enforce_policy(thumos_dir):
    (thumos_dir["feats"] / "video_test_1.npy").unlink()
    cfg = make_cfg(thumos_dir["kwargs"])
    with pytest.raises(DataCheckError) as info:
        enforce_data_policy(cfg)
    assert "video_test_1" in str(info.value) and info.value.report.bad_video_ids == {"video_test_1"}
    cfg["dataset"]["on_bad_video"] = "skip"
    with pytest.warns(UserWarning, match="video_test_1"):
        report = enforce_data_policy(cfg)
    assert report.bad_video_ids == {"video_test_1"}


def test_unknown_dataset_name_and_user_dataset_generic_check(thumos_dir):
    report = check_dataset("nope", thumos_dir["kwargs"], {"train": ["validation"]})
    assert not report.ok and report.problems[0].field == "dataset_name"

    @DATASETS.register("generic_items_ds")
    class Items:
        def __init__(self, is_training, split, input_dim, **unused):
            self.n = 3

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            import torch

            feats = torch.zeros(4 if i != 1 else 5, 6)
            return {"video_id": f"g{i}", "feats": feats, "segments": None, "labels": None}

    try:
        report = check_dataset("generic_items_ds", dict(thumos_dir["kwargs"], input_dim=4), {"train": ["x"]})
    finally:
        DATASETS._entries.pop("generic_items_ds")
    assert {(p.video_id, p.field) for p in report.errors} == {("g1", "feature dim")}


def test_real_thumos14_file_has_only_the_known_warnings(tmp_path, thumos14_json):
    database = json.loads(thumos14_json.read_text())["database"]
    for vid in database:
        np.save(tmp_path / f"{vid}.npy", np.zeros((1, 1), np.float32))
    kwargs = dict(feat_folder=str(tmp_path), json_file=str(thumos14_json), feat_stride=4, num_frames=16,
                  input_dim=1, num_classes=20, file_ext=".npy", max_seq_len=2304, crop_ratio=[0.9, 1.0])
    report = check_data_from_config(make_cfg(kwargs), deep=False)
    assert report.ok, report.format()
    assert {p.video_id for p in report.warnings} == {"video_test_0000270", "video_test_0000814", "video_test_0001081",
                                                     "video_validation_0000364", "video_validation_0000856"}
    assert len(report.warnings) == 30
    splits = report.summary["splits"]
    assert (splits["train"]["num_videos"], splits["val"]["num_videos"]) == (200, 212)
    assert splits["train"]["num_instances"] + splits["val"]["num_instances"] == 6365


def test_headers_only_finds_shapes_and_truncation_but_not_values(thumos_dir):
    feats = thumos_dir["feats"]
    bad = np.load(feats / "video_test_1.npy")
    bad[2, 2] = np.nan
    np.save(feats / "video_test_1.npy", bad)
    raw = (feats / "video_validation_1.npy").read_bytes()
    (feats / "video_validation_1.npy").write_bytes(raw[:200])
    report = check_data_from_config(make_cfg(thumos_dir["kwargs"]), headers_only=True)
    assert _problems(report) == {("error", "video_validation_1", "features")}
    assert "truncated" in report.errors[0].message
    assert report.summary["splits"]["val"]["feat_len"]["max"] > 0  # lengths come from the headers
    full = check_data_from_config(make_cfg(thumos_dir["kwargs"]))
    assert ("error", "video_test_1", "feature values") in _problems(full)


def test_one_wrong_width_for_every_video_is_one_config_error(thumos_dir):
    kwargs = dict(thumos_dir["kwargs"], input_dim=12)
    report = check_data_from_config(make_cfg(kwargs), headers_only=True)
    assert {p.field for p in report.errors} == {"input_dim"} and report.dataset_errors
    assert "dataset.input_dim is 12 but the features have 8 channels" in report.errors[0].message
    assert report.errors[0].file.endswith(".npy")
