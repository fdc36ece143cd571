import json

import h5py
import numpy as np
import pytest
import torch
from data_test_helpers import feat_len, make_cfg, video_entry, write_json

from actionformer.data import DATASETS, DataError, import_custom_modules, make_dataset
from actionformer.evaluation import load_ground_truth
from actionformer.postprocess import grid_to_seconds

ITEM_KEYS = {"video_id", "feats", "segments", "labels", "fps", "duration", "feat_stride", "feat_num_frames"}


def test_thumos_item_is_the_originals(thumos_dir):
    ds = make_dataset("thumos", False, ["validation"], **thumos_dir["kwargs"])
    assert len(ds) == 2 and ds.video_ids == ["video_validation_1", "video_validation_2"]
    item = ds[0]
    assert set(item) == ITEM_KEYS
    raw = np.load(thumos_dir["feats"] / "video_validation_1.npy")
    assert item["feats"].dtype == torch.float32 and torch.equal(item["feats"], torch.from_numpy(raw.T))
    expected = np.array([[2.0, 6.0], [10.0, 14.0]], np.float32) * 30.0 / 4 - 0.5 * 16 / 4
    assert item["segments"].dtype == torch.float32
    np.testing.assert_allclose(item["segments"].numpy(), expected)
    assert item["labels"].dtype == torch.int64 and item["labels"].tolist() == [0, 1]
    assert (item["fps"], item["duration"], item["feat_stride"], item["feat_num_frames"]) == (30.0, 40.0, 4, 16)
    attrs = ds.get_attributes()
    assert attrs["dataset_name"] == "thumos-14" and attrs["empty_label_ids"] == []
    np.testing.assert_allclose(attrs["tiou_thresholds"], [0.3, 0.4, 0.5, 0.6, 0.7])


def test_thumos_training_truncates_and_fps_per_video(thumos_dir):
    ds = make_dataset("thumos", True, ["validation"], **thumos_dir["kwargs"])
    for i in range(len(ds)):
        item = ds[(i, 123)]
        assert item["feats"].shape[1] <= 64 and item["segments"].shape[0] >= 1
    test = make_dataset("thumos", False, ["test"], **thumos_dir["kwargs"])
    assert test[1]["fps"] == 25.0
    kw = dict(thumos_dir["kwargs"], default_fps=10.0)
    assert make_dataset("thumos", False, ["test"], **kw)[1]["fps"] == 10.0


def test_downsample_rate(thumos_dir):
    kw = dict(thumos_dir["kwargs"], downsample_rate=2)
    item = make_dataset("thumos", False, ["validation"], **kw)[0]
    raw = np.load(thumos_dir["feats"] / "video_validation_1.npy")
    assert item["feats"].shape[1] == len(raw[::2]) and item["feat_stride"] == 8
    np.testing.assert_allclose(item["segments"][0].numpy(), np.array([2.0, 6.0]) * 30 / 8 - 16 / 16)


def test_real_thumos14_annotations_with_fake_features(tmp_path, thumos14_json):
    database = json.loads(thumos14_json.read_text())["database"]
    cliff = [v for v, e in database.items() if e["subset"] == "Validation"
             and any(a["label"] == "CliffDiving" for a in e["annotations"])][:2]
    others = [v for v, e in database.items() if e["subset"] == "Validation" and v not in cliff][:3]
    for vid in cliff + others:
        e = database[vid]
        np.save(tmp_path / f"{vid}.npy", np.zeros((feat_len(e["duration"], e["fps"], 4, 16), 4), np.float32))
    kw = dict(feat_folder=str(tmp_path), json_file=str(thumos14_json), feat_stride=4, num_frames=16,
              default_fps=None, downsample_rate=1, max_seq_len=2304, trunc_thresh=0.5, crop_ratio=[0.9, 1.0],
              input_dim=4, num_classes=20, file_prefix=None, file_ext=".npy", force_upsampling=False,
              on_bad_video="skip")
    with pytest.warns(UserWarning, match="skipping 195 videos"):
        ds = make_dataset("thumos", False, ["validation"], **kw)
    assert sorted(ds.video_ids) == sorted(cliff + others)
    assert ds.label_dict["CliffDiving"] == 4 and ds.label_dict["Diving"] == 7 and len(ds.label_dict) == 20
    for vid in cliff:
        item = ds[ds.video_index(vid)]
        acts = database[vid]["annotations"]
        assert item["labels"].tolist() == [a["label_id"] for a in acts]  # CliffDiving and Diving both kept
        assert 4 in item["labels"].tolist() and 7 in item["labels"].tolist()
        fps = database[vid]["fps"]
        np.testing.assert_allclose(item["segments"].numpy(),
                                   np.array([a["segment"] for a in acts], np.float32) * fps / 4 - 2, rtol=1e-6)


