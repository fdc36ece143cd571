"""Applying (B, 1, T) validity masks, skipped when every step is valid.

The original multiplies activations by their mask after nearly every layer. Where a batch has
no padding (one video at inference, or a batch of full-length clips) the mask is all ones and the
product is the identity, bit for bit, so the fast path skips it: each skip saves a pass over the
activation in the forward and another in the backward.
"""

from __future__ import annotations

import torch

from .fastpath import fast_kernels_enabled


def mask_is_full(mask: torch.Tensor) -> bool:
    """True when every step of ``mask`` is valid and the fast path may skip it. Checked on the
    CPU only: on a GPU the check would stall the stream, and there the pass is cheap anyway."""
    return mask.device.type == "cpu" and fast_kernels_enabled() and bool(mask.all())


def overwrite_pays(x: torch.Tensor) -> bool:
    """Whether an in-place update of x (a fresh intermediate) is cheaper than a new tensor:
    always without autograd; under autograd only if x is not a view (autograd answers an
    in-place update of a view with a copy of its whole base in the backward)."""
    return not torch.is_grad_enabled() or x._base is None


def apply_mask(x: torch.Tensor, mask: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """``x * mask`` for x (B, C, T) and a (B, 1, T) bool mask; x itself when nothing is masked.

    ``inplace=True`` says x is a fresh intermediate that no backward keeps (a layer's output):
    the fast path may then overwrite it instead of allocating another tensor (autograd still
    derives the gradient; were x kept for a backward, autograd would raise, not miscompute).
    The reference path always multiplies out of place, as the original."""
    if mask_is_full(mask):
        return x
    valid = mask.to(x.dtype)
    if inplace and fast_kernels_enabled() and overwrite_pays(x):
        return x.mul_(valid)
    return x * valid
