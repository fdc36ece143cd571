"""`actionformer train` end to end on a tiny dataset: experiment folder, overrides, resume."""

from __future__ import annotations

import yaml
import torch

from actionformer.engine.checkpoint import LAST_NAME, load_checkpoint_file


def test_training_writes_the_experiment_folder(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {"config.yaml", "log.txt", "logs", LAST_NAME, "model_best.pth.tar", "epoch_002.pth.tar"} <= names
    assert list((trained_run / "logs").glob("events.out.tfevents.*"))
    log = (trained_run / "log.txt").read_text()
    assert "[Train] epoch 3/3" in log and "Average mAP:" in log and "All done!" in log
    saved = yaml.safe_load((trained_run / "config.yaml").read_text())
    assert saved["trainer"]["eval_freq"] == 1 and saved["opt"]["epochs"] == 2
    state = load_checkpoint_file(trained_run / LAST_NAME)
    assert state["epoch"] == 2 and state["config"]["opt"]["epochs"] == 2
    assert set(state["state_dict"]) == set(state["state_dict_ema"])


def test_bad_override_is_rejected_before_training(run_cli, tiny_config):
    code, out, err = run_cli("train", tiny_config, "--set", "opt.epochz=3")
    assert code == 2 and "opt.epochz" in err


def test_interrupted_then_resumed_run_ends_with_the_same_weights(run_cli, tiny_config):
    common = ["--no-progress", "--eval-freq", "0", "--set", "opt.epochs=1", "train_cfg.dropout=0.1"]
    code, _, _ = run_cli("train", tiny_config, "--output", "full", *common)
    assert code == 0
    code, _, _ = run_cli("train", tiny_config, "--output", "cut", *common, "opt.early_stop_epochs=1")
    assert code == 0
    root = tiny_config.parent / "ckpt"
    code, out, _ = run_cli("train", tiny_config, "--output", "cut", "--resume", "auto", *common)
    assert code == 0 and "resumed from" in out
    full = load_checkpoint_file(root / "tiny_full" / LAST_NAME)
    resumed = load_checkpoint_file(root / "tiny_cut" / LAST_NAME)
    assert full["epoch"] == resumed["epoch"] == 1
    for key, value in full["state_dict"].items():
        torch.testing.assert_close(resumed["state_dict"][key], value, rtol=0, atol=0)
        torch.testing.assert_close(resumed["state_dict_ema"][key], full["state_dict_ema"][key], rtol=0, atol=0)


def test_bf16_training_through_the_cli(run_cli, tiny_config):
    code, out, _ = run_cli("train", tiny_config, "--output", "bf16", "--amp", "bf16", "--no-progress",
                           "--eval-freq", "0", "--set", "opt.epochs=1", "opt.warmup_epochs=0")
    assert code == 0 and "[Train] epoch 1/1" in out
    state = load_checkpoint_file(tiny_config.parent / "ckpt" / "tiny_bf16" / LAST_NAME)
    assert all(torch.isfinite(v).all() for v in state["state_dict"].values() if v.is_floating_point())
