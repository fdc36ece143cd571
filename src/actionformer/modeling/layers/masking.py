"""Applying (B, 1, T) validity masks, skipped when every step is valid.

The original multiplies activations by their mask after nearly every layer. Where a batch has
no padding (one video at inference, or a batch of full-length clips) the mask is all ones and the
product is the identity, bit for bit, so it is skipped: each skip saves a pass over the
activation in the forward and another in the backward. The skip is exact on every device; it is
only *checked* on the CPU, where reading the mask costs nothing (on a GPU the check would stall
the stream to read the answer back).
"""

from __future__ import annotations

import torch


def mask_is_full(mask: torch.Tensor) -> bool:
    """True when ``mask`` is on the CPU and every step is valid (then masking may be skipped)."""
    return mask.device.type == "cpu" and bool(mask.all())


def apply_mask(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x * mask`` for x (B, C, T) and a (B, 1, T) bool mask; x itself when nothing is masked."""
    if mask_is_full(mask):
        return x
    return x * mask.to(x.dtype)
