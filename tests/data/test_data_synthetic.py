import json

import numpy as np
import pytest
import yaml

from actionformer.data import check_data_from_config, make_dataset
from actionformer.data.synthetic import SyntheticSpec, generate_videos, make_synthetic_dataset


def test_writes_a_thumos_folder_and_a_ready_config(tmp_path):
    path = make_synthetic_dataset(tmp_path / "syn", num_videos=10, num_classes=4, feat_dim=16, seed=3,
                                  name="tiny", config_overrides={"opt": {"epochs": 2}})
    assert path == str(tmp_path / "syn" / "tiny.yaml")
    cfg = yaml.safe_load(open(path))
    assert cfg["dataset_name"] == "thumos" and cfg["opt"]["epochs"] == 2
    assert cfg["dataset"]["input_dim"] == 16 and cfg["dataset"]["num_classes"] == 4
    assert cfg["dataset"]["feat_folder"].startswith("/") and cfg["dataset"]["json_file"].startswith("/")
    report = check_data_from_config(cfg)
    assert report.ok and not report.problems, report.format()
    splits = report.summary["splits"]
    assert splits["train"]["num_videos"] == 7 and splits["val"]["num_videos"] == 3
    train = make_dataset(cfg["dataset_name"], True, cfg["train_split"], **cfg["dataset"])
    item = train[(0, 0)]
    assert item["feats"].shape[0] == 16 and item["feats"].shape[1] <= cfg["dataset"]["max_seq_len"]
    assert item["segments"].shape[0] >= 1


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    a = make_synthetic_dataset(tmp_path / "a", num_videos=4, seed=1)
    b = make_synthetic_dataset(tmp_path / "b", num_videos=4, seed=1)
    c = make_synthetic_dataset(tmp_path / "c", num_videos=4, seed=2)
    ja, jb, jc = (json.loads((tmp_path / n / "annotations" / "synthetic.json").read_text()) for n in "abc")
    assert ja == jb and ja != jc
    vid = next(iter(ja["database"]))
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "features" / f"{vid}.npy"),
                                  np.load(tmp_path / "b" / "features" / f"{vid}.npy"))
    assert a != b != c


def test_actions_lie_inside_the_video_and_features_are_float32():
    spec = SyntheticSpec(num_videos=20, seed=5)
    for _, _, feats, entry in generate_videos(spec):
        assert feats.dtype == np.float32 and feats.shape[1] == spec.feat_dim
        assert entry["duration"] == pytest.approx(((feats.shape[0] - 1) * 4 + 16) / 30.0, abs=0.01)
        segs = np.array([a["segment"] for a in entry["annotations"]])
        assert (segs[:, 0] >= 0).all() and (segs[:, 1] <= entry["duration"]).all()
        assert (segs[:, 1] > segs[:, 0]).all()
        order = np.argsort(segs[:, 0])
        assert (segs[order][1:, 0] >= segs[order][:-1, 1]).all(), "actions do not overlap"


def test_temporal_context_is_needed_to_classify_well():
    """Nearest class centroid: one step at a time vs the mean over the action."""
    spec = SyntheticSpec(num_videos=80, seed=0)
    train, test = {}, []
    for _, subset, feats, entry in generate_videos(spec):
        for act in entry["annotations"]:
            s, e = (int(round((t * spec.fps - 8) / 4)) for t in act["segment"])
            if subset == "validation":
                train.setdefault(act["label_id"], []).append(feats[s:e])
            else:
                test.append((feats[s:e], act["label_id"]))
    centroids = np.stack([np.concatenate(train[k]).mean(0) for k in sorted(train)])

    def predict(x):
        return np.argmin(((x[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)

    per_step = np.mean(np.concatenate([predict(x) == y for x, y in test]))
    pooled = np.mean([predict(x.mean(0, keepdims=True))[0] == y for x, y in test])
    assert per_step < 0.75 and pooled > per_step + 0.1, (per_step, pooled)


def test_bad_knobs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="num_videos"):
        make_synthetic_dataset(tmp_path, num_videos=1)
    with pytest.raises(ValueError, match="min_len"):
        make_synthetic_dataset(tmp_path, min_len=10, max_len=5)