def _anet_folder(tmp_path, lengths, use_h5=False):
    db = {"a1": video_entry("training", 20.0, [(2.0, 5.0, "Cook", 0), (2.0, 5.0, "Cook", 0), (4.0, 19.5, "Dance", 1)]),
          "a2": video_entry("validation", 12.5, [(1.0, 4.0, "Dance", 1)], fps=25.0)}
    json_file = write_json(tmp_path / "anet.json", db)
    rng = np.random.default_rng(1)
    arrays = {vid: rng.standard_normal((n, 6)).astype(np.float32) for vid, n in zip(db, lengths)}
    if use_h5:
        folder = tmp_path / "feats.hdf5"
        with h5py.File(folder, "w") as f:
            for vid, a in arrays.items():
                f["v_" + vid] = a
    else:
        folder = tmp_path / "feats"
        folder.mkdir()
        for vid, a in arrays.items():
            np.save(folder / f"v_{vid}.npy", a)
    kw = dict(feat_folder=str(folder), json_file=str(json_file), feat_stride=16, num_frames=16, default_fps=None,
              downsample_rate=1, max_seq_len=32, trunc_thresh=0.5, crop_ratio=[0.9, 1.0], input_dim=6,
              num_classes=2, file_prefix="v_", file_ext=".npy", force_upsampling=True)
    return kw, arrays


@pytest.mark.parametrize("use_h5", [False, True])
def test_anet_force_upsampling_round_trip(tmp_path, use_h5):
    kw, arrays = _anet_folder(tmp_path, [37, 19], use_h5)
    ds = make_dataset("anet", False, ["validation"], **kw)
    item = ds[0]
    assert item["feats"].shape == (6, 32)
    n = arrays["a2"].shape[0]
    assert item["feat_stride"] == pytest.approx(((n - 1) * 16 + 16) / 32)
    assert item["feat_num_frames"] == item["feat_stride"]
    back = grid_to_seconds(item["segments"].double(), item["fps"], item["feat_stride"], item["feat_num_frames"],
                           item["duration"])
    np.testing.assert_allclose(back.numpy(), [[1.0, 4.0]], atol=1e-5)
    assert ds.get_attributes()["dataset_name"] == "ActivityNet 1.3"


def test_training_keeps_the_instances_evaluation_keeps(tmp_path):
    kw, _ = _anet_folder(tmp_path, [37, 19])
    item = make_dataset("anet", False, ["training"], **kw)[0]
    gt = load_ground_truth(kw["json_file"], "training")
    assert gt.num_removed == 1 and item["labels"].tolist() == gt.gt_label.tolist() == [0, 1]
    seconds = grid_to_seconds(item["segments"].double(), item["fps"], item["feat_stride"], item["feat_num_frames"],
                              item["duration"])
    np.testing.assert_allclose(seconds.numpy(), np.stack([gt.gt_start, gt.gt_end], axis=1), atol=1e-5)


def test_anet_fixed_length_features_and_one_class(tmp_path):
    kw, _ = _anet_folder(tmp_path, [20, 30])
    kw.update(feat_stride=-1, force_upsampling=False, num_classes=1)
    ds = make_dataset("anet", False, ["training"], **kw)
    item = ds[0]
    assert item["feats"].shape == (6, 20) and item["feat_stride"] == pytest.approx(20.0 * 30 / 20)
    assert item["labels"].tolist() == [0, 0]  # duplicates dropped, class-agnostic labels
    back = grid_to_seconds(item["segments"].double(), 30.0, item["feat_stride"], item["feat_num_frames"], 20.0)
    np.testing.assert_allclose(back.numpy(), [[2.0, 5.0], [4.0, 19.5]], atol=1e-5)
    kw.update(max_seq_len=16)
    with pytest.raises(DataError, match="longer than max_seq_len"):
        make_dataset("anet", False, ["training"], **kw)[0]


