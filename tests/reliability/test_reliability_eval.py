"""`actionformer eval` on bad features, the demo's own config, `make-synthetic` into a file."""

from __future__ import annotations

import json

import numpy as np
from reliability_helpers import snapshot, unchanged


def _poison(config, video="video_007", value=np.nan):
    path = config.parent / "features" / f"{video}.npy"
    feats = np.load(path)
    feats[2, 3] = value
    np.save(path, feats)


def test_eval_stops_on_nan_features_naming_the_file(run_cli, trained, tmp_path):
    config = trained
    run = config.parent / "ckpt" / "tiny_ok"
    _poison(config)
    try:
        before = snapshot(run)
        code, _, err = run_cli("eval", config, run, "--out", tmp_path / "dets.json")
        assert code == 1 and "video video_007" in err and "video_007.npy" in err and "1 NaN" in err
        assert unchanged(before, run) and not (tmp_path / "dets.json").exists()
        code, out, err = run_cli("eval", config, run, "--out", tmp_path / "dets.json",
                                 "--set", "dataset.on_bad_video=skip")
        assert code == 0 and "Average mAP" in out
        dets = json.loads((tmp_path / "dets.json").read_text())["results"]
        assert "video_007" not in dets and len(dets) == 2
    finally:
        _poison(config, value=0.0)  # the session's dataset is shared: undo


def test_demo_config_evaluates_the_demo_run(run_cli, tmp_path):
    code, out, _ = run_cli("demo", "--out", tmp_path, "--videos", "9", "--epochs", "1", "--no-progress")
    assert code == 0
    demo_map = out.strip().splitlines()[-1]
    code, out, err = run_cli("eval", tmp_path / "data" / "demo.yaml", tmp_path / "experiments" / "demo_demo")
    assert code == 0, err
    assert out.strip().splitlines()[-1] == demo_map  # the same model, data and config


def test_make_synthetic_into_a_file_is_named(run_cli, tmp_path):
    target = tmp_path / "taken.txt"
    target.write_text("keep me")
    for out in (target, target / "sub"):
        code, _, err = run_cli("make-synthetic", out)
        assert code == 2 and "is a file" in err and "not a folder" in err
        assert "Traceback" not in err
    assert target.read_text() == "keep me"
