"""``actionformer infer``: feature folders without annotations, a dataset split, named errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from engine_cli_fixtures import CLASSES, FEAT_DIM


@pytest.fixture(scope="module")
def run_files(trained_run, tiny_config):
    return tiny_config, trained_run, tiny_config.parent / "features"


def test_folder_to_json_and_csv(run_cli, run_files, tmp_path):
    config, run, features = run_files
    code, out, err = run_cli("infer", config, run, features, "--fps", "30", "--out", tmp_path / "d.json",
                             "--no-progress")
    assert code == 0, err
    results = json.loads((tmp_path / "d.json").read_text())["results"]
    assert sorted(results) == sorted(p.stem for p in features.glob("*.npy"))
    assert all(d["label"] in CLASSES for dets in results.values() for d in dets)
    code, _, err = run_cli("infer", config, run, features, "--fps", "30", "--out", tmp_path / "d.csv",
                           "--no-progress", "--top-k", "2", "--min-score", "0.0")
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "d.csv").open()))
    assert list(rows[0]) == ["video", "start", "end", "label", "score"]
    assert max(sum(r["video"] == v for r in rows) for v in results) <= 2


def test_split_results_score_with_evaluate(run_cli, run_files, tmp_path):
    config, run, _ = run_files
    code, _, err = run_cli("infer", config, run, "--split", "test", "--out", tmp_path / "t.json", "--no-progress")
    assert code == 0, err
    import yaml

    gt_file = yaml.safe_load(config.read_text())["dataset"]["json_file"]
    code, out, err = run_cli("evaluate", gt_file, tmp_path / "t.json", "--split", "test")
    assert code == 0, err
    assert "Average mAP" in out


def test_usage_errors_exit_2(run_cli, run_files, tmp_path):
    config, run, features = run_files
    (tmp_path / "exists.json").write_text("{}")
    junk = tmp_path / "junk.pth.tar"
    junk.write_bytes(b"junk")
    cases = [
        ((features, "--out", tmp_path / "a.json"), "frame rate of the features is unknown"),
        ((features, "--split", "test", "--fps", "30", "--out", tmp_path / "a.json"), "not both"),
        ((features, "--fps", "30", "--out", tmp_path / "exists.json"), "--overwrite"),
        ((features, "--fps", "30", "--out", tmp_path / "a.txt"), "unknown format"),
        ((features, "--fps", "30", "--out", tmp_path / "a.json", "--min-score", "nan"), "must be a score in [0, 1]"),
        ((features, "--fps", "30", "--out", tmp_path / "a.json", "--constraints", tmp_path / "r.yaml"), "constraints"),
    ]
    for args, message in cases:
        code, _, err = run_cli("infer", config, run, *args, "--no-progress")
        assert code == 2 and message in err, (args, err)
    code, _, err = run_cli("infer", config, junk, features, "--fps", "30", "--out", tmp_path / "a.json")
    assert code == 2 and str(junk) in err
    code, _, err = run_cli("infer", config, run, features, "--fps", "30", "--out", tmp_path / "a.json",
                           "--set", "model.head_dim=8")
    assert code == 2 and "does not match the model" in err


@pytest.mark.parametrize("array, message", [
    (np.zeros((40, FEAT_DIM + 2), np.float32), f"{FEAT_DIM + 2} channels but the model expects {FEAT_DIM}"),
    (np.full((40, FEAT_DIM), np.inf, np.float32), "Inf"),
])
def test_bad_feature_files_exit_1_naming_the_file(run_cli, run_files, tmp_path, array, message):
    config, run, _ = run_files
    bad = tmp_path / "bad_video.npy"
    np.save(bad, array)
    code, _, err = run_cli("infer", config, run, bad, "--fps", "30", "--out", tmp_path / "a.json", "--no-progress")
    assert code == 1 and message in err and str(bad) in err
    assert not (tmp_path / "a.json").exists()


def test_unwritable_out_is_a_named_usage_error_before_inference(run_cli, run_files, tmp_path):
    """--out under a plain file (its folder cannot be made): exit 2 naming --out, no traceback."""
    config, run, features = run_files
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "d.json"
    code, _, err = run_cli("infer", config, run, features, "--fps", "30", "--out", out, "--no-progress")
    assert code == 2 and f"--out {out}: cannot write" in err and "Traceback" not in err
