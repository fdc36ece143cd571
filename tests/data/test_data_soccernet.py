"""The soccernet dataset: SoccerNet-v2's folder layout, one video per half (datasets/soccernet.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actionformer.data import DataError, make_dataset
from actionformer.data.checks import check_dataset

CLASSES = ["Goal", "Corner"]


def _write_game(root, game, labels, lengths=(20, 24), feature="feat"):
    folder = root / game
    folder.mkdir(parents=True)
    for half, length in zip((1, 2), lengths):
        np.save(folder / f"{half}_{feature}.npy", np.ones((length, 4), np.float32) * half)
    if labels is not None:
        (folder / "Labels-v2.json").write_text(json.dumps({"annotations": labels}))


def _event(half, ms, label, visibility="visible"):
    return {"gameTime": f"{half} - 00:00", "label": label, "position": str(ms), "visibility": visibility}


@pytest.fixture
def soccernet_root(tmp_path):
    _write_game(tmp_path, "league/2015/game_a", [_event(1, 2500, "Goal"), _event(2, 7000, "Corner", "not shown"),
                                                 _event(1, 9000, "Corner")])
    _write_game(tmp_path, "league/2016/game_b", None)
    (tmp_path / "train.txt").write_text("league/2015/game_a\n")
    (tmp_path / "test.txt").write_text("league/2016/game_b\n")
    return tmp_path


def _kwargs(root, **extra):
    kwargs = dict(root=str(root), feature_name="feat", split_files={"train": "train.txt", "test": "test.txt"},
                  fps=2.0, class_names=CLASSES, num_classes=2, input_dim=4, max_seq_len=64,
                  feat_stride=16, num_frames=32, json_file=None)  # the last three: config defaults, ignored
    kwargs.update(extra)
    return kwargs


def test_each_half_is_a_video_with_events_at_their_feature_steps(soccernet_root):
    ds = make_dataset("soccernet", False, ["train"], **_kwargs(soccernet_root))
    assert ds.video_ids == ["league/2015/game_a/1", "league/2015/game_a/2"]
    first, second = ds[0], ds[1]
    assert first["feats"].shape == (4, 20) and float(first["feats"][0, 0]) == 1.0
    # feature i sits at i / fps seconds: 2.5 s -> step 5, 9 s -> step 18
    assert first["segments"][:, 0].tolist() == [5.0, 18.0] and first["labels"].tolist() == [0, 1]
    assert (first["fps"], first["feat_stride"], first["feat_num_frames"], first["duration"]) == (2.0, 1, 0, 10.0)
    assert second["segments"][:, 0].tolist() == [14.0] and second["duration"] == 12.0
    gt = ds.to_spotting_ground_truth()
    assert gt["classes"] == CLASSES
    assert gt["videos"]["league/2015/game_a/2"]["visible"].tolist() == [False]
    assert gt["videos"]["league/2015/game_a/1"]["times"].tolist() == [2.5, 9.0]


def test_a_game_without_labels_has_no_events_and_a_warning(soccernet_root):
    ds = make_dataset("soccernet", False, ["test"], **_kwargs(soccernet_root))
    assert len(ds) == 2 and ds[0]["segments"].shape == (0, 2) and ds[0]["labels"].shape == (0,)
    training = make_dataset("soccernet", True, ["test"], **_kwargs(soccernet_root, max_seq_len=16))
    assert training[1]["feats"].shape == (4, 16)  # cropped like any half: a negative example
    assert any(p.severity == "warning" and "Labels-v2.json" in p.message for p in ds.problems)


def test_layout_errors_name_the_file_and_the_key(soccernet_root):
    with pytest.raises(DataError, match="split_files"):
        make_dataset("soccernet", False, ["train"], **_kwargs(soccernet_root, split_files=None))
    with pytest.raises(DataError, match="missing.txt"):
        make_dataset("soccernet", False, ["train"], **_kwargs(soccernet_root, split_files={"train": "missing.txt"}))
    with pytest.raises(DataError, match="no game list for the subset 'valid'"):
        make_dataset("soccernet", False, ["valid"], **_kwargs(soccernet_root))
    with pytest.raises(DataError, match="dataset.root"):
        make_dataset("soccernet", False, ["train"], **_kwargs(soccernet_root / "elsewhere"))
    (soccernet_root / "empty.txt").write_text("\n# no game yet\n")
    with pytest.raises(DataError, match="empty.txt.*names no game"):
        make_dataset("soccernet", False, ["train"], **_kwargs(soccernet_root, split_files={"train": "empty.txt"}))
    (soccernet_root / "bad.txt").write_text("league/nowhere\n")
    with pytest.raises(DataError, match="not found"):
        make_dataset("soccernet", False, ["bad"], **_kwargs(soccernet_root, split_files={"bad": "bad.txt"}))


def test_check_data_reads_every_half_and_reports_an_unknown_label(soccernet_root):
    report = check_dataset("soccernet", _kwargs(soccernet_root), {"train": ["train"], "val": ["test"]})
    assert report.ok and report.summary["splits"]["train"]["num_videos"] == 2
    assert report.summary["splits"]["train"]["feat_len"]["max"] == 24
    labels = json.loads((soccernet_root / "league/2015/game_a/Labels-v2.json").read_text())
    labels["annotations"].append(_event(2, 1000, "Penalty"))
    (soccernet_root / "league/2015/game_a/Labels-v2.json").write_text(json.dumps(labels))
    (soccernet_root / "league/2015/game_a/2_feat.npy").unlink()
    report = check_dataset("soccernet", _kwargs(soccernet_root), {"train": ["train"]})
    messages = [(p.field, p.video_id) for p in report.errors]
    assert ("label", "league/2015/game_a/2") in messages and ("features", "league/2015/game_a/2") in messages
    label = next(p for p in report.errors if p.field == "label")  # the labels file, and what to do
    assert label.file == str(soccernet_root / "league/2015/game_a" / "Labels-v2.json")
    assert "'Penalty'" in label.message and "dataset.class_names" in label.message


def test_a_class_listed_twice_is_an_error_naming_it(soccernet_root):
    """It collapsed silently: 'num_classes 1 != 2' and the other class 'not in the class list'."""
    with pytest.raises(DataError, match="dataset.class_names.*'Goal' is listed more than once"):
        make_dataset("soccernet", False, ["train"], **_kwargs(soccernet_root, class_names=["Goal", "Goal"]))
