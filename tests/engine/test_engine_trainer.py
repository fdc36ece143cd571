"""Trainer: a short run end to end, exact resume, accumulation, bf16 autocast, early stop."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from actionformer.engine import Trainer, TrainOptions, fix_random_seed
from actionformer.engine.checkpoint import BEST_NAME, LAST_NAME, list_epoch_checkpoints, load_checkpoint_file
from engine_toys import ToyDataset, ToyDetector, ToyEvaluator, toy_config


def _trainer(tmp_path: Path, cfg=None, resume=None, dropout=0.1, normalizer=True, **overrides) -> Trainer:
    cfg = cfg or toy_config()
    fix_random_seed(cfg["init_rand_seed"])
    model = ToyDetector(dropout=dropout, use_normalizer=normalizer)
    train_set, val_set = ToyDataset(16, seed=1), ToyDataset(6, seed=2)
    options = TrainOptions.from_config(cfg, show_progress=False, **overrides)
    trainer = Trainer(cfg, model, train_set, tmp_path, device=torch.device("cpu"), options=options,
                      val_dataset=val_set, evaluator=ToyEvaluator(val_set))
    if resume is not None:
        trainer.resume(resume)
    return trainer


def _weights(trainer: Trainer):
    return {k: v.clone() for k, v in trainer.bare_model.state_dict().items()}, \
           {k: v.clone() for k, v in trainer.model_ema.module.state_dict().items()}


def test_short_run_trains_validates_and_writes_checkpoints(tmp_path):
    trainer = _trainer(tmp_path)
    state = trainer.fit()
    assert len(state.history) == 4  # 3 epochs + 1 warmup epoch
    first, last = state.history[0]["final_loss"], state.history[-1]["final_loss"]
    assert last < first
    assert 0.0 <= state.best_map <= 100.0 and state.best_epoch >= 0
    assert (tmp_path / LAST_NAME).is_file() and (tmp_path / BEST_NAME).is_file()
    assert [p.name for p in list_epoch_checkpoints(tmp_path)] == ["epoch_002.pth.tar", "epoch_003.pth.tar"]
    saved = load_checkpoint_file(tmp_path / LAST_NAME)
    assert saved["epoch"] == 3 and saved["iteration"] == 16
    assert {"state_dict", "state_dict_ema", "optimizer", "scheduler", "rng", "config"} <= set(saved)
    best = load_checkpoint_file(tmp_path / BEST_NAME)
    assert "optimizer" not in best and best["best_map"] == pytest.approx(state.best_map)


def test_learning_rate_follows_warmup_then_cosine(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.fit()
    lrs = [h["lr"] for h in trainer.state.history]
    assert lrs[0] == pytest.approx(0.03)  # warmup of 4 steps ends at the base rate
    assert lrs[-1] == pytest.approx(1e-8, abs=1e-9)  # the cosine reaches eta_min at the last step


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path):
    full = _trainer(tmp_path / "full")
    full.fit()
    expected, expected_ema = _weights(full)

    part = _trainer(tmp_path / "part", **{"max_epochs": 2})
    part.fit()  # "interrupted" after epoch 2; its last.pth.tar holds epoch index 1
    assert load_checkpoint_file(tmp_path / "part" / LAST_NAME)["ema_updates"] == 8  # 2 epochs x 4 steps
    resumed = _trainer(tmp_path / "part", resume=tmp_path / "part" / LAST_NAME)
    assert resumed.state.start_epoch == 2 and resumed.model_ema.updates == 8
    # the interrupted run's scheduler ran over a 2-epoch horizon: restore the full horizon
    resumed.fit()
    got, got_ema = _weights(resumed)
    for key in expected:
        torch.testing.assert_close(got[key], expected[key], rtol=0, atol=0)
        torch.testing.assert_close(got_ema[key], expected_ema[key], rtol=0, atol=0)
    assert resumed.bare_model.loss_normalizer == full.bare_model.loss_normalizer
    assert resumed.model_ema.updates == full.model_ema.updates == 16


def test_resume_from_a_checkpoint_without_an_ema_count_counts_one_update_per_step(tmp_path):
    trainer = _trainer(tmp_path, **{"max_epochs": 1})
    trainer.fit()
    state = load_checkpoint_file(tmp_path / LAST_NAME)
    del state["ema_updates"]  # as written before the count was saved
    torch.save(state, tmp_path / "old.pth.tar")
    assert _trainer(tmp_path, resume=tmp_path / "old.pth.tar").model_ema.updates == state["iteration"] == 4
    del state["iteration"]  # neither count: from the epochs done
    torch.save(state, tmp_path / "older.pth.tar")
    assert _trainer(tmp_path, resume=tmp_path / "older.pth.tar").model_ema.updates == 4


def test_accumulation_matches_one_big_batch(tmp_path):
    base = toy_config()
    one = _trainer(tmp_path / "a", cfg=copy.deepcopy(base), dropout=0.0, normalizer=False)
    one.fit()
    two = _trainer(tmp_path / "b", cfg=copy.deepcopy(base), dropout=0.0, normalizer=False, accum_steps=2)
    two.fit()
    for (k, a), (_, b) in zip(_weights(one)[0].items(), _weights(two)[0].items()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=k)


def test_bf16_autocast_smoke(tmp_path):
    trainer = _trainer(tmp_path, amp="bf16")
    state = trainer.fit()
    losses = [h["final_loss"] for h in state.history]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]


def test_validation_frequency_does_not_change_training(tmp_path):
    often = _trainer(tmp_path / "often")
    often.fit()
    rarely = _trainer(tmp_path / "rarely", eval_freq=0)
    rarely.fit()
    for key, value in _weights(often)[0].items():
        torch.testing.assert_close(_weights(rarely)[0][key], value, rtol=0, atol=0)


def test_early_stop_epochs_ends_early_on_the_full_schedule(tmp_path):
    cfg = toy_config(early_stop_epochs=2)
    trainer = _trainer(tmp_path, cfg=cfg)
    state = trainer.fit()
    assert len(state.history) == 2
    assert trainer.scheduler.max_steps == 16  # the schedule still spans all 4 epochs


def test_fp16_on_cpu_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fp16 needs a CUDA device"):
        _trainer(tmp_path, amp="fp16")


def test_batch_not_divisible_by_accumulation_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="multiple of processes x accum_steps"):
        _trainer(tmp_path, accum_steps=3)


def test_resume_from_weights_only_checkpoint_is_refused(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.fit()
    with pytest.raises(ValueError, match="cannot be resumed"):
        _trainer(tmp_path / "x", resume=tmp_path / BEST_NAME)
