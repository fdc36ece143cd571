"""Parameter groups and per-iteration schedules, against the original's rules and formulas."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from actionformer.engine import make_optimizer, make_scheduler
from actionformer.engine.optim import split_decay_groups, total_epochs
from engine_toys import ToyDetector


def test_no_weight_decay_on_norms_biases_scales_and_position_embeddings():
    decay, no_decay = split_decay_groups(ToyDetector())
    assert decay == ["cls.weight", "conv.weight", "reg.weight"]
    assert set(no_decay) == {"cls.bias", "conv.bias", "reg.bias", "norm.weight", "norm.bias", "rel_pe", "scale.scale"}


def test_optimizer_types_and_groups():
    model = ToyDetector()
    adamw = make_optimizer(model, {"type": "AdamW", "learning_rate": 1e-3, "weight_decay": 0.05})
    assert isinstance(adamw, torch.optim.AdamW)
    assert [g["weight_decay"] for g in adamw.param_groups] == [0.05, 0.0]
    assert sum(len(g["params"]) for g in adamw.param_groups) == len(list(model.parameters()))
    sgd = make_optimizer(model, {"type": "SGD", "learning_rate": 0.1, "momentum": 0.8, "weight_decay": 0.0})
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.8
    with pytest.raises(ValueError, match="unsupported optimizer"):
        make_optimizer(model, {"type": "Adam", "learning_rate": 1.0})


def test_adamw_is_fused_and_updates_as_the_default_implementation():
    torch.manual_seed(0)
    model = ToyDetector()
    reference = ToyDetector()
    reference.load_state_dict(model.state_dict())
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = {"type": "AdamW", "learning_rate": 1e-2, "weight_decay": 0.05}
    fused = make_optimizer(model, cfg)
    assert fused.defaults["fused"] is True  # torch >= 2.4 on the CPU
    plain = torch.optim.AdamW(
        [{"params": g["params"], "weight_decay": g["weight_decay"]} for g in make_optimizer(reference, cfg).param_groups],
        lr=1e-2, foreach=False,
    )
    for step in range(3):
        for net in (model, reference):
            for p in net.parameters():
                p.grad = torch.full_like(p, 0.1 * (step + 1)) + torch.arange(p.numel()).view_as(p) * 1e-3
        fused.step()
        plain.step()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-6, msg=name)
    assert all(not torch.equal(p, initial[name]) for name, p in model.named_parameters())  # all updated


def _lrs(opt_cfg, iters_per_epoch, steps):
    model = nn.Linear(2, 2)
    optimizer = make_optimizer(model, {"type": "SGD", "learning_rate": opt_cfg["learning_rate"], "weight_decay": 0})
    scheduler = make_scheduler(optimizer, opt_cfg, iters_per_epoch)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def _chainable_warmup_cosine(base, warmup, total, steps, eta_min=1e-8):
    """The original's LinearWarmupCosineAnnealingLR recurrence, step by step."""
    lrs, lr = [], 0.0
    for t in range(steps + 1):
        if t == 0:
            lr = 0.0
        elif t < warmup:
            lr = lr + base / (warmup - 1)
        elif t == warmup:
            lr = base
        elif (t - 1 - total) % (2 * (total - warmup)) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / (total - warmup))) / 2
        else:
            lr = (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / \
                 (1 + math.cos(math.pi * (t - warmup - 1) / (total - warmup))) * (lr - eta_min) + eta_min
        lrs.append(lr)
    return lrs


def test_warmup_cosine_matches_the_original_recurrence():
    cfg = {"learning_rate": 1e-3, "epochs": 4, "warmup": True, "warmup_epochs": 2, "schedule_type": "cosine"}
    ours = _lrs(cfg, iters_per_epoch=5, steps=29)
    theirs = _chainable_warmup_cosine(1e-3, warmup=10, total=30, steps=29)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-15)
    assert ours[9] == pytest.approx(1e-3) and ours[0] == 0.0


def test_warmup_multistep_counts_milestones_after_warmup():
    cfg = {"learning_rate": 1.0, "epochs": 6, "warmup": True, "warmup_epochs": 1, "schedule_type": "multistep",
           "schedule_steps": [2, 4], "schedule_gamma": 0.1}
    lrs = _lrs(cfg, iters_per_epoch=2, steps=13)
    assert lrs[0] == 0.0 and lrs[1] == 1.0  # 2 warmup steps: 0, then base
    assert lrs[2:6] == [1.0] * 4
    assert lrs[6] == pytest.approx(0.1) and lrs[10] == pytest.approx(0.01)


def test_without_warmup_cosine_and_multistep_are_torchs():
    cosine = _lrs({"learning_rate": 1.0, "epochs": 2, "warmup": False, "schedule_type": "cosine"}, 4, 8)
    assert cosine[0] == 1.0 and cosine[4] == pytest.approx(0.5) and cosine[8] == pytest.approx(0.0, abs=1e-12)
    multi = _lrs({"learning_rate": 1.0, "epochs": 2, "warmup": False, "schedule_type": "multistep",
                  "schedule_steps": [1], "schedule_gamma": 0.5}, 3, 6)
    assert multi[:3] == [1.0] * 3 and multi[3] == 0.5


def test_scheduler_state_round_trip_and_unknown_type():
    cfg = {"learning_rate": 1.0, "epochs": 3, "warmup": True, "warmup_epochs": 1, "schedule_type": "cosine"}
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    first = make_scheduler(opt, cfg, 4)
    for _ in range(7):
        opt.step()
        first.step()
    second = make_scheduler(torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0), cfg, 4)
    second.load_state_dict(first.state_dict())
    assert second.last_epoch == 7 and second.get_lr() == first.get_lr()
    with pytest.raises(ValueError, match="unsupported schedule"):
        make_scheduler(opt, dict(cfg, schedule_type="poly"), 4)


def test_total_epochs_honours_early_stop():
    assert total_epochs({"epochs": 30, "warmup": True, "warmup_epochs": 5}) == 35
    assert total_epochs({"epochs": 30, "warmup": True, "warmup_epochs": 5, "early_stop_epochs": 20}) == 20
    assert total_epochs({"epochs": 30, "warmup": False, "warmup_epochs": 5}) == 30
