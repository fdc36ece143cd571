"""Point events (action spotting) in our json and CSV, cropping that keeps them, and the
spotting ground truth of a dataset (annotations.py, datasets/base.py, transforms.py)."""

from __future__ import annotations

import json

import numpy as np
import torch

from actionformer.data import make_dataset, truncate_feats
from actionformer.data.annotations import load_annotations


def _point_dataset(tmp_path, annotations, extra_kwargs=None):
    db = {"v1": {"subset": "train", "duration": 20.0, "fps": 2.0, "annotations": annotations}}
    json_file = tmp_path / "points.json"
    json_file.write_text(json.dumps({"database": db}))
    (tmp_path / "feats").mkdir(exist_ok=True)
    np.save(tmp_path / "feats" / "v1.npy", np.zeros((40, 4), np.float32))
    kwargs = dict(feat_folder=str(tmp_path / "feats"), json_file=str(json_file), feat_stride=1, num_frames=1,
                  max_seq_len=64, input_dim=4, num_classes=2, file_ext=".npy", on_bad_video="ignore")
    kwargs.update(extra_kwargs or {})
    return make_dataset("custom", False, ["train"], **kwargs)


def test_json_time_and_zero_length_segments_are_point_events(tmp_path):
    ds = _point_dataset(tmp_path, [{"time": 3.5, "label": "goal"}, {"segment": [8.0, 8.0], "label": "card"},
                                   {"segment": [10.0, 12.0], "label": "goal"}])
    rec = ds.records["v1"]
    np.testing.assert_array_equal(rec.segments, [[3.5, 3.5], [8.0, 8.0], [10.0, 12.0]])
    assert rec.is_point == [True, False, False]
    # a point is fine; a zero-length *segment* only warns (a detection model cannot learn it)
    assert [p.severity for p in ds.problems] == ["warning"] and "8.0" in ds.problems[0].message
    gt = ds.to_spotting_ground_truth()
    assert gt["classes"] == ["card", "goal"]
    video = gt["videos"]["v1"]
    np.testing.assert_array_equal(video["times"], [3.5, 8.0, 11.0])  # a segment's centre
    assert video["times"].dtype == np.float64 and video["labels"].tolist() == [1, 0, 1]
    assert video["visible"].dtype == bool and video["visible"].all()


def test_a_bad_time_names_the_video_and_the_field(tmp_path):
    ds = _point_dataset(tmp_path, [{"time": "soon", "label": "goal"}, {"time": 1.0, "label": "goal"}],
                        {"num_classes": 1})
    errors = [p for p in ds.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].video_id == "v1" and errors[0].field == "annotations[0].segment"
    assert "time" in errors[0].message


def test_csv_video_time_label(tmp_path):
    (tmp_path / "events.csv").write_text("video,time,label\nv1,3.0,goal\nv1,x,goal\nv2,5.5,card\n")
    (tmp_path / "videos.csv").write_text("video,duration,fps,subset\nv1,20,2,train\nv2,30,2,val\n")
    db = load_annotations(str(tmp_path / "events.csv"), str(tmp_path / "videos.csv"))
    np.testing.assert_array_equal(db.videos["v1"].segments, [[3.0, 3.0]])
    assert db.videos["v2"].labels == ["card"] and db.videos["v2"].is_point == [True]
    assert [(p.field, p.video_id) for p in db.problems] == [("time", "v1")]


def test_cropping_keeps_point_events_inside_the_window_only():
    item = {"feats": torch.randn(4, 100), "segments": torch.tensor([[10.0, 10.0], [50.0, 50.0], [90.0, 90.0]]),
            "labels": torch.tensor([0, 1, 2])}
    import random

    for seed in range(20):
        out = truncate_feats(item, 40, 0.5, rng=random.Random(seed))
        assert out["segments"].shape[0] >= 1  # the window always keeps an event (has_action)
        assert ((out["segments"] >= 0) & (out["segments"] <= 40)).all()
        assert torch.equal(out["segments"][:, 0], out["segments"][:, 1])
        # the kept labels are those whose time lies in the window
        assert set(out["labels"].tolist()) <= {0, 1, 2}
