"""`actionformer train` on bad inputs: a named error, its exit code, nothing written or changed."""

from __future__ import annotations

import numpy as np
import pytest
from reliability_helpers import FAST, snapshot, unchanged


def _truncate(path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


@pytest.mark.parametrize("flags, code, excerpt", [
    (["--set", "dataset.json_file=/no/such.json"], 2, "dataset.json_file: /no/such.json does not exist"),
    (["--set", "dataset.feat_folder=/no/such"], 2, "dataset.feat_folder: /no/such does not exist"),
    (["--set", "dataset.input_dim=32"], 2, "dataset.input_dim is 32 but the features have 16 channels"),
    (["--amp", "fp16"], 2, "--amp fp16 (trainer.amp) needs a CUDA GPU"),
    (["--accum-steps", "3"], 2, "--accum-steps 3 (trainer.accum_steps)"),
    (["--set", "dataset_name=thumoss"], 2, "did you mean 'thumos'"),
    (["--set", "model.backbone_type=convtransformr"], 2, "did you mean 'convTransformer'"),
    (["--set", "model_name=LocPointTransformr"], 2, "did you mean 'LocPointTransformer'"),
    (["--set", "custom_imports=[no_such_module_xyz]"], 2, "could not import 'no_such_module_xyz'"),
])
def test_bad_config_or_flag_is_named_before_anything_is_written(run_cli, data, flags, code, excerpt):
    before = snapshot(data.parent)
    got, out, err = run_cli("train", data, *FAST, *flags)
    assert got == code and excerpt in err, err
    assert "Traceback" not in err + out
    assert unchanged(before, data.parent) and not (data.parent / "ckpt").exists()


def test_device_cuda_without_a_gpu_is_named(run_cli, data):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = run_cli("train", data, *FAST, "--device", "cuda")
    assert code == 2 and "--device cuda (trainer.device): torch sees no CUDA GPU" in err
    assert not (data.parent / "ckpt").exists()


@pytest.mark.parametrize("split_video", ["video_001", "video_007"])  # training split, evaluation split
def test_truncated_feature_file_stops_before_the_first_step(run_cli, data, split_video):
    _truncate(data.parent / "features" / f"{split_video}.npy")
    before = snapshot(data.parent)
    code, _, err = run_cli("train", data, *FAST)
    assert code == 1  # the check-data report and its exit code
    assert f"video {split_video}" in err and "truncated" in err and "on_bad_video: skip" in err
    assert unchanged(before, data.parent) and not (data.parent / "ckpt").exists()


def test_skip_leaves_the_truncated_video_out_and_names_it(run_cli, data):
    _truncate(data.parent / "features" / "video_007.npy")
    code, out, err = run_cli("train", data, *FAST, "--output", "skip", "--set", "dataset.on_bad_video=skip")
    assert code == 0
    assert "leaving out 1 video(s): video_007" in err and "truncated" in err
    log = (data.parent / "ckpt" / "tiny_skip" / "log.txt").read_text()
    assert "left out 1 video(s): video_007" in log and "All done!" in log


def test_nan_found_when_read_stops_training_with_the_file_named(run_cli, data):
    path = data.parent / "features" / "video_002.npy"
    feats = np.load(path)
    feats[4, 1] = np.nan  # invisible in the header: found when the file is read
    np.save(path, feats)
    code, out, _ = run_cli("train", data, *FAST, "--output", "nan")
    assert code == 1
    assert "video video_002" in out and "video_002.npy" in out and "1 NaN and 0 Inf" in out


def test_nan_under_skip_is_left_out_with_a_warning(run_cli, data, caplog):
    path = data.parent / "features" / "video_002.npy"
    feats = np.load(path)
    feats[4, 1] = np.inf
    np.save(path, feats)
    code, out, _ = run_cli("train", data, *FAST, "--output", "skipnan", "--set", "dataset.on_bad_video=skip")
    assert code == 0
    assert "leaving out video video_002" in caplog.text and "1 Inf" in caplog.text


def test_every_video_bad_under_skip_is_an_error(run_cli, data):
    for path in (data.parent / "features").glob("*.npy"):
        _truncate(path)
    code, _, err = run_cli("train", data, *FAST, "dataset.on_bad_video=skip")
    assert code == 1 and "is bad: nothing would be left" in err
