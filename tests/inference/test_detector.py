"""The Detector API: one video, many videos batched by length, named errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from actionformer.inference import Detection, Detector, InferenceError
from inference_fixtures import CLASSES, FEAT_DIM, build


@pytest.fixture(scope="module")
def detector(infer_config, infer_checkpoint):
    return Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", class_names=CLASSES)


def test_one_video_in_either_layout_gives_sorted_named_detections(detector):
    feats = np.random.default_rng(0).normal(size=(100, FEAT_DIM)).astype(np.float32)
    found = detector(feats, layout="TC", video_id="v")
    assert found and all(isinstance(d, Detection) for d in found)
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)
    assert all(d.label_name == CLASSES[d.label] and 0 <= d.start <= d.end for d in found)
    assert detector(torch.from_numpy(feats.T.copy()), layout="CT", video_id="v") == found


def test_results_match_the_model_on_the_same_video_dict(detector, infer_config, infer_checkpoint):
    feats = np.random.default_rng(1).normal(size=(70, FEAT_DIM)).astype(np.float32)
    model = build(infer_config)
    model.load_state_dict(torch.load(infer_checkpoint, weights_only=True)["state_dict"])
    video = {"video_id": "v", "feats": torch.from_numpy(feats.T.copy()), "fps": 30.0,
             "duration": (69 * 4 + 16) / 30.0, "feat_stride": 4.0, "feat_num_frames": 16.0}
    with torch.no_grad():
        expected = model([video])[0]
    result = detector.run([("v", feats)])[0]
    assert torch.equal(result["segments"], expected["segments"]) and torch.equal(result["scores"], expected["scores"])


def test_run_keeps_input_order_and_batching_changes_nothing(detector, infer_features):
    one = detector.run([infer_features], batch_size=1)
    many = detector.run([infer_features], batch_size=3)
    assert [r["video_id"] for r in one] == ["clip_0", "clip_1", "clip_2"]
    for a, b in zip(one, many):
        assert torch.allclose(a["scores"], b["scores"], atol=1e-6)
        assert torch.allclose(a["segments"], b["segments"], atol=1e-5)


def test_run_takes_one_path_one_array_or_a_mapping_as_given(detector, infer_features):
    """A folder given as a plain string is one input (was: iterated character by character)."""
    by_list = detector.run([infer_features])
    by_path = detector.run(str(infer_features))
    assert [r["video_id"] for r in by_path] == [r["video_id"] for r in by_list]
    assert all(torch.equal(a["scores"], b["scores"]) for a, b in zip(by_path, by_list))
    feats = np.random.default_rng(2).normal(size=(60, FEAT_DIM)).astype(np.float32)
    assert [r["video_id"] for r in detector.run(feats)] == ["video_0"]
    assert [r["video_id"] for r in detector.run({"a": feats, "b": feats[:40]})] == ["a", "b"]


def test_long_video_runs_by_windows_with_the_same_results(infer_config, infer_checkpoint):
    feats = np.random.default_rng(2).normal(size=(900, FEAT_DIM)).astype(np.float32)
    full = Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", window_steps=100000)
    windowed = Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", window_steps=64)
    a, b = full(feats, layout="TC"), windowed(feats, layout="TC")
    assert windowed._margin is not None and len(a) == len(b) > 0
    assert np.allclose([d.score for d in a], [d.score for d in b], atol=1e-4)
    assert np.allclose([d.start for d in a], [d.start for d in b], atol=1e-4)


def test_bf16_autocast_runs_on_the_cpu(infer_config, infer_checkpoint):
    detector = Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", amp="bf16")
    found = detector(np.ones((50, FEAT_DIM), dtype=np.float32), layout="TC")
    assert found and all(np.isfinite(d.score) for d in found)
    with pytest.raises(InferenceError, match="fp16 needs a CUDA GPU") as err:
        Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", amp="fp16")
    assert err.value.code == 2


@pytest.mark.parametrize("array, message", [
    (np.zeros((50, FEAT_DIM + 1), np.float32), "9 channels but the model expects 8"),
    (np.zeros((FEAT_DIM, 50), np.float32), "looks transposed"),
    (np.zeros((0, FEAT_DIM), np.float32), "empty"),
    (np.full((20, FEAT_DIM), np.nan, np.float32), "NaN"),
])
def test_bad_features_are_named_data_errors(detector, array, message):
    with pytest.raises(InferenceError, match=message) as err:
        detector(array, layout="TC", video_id="bad")
    assert err.value.code == 1 and "bad" in str(err.value)


def test_missing_fps_and_layout_are_usage_errors(infer_config, infer_checkpoint):
    detector = Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu",
                                        overrides=["dataset.default_fps=null"])
    with pytest.raises(InferenceError, match="frame rate of the features is unknown") as err:
        detector(np.zeros((30, FEAT_DIM), np.float32), layout="TC")
    assert err.value.code == 2
    assert detector(np.zeros((30, FEAT_DIM), np.float32), layout="TC", fps=25.0) is not None
    with pytest.raises(InferenceError, match="layout must be"):
        detector(np.zeros((30, FEAT_DIM), np.float32), layout="T")


def test_checkpoint_of_another_config_is_named(infer_config, infer_checkpoint):
    with pytest.raises(InferenceError, match="does not match the model") as err:
        Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", overrides=["model.head_dim=16"])
    assert err.value.code == 2 and str(infer_checkpoint) in str(err.value)


def test_unreadable_and_empty_files_are_named(detector, tmp_path):
    (tmp_path / "empty.npy").write_bytes(b"")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    for name, message in (("empty.npy", "empty"), ("junk.npy", "cannot read features")):
        with pytest.raises(InferenceError, match=message) as err:
            detector.run([tmp_path / name])
        assert err.value.code == 1 and name in str(err.value)
    with pytest.raises(InferenceError, match="no such file") as err:
        detector.run([tmp_path / "absent.npy"])
    assert err.value.code == 2


def test_every_feature_format_and_hdf5_keys_are_videos(detector, tmp_path):
    import h5py

    rng = np.random.default_rng(4)
    arrays = {name: rng.normal(size=(30 + 10 * i, FEAT_DIM)).astype(np.float32)
              for i, name in enumerate(["a", "b", "c", "d"])}
    np.save(tmp_path / "a.npy", arrays["a"])
    np.savez(tmp_path / "b.npz", feats=arrays["b"])
    torch.save(torch.from_numpy(arrays["c"]), tmp_path / "c.pt")
    with h5py.File(tmp_path / "more.h5", "w") as handle:
        handle["d"] = arrays["d"]
    results = detector.run([tmp_path])
    assert [r["video_id"] for r in results] == ["a", "b", "c", "d"]
    for result in results:
        direct = detector.run([(result["video_id"], arrays[result["video_id"]])])[0]
        assert torch.equal(result["scores"], direct["scores"])
    with pytest.raises(InferenceError, match="given twice"):
        detector.run([tmp_path / "a.npy", ("a", arrays["a"])])


def test_class_names_of_the_nms_tables_resolve_with_the_given_names(infer_config, infer_checkpoint):
    # the config's dataset has no annotation file: only class_names (infer --classes) know 'Wave'
    detector = Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu", class_names=CLASSES,
                                        overrides=["test_cfg.class_sigma={Wave: 0.3}"])
    assert detector.model.test_cfg["class_sigma"] == {1: 0.3}
    assert detector(np.ones((50, FEAT_DIM), dtype=np.float32), layout="TC") is not None


def test_class_names_of_the_nms_tables_without_any_names_are_a_usage_error(infer_config, infer_checkpoint):
    with pytest.raises(InferenceError, match=r"test_cfg.class_sigma: class names \['Wave'\].*--classes") as err:
        Detector.from_checkpoint(infer_config, infer_checkpoint, device="cpu",
                                 overrides=["test_cfg.class_sigma={Wave: 0.3}"])
    assert err.value.code == 2


def test_an_hdf5_file_without_top_level_datasets_is_named(detector, tmp_path):
    """Groups only (video/feats) or nothing: a data error naming the file (was: 0 videos, exit 0)."""
    import h5py

    with h5py.File(tmp_path / "nested.h5", "w") as handle:
        handle.create_group("clip").create_dataset("feats", data=np.zeros((5, FEAT_DIM), np.float32))
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    for name, message in (("nested.h5", "only groups: clip"), ("empty.h5", "it is empty")):
        with pytest.raises(InferenceError, match=message) as err:
            detector.run([tmp_path / name], fps=30)
        assert err.value.code == 1 and name in str(err.value)
