"""TBTFormer and TriDet end to end through the CLI on a tiny dataset: train (bf16, EMA,
cs_fpn, scaled backbone) and eval; make-synthetic's --boundary-noise."""

from __future__ import annotations

import json

import torch

from actionformer.engine.checkpoint import LAST_NAME, load_checkpoint_file

TBT = ["model_name=TBTFormer", "model.fpn_type=cs_fpn", "model.fpn_dim=16", "model.backbone.mlp_ratio=6",
       "model.reg_max=8"]


def test_tbtformer_trains_and_evaluates(run_cli, tiny_config):
    code, _, err = run_cli("train", tiny_config, "--output", "tbt", "--no-progress", "--eval-freq", "0",
                           "--set", "opt.epochs=1", "opt.warmup_epochs=0", *TBT)
    assert code == 0, err[-2000:]
    run = tiny_config.parent / "ckpt" / "tiny_tbt"
    state = load_checkpoint_file(run / LAST_NAME)
    assert state["config"]["model_name"] == "TBTFormer" and state["config"]["model"]["backbone"]["mlp_ratio"] == 6
    assert "reg_head.tower.last.conv.weight" in state["state_dict_ema"]
    log = (run / "log.txt").read_text()
    assert "Training TBTFormer" in log and "dfl_loss" in log

    code, out, err = run_cli("eval", tiny_config, run, "--set", *TBT)
    assert code == 0, err[-2000:]
    assert out.rstrip().splitlines()[-1].startswith("Average mAP:")


def test_tridet_trains_in_bf16_and_evaluates(run_cli, tiny_config):
    sets = ["model_name=TriDet", "model.num_bins=8"]
    code, out, err = run_cli("train", tiny_config, "--output", "tridet", "--amp", "bf16", "--no-progress",
                             "--set", "opt.epochs=1", *sets)
    assert code == 0, err[-2000:]
    assert "Average mAP:" in out
    run = tiny_config.parent / "ckpt" / "tiny_tridet"
    state = load_checkpoint_file(run / LAST_NAME)
    assert "reg_head.start_head.last.conv.weight" in state["state_dict"]
    assert all(torch.isfinite(v).all() for v in state["state_dict"].values() if v.is_floating_point())
    code, out, _ = run_cli("eval", tiny_config, run, "--set", *sets)
    assert code == 0 and out.rstrip().splitlines()[-1].startswith("Average mAP:")


def test_make_synthetic_boundary_noise(tmp_path, run_cli):
    code, _, _ = run_cli("make-synthetic", tmp_path / "n", "--videos", "6", "--boundary-noise", "0.2")
    assert code == 0
    assert json.loads((tmp_path / "n" / "annotations" / "synthetic.json").read_text())["database"]
    code, _, err = run_cli("make-synthetic", tmp_path / "bad", "--videos", "6", "--boundary-noise", "0.7")
    assert code == 2 and "boundary_noise must be in [0, 0.5)" in err