def test_anet_training_drops_actions_past_the_features(tmp_path):
    kw, _ = _anet_folder(tmp_path, [10, 10])  # 10 steps of 16 frames ~ 5.3 s of a 20 s video
    kw.update(force_upsampling=False, max_seq_len=64, crop_ratio=None)
    item = make_dataset("anet", True, ["training"], **kw)[0]
    assert item["labels"].tolist() == [0]  # "Dance" (4 s - 19.5 s) is mostly past the features


def test_epic_npz_and_empty_classes(tmp_path):
    db = {"P01": video_entry("training", 10.0, [(1.0, 2.0, "take", 0), (3.0, 4.0, "put", 2)])}
    json_file = write_json(tmp_path / "epic.json", db)
    np.savez(tmp_path / "P01.npz", feats=np.ones((17, 4), np.float32))
    kw = dict(feat_folder=str(tmp_path), json_file=str(json_file), feat_stride=16, num_frames=32, default_fps=30,
              downsample_rate=1, max_seq_len=64, trunc_thresh=0.3, crop_ratio=[0.9, 1.0], input_dim=4,
              num_classes=5, file_prefix=None, file_ext=".npz", force_upsampling=False)
    ds = make_dataset("epic", False, ["training"], **kw)
    assert ds[0]["feats"].shape == (4, 17)
    assert ds.get_attributes()["empty_label_ids"] == [1, 3, 4]
    assert ds.get_attributes()["dataset_name"] == "epic-kitchens-100"


def test_ego4d_concatenates_folders_and_keeps_offset(tmp_path):
    entry = video_entry("training", 10.0, [(1.0, 2.0, "a", 0), (3.0, 4.0, "b", 1)])
    entry["offset"] = 5.5
    json_file = write_json(tmp_path / "ego4d.json", {"clip1": entry})
    for name, (t, c) in {"slowfast": (18, 3), "egovlp": (17, 2)}.items():
        (tmp_path / name).mkdir()
        np.save(tmp_path / name / "clip1.npy", np.full((t, c), 1.0 if name == "slowfast" else 2.0, np.float32))
    kw = dict(feat_folder=[str(tmp_path / "slowfast"), str(tmp_path / "egovlp")], json_file=str(json_file),
              feat_stride=16, num_frames=32, default_fps=30, downsample_rate=1, max_seq_len=64, trunc_thresh=0.3,
              crop_ratio=[0.9, 1.0], input_dim=[3, 2], num_classes=2, file_prefix=None, file_ext=".npy",
              force_upsampling=False)
    item = make_dataset("ego4d", False, ["training"], **kw)[0]
    assert item["feats"].shape == (5, 17) and item["offset"] == 5.5
    assert item["feats"][:3].eq(1).all() and item["feats"][3:].eq(2).all()


def test_custom_csv_class_list_pt_features_and_activitynet_json(tmp_path):
    (tmp_path / "ann.csv").write_text("video,start,end,label\nv1,1.0,2.0,wave\nv1,3,5,clap\nv2,0.5,1.5,wave\n")
    (tmp_path / "videos.csv").write_text("video,duration,fps,subset\nv1,10,30,training\nv2,4,30,validation\n"
                                         "v3,6,30,training\n")
    (tmp_path / "classes.txt").write_text("clap\nwave\nsit\n")
    for vid, t in (("v1", 72), ("v2", 27), ("v3", 42)):
        torch.save(torch.randn(t, 5), tmp_path / f"{vid}.pt")
    kw = dict(feat_folder=str(tmp_path), json_file=str(tmp_path / "ann.csv"), video_list=str(tmp_path / "videos.csv"),
              class_list=str(tmp_path / "classes.txt"), feat_stride=4, num_frames=16, input_dim=5, num_classes=3,
              file_ext=None, max_seq_len=64, crop_ratio=None)
    ds = make_dataset("custom", False, ["training"], **kw)
    assert ds.video_ids == ["v1", "v3"]
    assert ds[0]["labels"].tolist() == [1, 0] and ds[1]["segments"] is None  # v3: background only
    gt = ds.to_activitynet_json()
    assert gt["database"]["v1"] == {"subset": "training", "duration": 10.0, "fps": 30.0, "annotations": [
        {"segment": [1.0, 2.0], "label": "wave", "label_id": 1}, {"segment": [3.0, 5.0], "label": "clap", "label_id": 0}]}
    assert gt["database"]["v3"]["annotations"] == []
    assert "v2" not in gt["database"]
    json.dumps(gt)  # plain json types only


