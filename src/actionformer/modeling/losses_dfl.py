"""Boundary distributions: the expected offset of a distribution over bins, and Distribution
Focal Loss (Li et al., Generalized Focal Loss, NeurIPS 2020).

A distribution head predicts, per point and per side (start, end), ``reg_max + 1`` logits over
the offsets 0, 1, ..., reg_max (in units of the level's stride). Its offset is the expectation
under the softmax, which the usual IoU-family losses and the usual decoding take as they take
a regressed offset. DFL additionally pulls the probability mass onto the two bins either side
of the target offset, so the distribution stays sharp where the boundary is clear and may stay
wide where it is not.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .losses import _reduce


def _check_bins(bin_logits: torch.Tensor) -> int:
    if bin_logits.dim() < 1 or bin_logits.shape[-1] < 2:
        raise ValueError(f"bin logits need at least 2 bins on the last axis, got shape {tuple(bin_logits.shape)}")
    return bin_logits.shape[-1] - 1


def expected_offsets(bin_logits: torch.Tensor) -> torch.Tensor:
    """(..., reg_max + 1) logits -> (...) expected bin index, sum_b b * softmax(logits)_b.

    Computed in float32 (under autocast too): the expectation of 17 bf16 probabilities would be
    off by a few hundredths of a stride, enough to move a boundary on the coarse levels.
    """
    reg_max = _check_bins(bin_logits)
    probs = F.softmax(bin_logits.float(), dim=-1)
    bins = torch.arange(reg_max + 1, dtype=probs.dtype, device=probs.device)
    return probs @ bins


def clamp_offsets(offsets: torch.Tensor, reg_max: float) -> torch.Tensor:
    """Offsets (in strides) limited to what a distribution over 0..reg_max can express."""
    return offsets.clamp(min=0.0, max=float(reg_max))


def distribution_focal_loss(
    bin_logits: torch.Tensor, target_offsets: torch.Tensor, reduction: str = "none"
) -> torch.Tensor:
    """DFL of (N, 2, reg_max + 1) logits against (N, 2) target offsets in [0, reg_max].

    For a target y between bins l = floor(y) and l + 1: ``-((l + 1 - y) log p_l + (y - l)
    log p_{l+1})``, a cross-entropy whose soft label splits 1 linearly between the two bins (at
    y = reg_max, l = reg_max - 1 and the whole weight goes to the last bin). Per point, the mean
    over its two sides. Computed in float32. Targets outside [0, reg_max] are an error: clamp
    them first (:func:`clamp_offsets`), since the loss cannot say what a bin beyond reg_max is.
    """
    reg_max = _check_bins(bin_logits)
    if bin_logits.dim() != 3 or bin_logits.shape[:2] != target_offsets.shape or target_offsets.shape[-1:] != (2,):
        raise ValueError(
            f"need (N, 2, reg_max + 1) logits and (N, 2) targets, got {tuple(bin_logits.shape)} "
            f"and {tuple(target_offsets.shape)}")
    target = target_offsets.float()
    if bool(((target < 0) | (target > reg_max)).any()):
        raise ValueError(f"DFL targets must lie in [0, reg_max = {reg_max}] (clamp them first)")
    left = target.floor().clamp(max=reg_max - 1)  # (N, 2)
    weight_right = target - left
    log_probs = F.log_softmax(bin_logits.float(), dim=-1)  # (N, 2, reg_max + 1)
    left_idx = left.long().unsqueeze(-1)
    log_left = log_probs.gather(-1, left_idx).squeeze(-1)
    log_right = log_probs.gather(-1, left_idx + 1).squeeze(-1)
    loss = -((1.0 - weight_right) * log_left + weight_right * log_right)  # (N, 2)
    return _reduce(loss.mean(dim=-1), reduction)
