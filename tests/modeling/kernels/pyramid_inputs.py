"""The padded feature pyramid the CPU head tests run on."""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch


def padded_pyramid(lengths: Sequence[int] = (40, 20, 10, 5), valid: Sequence[int] = (33, 20), channels: int = 32,
                   seed: int = 0) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
    """Per level (B=len(valid), C, T_l) features and (B, 1, T_l) masks, level l at stride 2**l;
    a video whose valid length is under the first level's is padded (zeros where masked)."""
    g = torch.Generator().manual_seed(seed)
    feats, masks = [], []
    for level, t in enumerate(lengths):
        steps = torch.arange(t)
        masks.append(torch.stack([steps < -(-v // 2**level) for v in valid])[:, None, :])
        feats.append(torch.randn(len(valid), channels, t, generator=g) * masks[-1])
    return feats, masks
