"""Optimizer with the original's parameter groups, and per-iteration learning-rate schedules.

Parameter groups follow the original release: weights of linear / convolution layers are
decayed; biases, normalization weights, ``Scale`` / ``AffineDropPath`` scales and position
embeddings are not. Schedules are stepped once per optimizer step and computed in closed form,
so a resumed run gets exactly the learning rate of an uninterrupted one.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

_NORM_TYPES = (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d, nn.InstanceNorm1d)
_DECAYED_TYPES = (nn.Linear, nn.Conv1d)
# names (last component) of parameters that are never decayed, whatever their module
_NO_DECAY_NAMES = ("bias", "rel_pe", "pos_embd", "pos_embed", "abs_pe")


def _module_kind(module: nn.Module) -> str:
    """'decay', 'no_decay' or '' (undecided) for the ``weight`` / ``scale`` of a module.

    Matched by class name as well as type, so the model's own LayerNorm / MaskedConv1D /
    Scale / AffineDropPath classes are recognized without importing modeling here.
    """
    name = type(module).__name__
    if isinstance(module, _NORM_TYPES) or "Norm" in name:
        return "no_decay"
    if isinstance(module, _DECAYED_TYPES) or name in ("MaskedConv1D", "Conv1d", "Linear"):
        return "decay"
    if name in ("Scale", "AffineDropPath"):
        return "no_decay"
    return ""


def split_decay_groups(model: nn.Module) -> Tuple[List[str], List[str]]:
    """Names of the parameters with and without weight decay; every trainable one is placed."""
    decay, no_decay = set(), set()
    for module_name, module in model.named_modules():
        kind = _module_kind(module)
        for param_name, param in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}" if module_name else param_name
            if not param.requires_grad:
                continue
            if param_name.endswith(_NO_DECAY_NAMES) or param_name == "scale" or param.ndim <= 1 and kind != "decay":
                no_decay.add(full)
            elif param_name.endswith("weight") and kind:
                (decay if kind == "decay" else no_decay).add(full)
            elif param.ndim >= 2:
                decay.add(full)
            else:  # pragma: no cover - covered by the ndim <= 1 rule above
                no_decay.add(full)
    return sorted(decay), sorted(no_decay)


def make_optimizer(model: nn.Module, optimizer_config: Mapping[str, Any]) -> torch.optim.Optimizer:
    """SGD or AdamW over two groups: decayed weights and the rest (weight decay 0)."""
    named = dict(model.named_parameters())
    decay, no_decay = split_decay_groups(model)
    groups = [
        {"params": [named[n] for n in decay], "weight_decay": float(optimizer_config.get("weight_decay", 0.0))},
        {"params": [named[n] for n in no_decay], "weight_decay": 0.0},
    ]
    opt_type = optimizer_config.get("type", "AdamW")
    lr = float(optimizer_config["learning_rate"])
    if opt_type == "SGD":
        return torch.optim.SGD(groups, lr=lr, momentum=float(optimizer_config.get("momentum", 0.9)))
    if opt_type == "AdamW":
        return _adamw(groups, lr)
    raise ValueError(f"opt.type: unsupported optimizer '{opt_type}' (choose 'AdamW' or 'SGD')")


def _adamw(groups: List[Dict[str, Any]], lr: float) -> torch.optim.AdamW:
    """AdamW with the fused implementation where torch has it for the parameters' device (the
    CPU since torch 2.4, CUDA): one kernel over all parameters instead of a dozen operations per
    tensor, ~3x faster steps (~40 ms saved per step of the THUMOS model on 2 CPU cores), the same
    update up to rounding. Elsewhere (older torch, other devices) the default implementation."""
    try:
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    except (RuntimeError, ValueError):
        return torch.optim.AdamW(groups, lr=lr)


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, max_steps: int,
                     warmup_start_lr: float = 0.0, eta_min: float = 1e-8) -> float:
    """The original's LinearWarmupCosineAnnealingLR at ``step`` (closed form)."""
    if step < warmup_steps:
        if warmup_steps <= 1:
            return base_lr
        return warmup_start_lr + step * (base_lr - warmup_start_lr) / (warmup_steps - 1)
    span = max(max_steps - warmup_steps, 1)
    return eta_min + 0.5 * (base_lr - eta_min) * (1.0 + math.cos(math.pi * (step - warmup_steps) / span))


