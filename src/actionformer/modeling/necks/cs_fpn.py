"""The cross-scale neck (``fpn_type: cs_fpn``): a top-down pass, then a bottom-up pass.

The ``fpn`` neck sends semantics from coarse to fine levels only. TBT-Former's cross-scale
pyramid (after PANet, Liu et al. 2018) adds the way back: after the top-down pass, each level
receives the previous (finer) output of the bottom-up pass through a strided convolution, so
the coarse levels that regress long actions also see the fine levels' precise boundaries.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import LayerNorm, MaskedConv1D
from ..layers.masking import apply_mask
from ..registries import NECKS
from .fpn import _level_range


def _strided_kernel(scale_factor: int) -> int:
    """The smallest odd kernel that covers a stride of ``scale_factor`` (3 for the usual 2)."""
    return scale_factor + 1 if scale_factor % 2 == 0 else scale_factor


@NECKS.register("cs_fpn")
class CrossScaleFPN(nn.Module):
    """Per level: 1x1 lateral; top-down: + nearest upsampling of the coarser level, then a
    depthwise 3-conv; bottom-up: + ReLU(strided k-conv of the finer level's output); then
    LayerNorm (or nothing). Padded steps are zeroed after every sum, so they stay inert.
    Same constructor as ``fpn``; ``scale_factor`` must be an integer (the pyramid's).
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channel: int,
        scale_factor: float = 2.0,
        start_level: int = 0,
        end_level: int = -1,
        with_ln: bool = True,
    ) -> None:
        super().__init__()
        if int(scale_factor) != scale_factor or scale_factor < 1:
            raise ValueError(f"cs_fpn needs an integer scale_factor >= 1, got {scale_factor}")
        self.in_channels = list(in_channels)
        self.out_channel = out_channel
        self.scale_factor = int(scale_factor)
        self.start_level, self.end_level = _level_range(len(self.in_channels), start_level, end_level)
        num = self.end_level - self.start_level
        kernel = _strided_kernel(self.scale_factor)
        self.lateral_convs = nn.ModuleList(
            [MaskedConv1D(self.in_channels[i], out_channel, 1, bias=False)
             for i in range(self.start_level, self.end_level)])
        self.top_down_convs = nn.ModuleList(
            [MaskedConv1D(out_channel, out_channel, 3, padding=1, bias=False, groups=out_channel)
             for _ in range(num)])
        # one strided convolution per level above the finest: level j reads level j - 1
        self.bottom_up_convs = nn.ModuleList(
            [MaskedConv1D(out_channel, out_channel, kernel, stride=self.scale_factor, padding=kernel // 2)
             for _ in range(num - 1)])
        self.out_norms = nn.ModuleList([LayerNorm(out_channel) if with_ln else nn.Identity() for _ in range(num)])
        self.out_channels = out_channel

    def forward(self, inputs: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> Tuple[List, List]:
        if len(inputs) != len(self.in_channels) or len(masks) != len(self.in_channels):
            raise ValueError(f"cs_fpn expects {len(self.in_channels)} levels, got {len(inputs)} / {len(masks)}")
        levels = range(self.start_level, self.end_level)
        out_masks = [masks[i] for i in levels]
        feats = [conv(inputs[i], masks[i])[0] for conv, i in zip(self.lateral_convs, levels)]  # (B, C, T_l)
        for j in range(len(feats) - 1, 0, -1):
            upsampled = F.interpolate(feats[j], scale_factor=self.scale_factor, mode="nearest")
            feats[j - 1] = apply_mask(feats[j - 1] + upsampled, out_masks[j - 1])
        feats = [conv(x, m)[0] for conv, x, m in zip(self.top_down_convs, feats, out_masks)]
        for j in range(1, len(feats)):
            down = self.bottom_up_convs[j - 1](feats[j - 1], out_masks[j - 1])[0]  # (B, C, T_j)
            feats[j] = apply_mask(feats[j] + F.relu(down), out_masks[j])
        return [norm(x) for norm, x in zip(self.out_norms, feats)], out_masks
