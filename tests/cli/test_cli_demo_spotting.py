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


def test_infer_runs_a_spotting_model_on_a_game_folder_and_on_a_split(run_cli, tmp_path):
    """infer with a SnapFormer: points written as .json (evaluate --task spotting reads it) and
    .csv, the timing of the soccernet layout (dataset.fps, one feature per 1 / fps s), the same
    points from the files as from the split (was: 'cannot write points results', and times x16)."""
    code, _, _ = run_cli("demo", "--task", "spotting", "--out", tmp_path, "--videos", "4", "--epochs", "1",
                         "--no-progress")
    assert code == 0
    run = tmp_path / "experiments" / "demo_spotting_demo"
    config = run / "config.yaml"
    valid = (tmp_path / "data" / "splits" / "valid.txt").read_text().split()[0]
    code, _, err = run_cli("infer", config, run, "--split", "valid", "--out", tmp_path / "split.json", "--no-progress")
    assert code == 0, err
    code, _, err = run_cli("infer", config, run, tmp_path / "data" / valid, "--out", tmp_path / "game.json",
                           "--no-progress")
    assert code == 0, err
    code, _, err = run_cli("infer", config, run, tmp_path / "data" / valid, "--out", tmp_path / "game.csv",
                           "--no-progress")
    assert code == 0, err
    split = json.loads((tmp_path / "split.json").read_text())["results"][f"{valid}/1"]
    game = json.loads((tmp_path / "game.json").read_text())["results"]
    half = next(v for k, v in game.items() if k.startswith("1_"))
    key = lambda p: (round(p["time"], 4), p["label"], round(p["score"], 5))  # noqa: E731
    assert sorted(map(key, half)) == sorted(map(key, split)) and half
    assert all(p["label"].startswith("Event") for p in half)
    header = (tmp_path / "game.csv").read_text().splitlines()[0]
    assert header == "video,time,label,score"
    from actionformer.evaluation.spotting.files import load_spotting_predictions

    loaded = load_spotting_predictions(tmp_path / "split.json", [f"Event0{i}" for i in range(4)])
    assert sum(len(d["times"]) for d in loaded) == sum(
        len(v) for v in json.loads((tmp_path / "split.json").read_text())["results"].values())