def test_on_bad_video_error_skip_and_exclude(thumos_dir):
    (thumos_dir["feats"] / "video_validation_2.npy").unlink()
    with pytest.raises(DataError) as info:
        make_dataset("thumos", True, ["validation"], **thumos_dir["kwargs"])
    assert "video_validation_2" in str(info.value) and "video_validation_2.npy" in str(info.value)
    assert "on_bad_video: skip" in str(info.value)
    with pytest.warns(UserWarning, match="skipping 1 videos"):
        ds = make_dataset("thumos", True, ["validation"], on_bad_video="skip", **thumos_dir["kwargs"])
    assert ds.video_ids == ["video_validation_1"] and ds.skipped_videos == ["video_validation_2"]
    ds = make_dataset("thumos", True, ["validation"], exclude_videos=["video_validation_2"], **thumos_dir["kwargs"])
    assert ds.video_ids == ["video_validation_1"]
    with pytest.raises(ValueError, match="on_bad_video"):
        make_dataset("thumos", True, ["validation"], on_bad_video="maybe", **thumos_dir["kwargs"])


def test_wrong_num_classes_is_a_dataset_error_even_when_skipping(thumos_dir):
    kw = dict(thumos_dir["kwargs"], num_classes=20, on_bad_video="skip")
    with pytest.raises(DataError, match="3 classes but dataset.num_classes is 20"):
        make_dataset("thumos", False, ["validation"], **kw)


def test_unknown_dataset_name_suggests():
    with pytest.raises(KeyError, match="thumos"):
        make_dataset("thumso", False, ["x"])


def test_user_dataset_via_custom_imports(tmp_path, thumos_dir, monkeypatch):
    (tmp_path / "my_plugin_ds.py").write_text(
        "from actionformer.data import DATASETS, THUMOS14Dataset\n"
        "@DATASETS.register('my_plugin_ds')\n"
        "class Mine(THUMOS14Dataset):\n"
        "    title = 'mine'\n"
        "@DATASETS.register('my_minimal_ds')\n"
        "class Minimal:\n"
        "    def __init__(self, is_training, split, json_file, **unused):\n"
        "        self.split = split\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import_custom_modules({"custom_imports": ["my_plugin_ds"]})
    try:
        ds = make_dataset("my_plugin_ds", False, ["validation"], **thumos_dir["kwargs"])
        assert ds.get_attributes()["dataset_name"] == "mine" and len(ds) == 2
        minimal = make_dataset("my_minimal_ds", False, ["validation"], on_bad_video="error", **thumos_dir["kwargs"])
        assert minimal.split == ["validation"]
        with pytest.raises(ImportError, match="custom_imports: could not import 'no_such_module_xyz'"):
            import_custom_modules({"custom_imports": ["no_such_module_xyz"]})
    finally:
        DATASETS._entries.pop("my_plugin_ds", None)
        DATASETS._entries.pop("my_minimal_ds", None)


def test_custom_imports_accepts_a_python_file(tmp_path, thumos_dir):
    path = tmp_path / "plugin_by_path.py"
    path.write_text("from actionformer.data import DATASETS, CustomDataset\n"
                    "@DATASETS.register('by_path_ds')\nclass ByPath(CustomDataset):\n    pass\n")
    try:
        import_custom_modules(make_cfg({}) | {"custom_imports": [str(path)]})
        assert "by_path_ds" in DATASETS
    finally:
        DATASETS._entries.pop("by_path_ds", None)


def test_custom_imports_finds_modules_in_the_working_directory(tmp_path, monkeypatch):
    import sys

    (tmp_path / "cwd_plugin_ds.py").write_text("from actionformer.data import DATASETS, CustomDataset\n"
                                              "@DATASETS.register('cwd_ds')\nclass C(CustomDataset):\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    try:
        import_custom_modules({"custom_imports": ["cwd_plugin_ds"]})
        assert "cwd_ds" in DATASETS
    finally:
        DATASETS._entries.pop("cwd_ds", None)
        sys.modules.pop("cwd_plugin_ds", None)
