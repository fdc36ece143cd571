"""`actionformer demo`, made tiny: it writes data, trains, evaluates and prints the original's table."""

from __future__ import annotations

import re


def test_tiny_demo_prints_the_map_table_and_leaves_the_experiment(run_cli, tmp_path):
    code, out, err = run_cli("demo", "--out", tmp_path, "--videos", "9", "--epochs", "1", "--no-progress")
    assert code == 0
    assert "it/s]" not in err  # --no-progress reaches the evaluation's bar too
    table = [line for line in out.splitlines() if line.startswith("|tIoU = ")]
    assert len(table) == 5 and table[0].startswith("|tIoU = 0.30: mAP = ")
    assert re.fullmatch(r"Average mAP: \d+\.\d\d \(%\)", out.strip().splitlines()[-1])
    exp_dir = tmp_path / "experiments" / "demo_demo"
    assert (exp_dir / "last.pth.tar").is_file() and (exp_dir / "config.yaml").is_file()
    assert (exp_dir / "demo_detections.json").is_file() and (exp_dir / "demo_metrics.json").is_file()


def test_a_second_demo_in_the_same_folder_needs_overwrite(run_cli, tmp_path):
    run = tmp_path / "experiments" / "demo_demo"
    run.mkdir(parents=True)
    (run / "last.pth.tar").write_bytes(b"an earlier demo")
    code, _, err = run_cli("demo", "--out", tmp_path, "--videos", "9", "--epochs", "1", "--no-progress")
    assert code == 2 and "--overwrite" in err
    assert (run / "last.pth.tar").read_bytes() == b"an earlier demo" and not (tmp_path / "data").exists()
