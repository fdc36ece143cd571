"""`actionformer demo --task spotting`, made tiny: data in SoccerNet's layout, a SnapFormer
trained, evaluated, the spotting table printed, predictions in both formats."""

from __future__ import annotations

import json
import re


def test_tiny_spotting_demo_prints_the_spotting_table_and_writes_both_formats(run_cli, tmp_path):
    code, out, _ = run_cli("demo", "--task", "spotting", "--out", tmp_path, "--videos", "4", "--epochs", "1",
                           "--no-progress")
    assert code == 0
    assert re.search(r"^tight \(1-5 s\)\s+\d+\.\d\d", out, re.MULTILINE)
    assert re.fullmatch(r"Average mAP: \d+\.\d\d \(%\) \[tight a-mAP\]", out.strip().splitlines()[-1])
    exp_dir = tmp_path / "experiments" / "demo_spotting_demo"
    points = json.loads((exp_dir / "demo_spotting_detections.json").read_text())["results"]
    assert points and all(set(p) == {"time", "label", "score"} for preds in points.values() for p in preds)
    games = list((exp_dir / "demo_spotting_soccernet").rglob("results_spotting.json"))
    assert len(games) == 1  # 2 games: one trains, one is held out
    first = json.loads(games[0].read_text())["predictions"][0]
    assert set(first) >= {"gameTime", "label", "position", "half", "confidence"}
    # eval again on the folder, our json only
    config = tmp_path / "data" / "demo_spotting.yaml"
    code, again, _ = run_cli("eval", config, exp_dir, "--format", "json", "--out", tmp_path / "again.json")
    assert code == 0 and (tmp_path / "again.json").is_file() and not (tmp_path / "again_soccernet").exists()
    assert again.strip().splitlines()[-1] == out.strip().splitlines()[-1]
