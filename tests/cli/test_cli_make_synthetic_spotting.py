"""`actionformer make-synthetic --task spotting`: SoccerNet's layout and a SnapFormer config."""

from __future__ import annotations

import json

import yaml

from actionformer.config import load_config
from actionformer.data.checks import check_data_from_config


def test_spotting_dataset_in_soccernet_layout_with_a_valid_config(tmp_path, run_cli):
    out = tmp_path / "spot"
    code, stdout, _ = run_cli("make-synthetic", out, "--task", "spotting", "--games", 3, "--classes", 3,
                              "--feat-dim", 8, "--epochs", 2, "--min-len", 40, "--max-len", 50, "--name", "mini")
    assert code == 0 and f"actionformer train {out / 'mini.yaml'}" in stdout
    cfg = yaml.safe_load((out / "mini.yaml").read_text())
    assert cfg["model_name"] == "SnapFormer" and cfg["dataset_name"] == "soccernet" and cfg["opt"]["epochs"] == 2
    games = sorted(p.parent for p in out.rglob("Labels-v2.json"))
    assert len(games) == 3 and all((g / "1_synthetic_PCA.npy").is_file() and (g / "2_synthetic_PCA.npy").is_file()
                                   for g in games)
    event = json.loads((games[0] / "Labels-v2.json").read_text())["annotations"][0]
    assert set(event) >= {"gameTime", "label", "position", "visibility"}
    report = check_data_from_config(load_config(out / "mini.yaml"))
    assert report.ok and report.summary["splits"]["train"]["num_videos"] == 4  # 2 games x 2 halves
    # an earlier dataset is kept unless --overwrite
    code, _, stderr = run_cli("make-synthetic", out, "--task", "spotting", "--name", "mini")
    assert code == 2 and "--overwrite" in stderr


def test_detection_only_options_are_refused_not_ignored(tmp_path, run_cli):
    # before: --boundary-noise / --overlap were silently ignored and clean data written
    for flag in ("--boundary-noise", "--overlap"):
        out = tmp_path / flag.strip("-")
        code, _, stderr = run_cli("make-synthetic", out, "--task", "spotting", "--games", 2, flag, 0.2)
        assert code == 2 and f"{flag} applies to detection data" in stderr and not out.exists()