def warmup_multistep_lr(step: int, base_lr: float, warmup_steps: int, milestones: Sequence[int],
                        gamma: float, warmup_start_lr: float = 0.0) -> float:
    """The original's LinearWarmupMultiStepLR at ``step``: milestones count from the end of warmup."""
    if step < warmup_steps:
        if warmup_steps <= 1:
            return base_lr
        return warmup_start_lr + step * (base_lr - warmup_start_lr) / (warmup_steps - 1)
    return base_lr * gamma ** bisect_right(sorted(milestones), step - warmup_steps)


class PerIterationLR(LRScheduler):
    """A learning-rate schedule given in closed form over optimizer steps.

    ``kind`` is 'cosine' or 'multistep'; with ``warmup_steps == 0`` they reduce to torch's
    CosineAnnealingLR (eta_min 0) and MultiStepLR, as the original without warmup.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, kind: str, warmup_steps: int, max_steps: int,
                 milestones: Sequence[int] = (), gamma: float = 0.1, last_epoch: int = -1) -> None:
        if kind not in ("cosine", "multistep"):
            raise ValueError(f"opt.schedule_type: unsupported schedule '{kind}' (choose 'cosine' or 'multistep')")
        self.kind = kind
        self.warmup_steps = int(warmup_steps)
        self.max_steps = int(max_steps)
        self.milestones = [int(m) for m in milestones]
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step: int, base_lr: float) -> float:
        if self.kind == "cosine":
            eta_min = 1e-8 if self.warmup_steps > 0 else 0.0
            return warmup_cosine_lr(step, base_lr, self.warmup_steps, self.max_steps, eta_min=eta_min)
        return warmup_multistep_lr(step, base_lr, self.warmup_steps, self.milestones, self.gamma)

    def get_lr(self) -> List[float]:
        return [self.lr_at(self.last_epoch, base) for base in self.base_lrs]

    def _get_closed_form_lr(self) -> List[float]:
        return self.get_lr()


def make_scheduler(optimizer: torch.optim.Optimizer, optimizer_config: Mapping[str, Any],
                   num_iters_per_epoch: int, last_epoch: int = -1) -> PerIterationLR:
    """The original's schedule, stepped every iteration (optimizer step).

    With ``warmup``, the schedule spans ``epochs + warmup_epochs`` epochs, the first
    ``warmup_epochs`` of them a linear ramp from 0.
    """
    epochs = int(optimizer_config.get("epochs", 30))
    warmup_epochs = int(optimizer_config.get("warmup_epochs", 0)) if optimizer_config.get("warmup", True) else 0
    max_steps = (epochs + warmup_epochs) * num_iters_per_epoch
    milestones = [num_iters_per_epoch * int(s) for s in optimizer_config.get("schedule_steps", []) or []]
    return PerIterationLR(
        optimizer,
        kind=optimizer_config.get("schedule_type", "cosine"),
        warmup_steps=warmup_epochs * num_iters_per_epoch,
        max_steps=max_steps,
        milestones=milestones,
        gamma=float(optimizer_config.get("schedule_gamma", 0.1)),
        last_epoch=last_epoch,
    )


def total_epochs(optimizer_config: Mapping[str, Any]) -> int:
    """Epochs actually trained: ``early_stop_epochs`` if set, else epochs + warmup epochs."""
    warmup = int(optimizer_config.get("warmup_epochs", 0)) if optimizer_config.get("warmup", True) else 0
    full = int(optimizer_config.get("epochs", 30)) + warmup
    early = optimizer_config.get("early_stop_epochs")
    return int(early) if early is not None else full


def optimizer_summary(optimizer: torch.optim.Optimizer) -> Dict[str, int]:
    """Parameter counts per group, for the log."""
    return {f"group{i}(wd={g['weight_decay']})": sum(p.numel() for p in g["params"])
            for i, g in enumerate(optimizer.param_groups)}
