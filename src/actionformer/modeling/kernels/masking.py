"""Masking a fresh intermediate in place: one allocation fewer per layer, which pays on the
CPU where allocating and first touching large buffers is a large share of a layer's time."""

from __future__ import annotations

import torch

from ..layers.masking import mask_is_full


def overwrite_pays(x: torch.Tensor) -> bool:
    """Whether an in-place update of x (a fresh intermediate) is cheaper than a new tensor:
    always without autograd; under autograd only if x is not a view (autograd answers an
    in-place update of a view with a copy of its whole base in the backward)."""
    return not torch.is_grad_enabled() or x._base is None


def mask_fresh(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``apply_mask(x, mask)`` for an x that no backward keeps (a layer's fresh output): in place
    where that pays (autograd still derives the gradient; were x kept for a backward, autograd
    would raise, not miscompute)."""
    if mask_is_full(mask):
        return x
    valid = mask.to(x.dtype)
    return x.mul_(valid) if overwrite_pays(x) else x * valid
