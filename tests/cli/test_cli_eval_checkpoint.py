"""`actionformer eval`: reproduces the validation mAP of training, writes detections and metrics."""

from __future__ import annotations

import json

import pytest

from actionformer.engine.checkpoint import load_checkpoint_file


def test_eval_reproduces_the_validation_map_logged_in_training(run_cli, tiny_config, trained_run, tmp_path):
    out = tmp_path / "dets.json"
    code, stdout, _ = run_cli("eval", tiny_config, trained_run / "epoch_002.pth.tar", "--out", out)
    assert code == 0
    assert stdout.strip().splitlines()[-1].startswith("Average mAP: ")
    metrics = json.loads((tmp_path / "dets_metrics.json").read_text())
    logged = load_checkpoint_file(trained_run / "epoch_002.pth.tar")["map"]
    assert metrics["average_mAP"] * 100 == pytest.approx(logged, abs=1e-9)
    assert f"Average mAP: {logged:.2f} (%)" in stdout
    detections = json.loads(out.read_text())
    some = next(iter(detections["results"].values()))
    assert {"segment", "label", "label_id", "score"} <= set(some[0])


def test_eval_of_a_folder_picks_best_and_save_only_skips_scoring(run_cli, tiny_config, trained_run, tmp_path):
    out = tmp_path / "test_server.json"
    code, stdout, _ = run_cli("eval", tiny_config, trained_run, "--save-only", "--topk", "3", "--out", out)
    assert code == 0 and "model_best.pth.tar" in stdout and "Average mAP" not in stdout
    results = json.loads(out.read_text())["results"]
    assert results and all(len(rows) <= 3 for rows in results.values())
    assert not (tmp_path / "test_server_metrics.json").exists()


def test_missing_checkpoint_is_a_clear_error(run_cli, tiny_config, tmp_path):
    code, _, err = run_cli("eval", tiny_config, tmp_path / "nope.pth.tar")
    assert code == 2 and "nope.pth.tar" in err
    code, _, err = run_cli("eval", tiny_config, tmp_path, "--epoch", "7")
    assert code == 2 and "epoch 7" in err


def test_eval_of_a_checkpoint_in_the_original_release_layout(run_cli, tiny_config, trained_run, tmp_path):
    """The original saved from nn.DataParallel: every key prefixed with 'module.'."""
    import torch

    ours = load_checkpoint_file(trained_run / "epoch_002.pth.tar")
    released = {"epoch": 2, "state_dict": {f"module.{k}": v for k, v in ours["state_dict"].items()},
                "state_dict_ema": {f"module.{k}": v for k, v in ours["state_dict_ema"].items()}}
    torch.save(released, tmp_path / "released.pth.tar")
    code, stdout, _ = run_cli("eval", tiny_config, tmp_path / "released.pth.tar", "--out", tmp_path / "r.json")
    assert code == 0
    assert f"Average mAP: {ours['map']:.2f} (%)" in stdout


def test_threads_flag_sets_torchs_thread_count(run_cli, tiny_config, trained_run, tmp_path):
    import torch

    code, _, err = run_cli("eval", tiny_config, trained_run, "--threads", "0")
    assert code == 2 and "--threads 0" in err
    code, out, _ = run_cli("eval", tiny_config, trained_run, "--threads", "2", "--out", tmp_path / "d.json")
    assert code == 0 and "Average mAP" in out and torch.get_num_threads() == 2


def test_format_soccernet_on_videos_that_are_not_halves_is_a_usage_error(run_cli, tiny_config, trained_run,
                                                                        tmp_path, monkeypatch):
    """--format soccernet on a dataset whose video ids are not '<game>/<half>': exit 2, one line."""
    from actionformer.engine import loops

    def points(*args, **kwargs):  # the tiny run's segments as a spotting model's points
        return [{"video_id": d["video_id"], "times": [1.0], "scores": [0.5], "labels": [0]}
                for d in real_predict(*args, **kwargs)]

    real_predict = loops.predict
    monkeypatch.setattr(loops, "predict", points)
    code, _, stderr = run_cli("eval", tiny_config, trained_run, "--format", "soccernet", "--save-only",
                              "--out", tmp_path / "d.json")
    assert code == 2 and "Traceback" not in stderr
    assert "is not a SoccerNet half" in stderr and "--format json" in stderr


def test_soccernet_layout_warns_of_an_earlier_runs_games(tmp_path, capsys):
    """Re-evaluating on another split: the games of the earlier run left in <name>_soccernet/ are named."""
    from actionformer.cli.eval_checkpoint import _write_soccernet_layout

    def halves(game):
        return [{"video_id": f"{game}/{h}", "times": [1.0], "scores": [0.5], "labels": [0]} for h in (1, 2)]

    out = tmp_path / "model_best_detections.json"
    _write_soccernet_layout({"dataset_name": "soccernet"}, halves("l/s/valid_game"), {0: "a"}, out, "auto")
    _write_soccernet_layout({"dataset_name": "soccernet"}, halves("l/s/valid_game"), {0: "a"}, out, "auto")
    assert "warning" not in capsys.readouterr().err  # the same games again: nothing stale
    _write_soccernet_layout({"dataset_name": "soccernet"}, halves("l/s/test_game"), {0: "a"}, out, "auto")
    err = capsys.readouterr().err
    assert "1 game(s) not in this evaluation" in err and "l/s/valid_game" in err


def test_an_unwritable_out_is_a_usage_error(run_cli, tiny_config, trained_run, tmp_path):
    """--out whose folder is a file: exit 2 and one line (was a traceback)."""
    (tmp_path / "file").write_text("")
    code, _, stderr = run_cli("eval", tiny_config, trained_run, "--save-only", "--out", tmp_path / "file" / "d.json")
    assert code == 2 and "Traceback" not in stderr and "cannot write" in stderr and "--out" in stderr

