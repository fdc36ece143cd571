"""Necks (registry ``NECKS``): map backbone levels to the pyramid the heads read."""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import LayerNorm, MaskedConv1D
from ..registries import NECKS


def _level_range(num_levels: int, start_level: int, end_level: int) -> Tuple[int, int]:
    end = num_levels if end_level == -1 else end_level
    if not (0 <= start_level < end <= num_levels):
        raise ValueError(f"need 0 <= start_level < end_level <= {num_levels}, got {start_level}, {end_level}")
    return start_level, end


@NECKS.register("fpn")
class FPN1D(nn.Module):
    """Feature pyramid: 1x1 laterals, top-down nearest upsampling, depthwise 3-conv and LayerNorm."""

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
        self.in_channels = list(in_channels)
        self.out_channel = out_channel
        self.scale_factor = scale_factor
        self.start_level, self.end_level = _level_range(len(self.in_channels), start_level, end_level)
        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        self.fpn_norms = nn.ModuleList()
        for i in range(self.start_level, self.end_level):
            self.lateral_convs.append(MaskedConv1D(self.in_channels[i], out_channel, 1, bias=False))
            self.fpn_convs.append(MaskedConv1D(out_channel, out_channel, 3, padding=1, bias=False, groups=out_channel))
            self.fpn_norms.append(LayerNorm(out_channel) if with_ln else nn.Identity())
        self.out_channels = out_channel

    def forward(self, inputs: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> Tuple[List, List]:
        if len(inputs) != len(self.in_channels) or len(masks) != len(self.in_channels):
            raise ValueError(f"FPN expects {len(self.in_channels)} levels, got {len(inputs)} / {len(masks)}")
        levels = range(self.start_level, self.end_level)
        laterals = [self.lateral_convs[j](inputs[i], masks[i])[0] for j, i in enumerate(levels)]
        for j in range(len(laterals) - 1, 0, -1):
            laterals[j - 1] = laterals[j - 1] + F.interpolate(laterals[j], scale_factor=self.scale_factor, mode="nearest")
        out_masks = [masks[i] for i in levels]
        feats = [norm(conv(x, m)[0]) for conv, norm, x, m in zip(self.fpn_convs, self.fpn_norms, laterals, out_masks)]
        return feats, out_masks


@NECKS.register("identity")
class FPNIdentity(nn.Module):
    """No mixing across levels: a LayerNorm (or nothing) per level."""

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
        self.in_channels = list(in_channels)
        self.out_channel = out_channel
        self.scale_factor = scale_factor
        self.start_level, self.end_level = _level_range(len(self.in_channels), start_level, end_level)
        self.fpn_norms = nn.ModuleList()
        for i in range(self.start_level, self.end_level):
            if self.in_channels[i] != out_channel:
                raise ValueError(
                    f"identity neck needs fpn_dim == backbone width, got {out_channel} vs {self.in_channels[i]}"
                )
            self.fpn_norms.append(LayerNorm(out_channel) if with_ln else nn.Identity())
        self.out_channels = out_channel

    def forward(self, inputs: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> Tuple[List, List]:
        if len(inputs) != len(self.in_channels) or len(masks) != len(self.in_channels):
            raise ValueError(f"neck expects {len(self.in_channels)} levels, got {len(inputs)} / {len(masks)}")
        levels = range(self.start_level, self.end_level)
        feats = [norm(inputs[i]) for norm, i in zip(self.fpn_norms, levels)]
        return feats, [masks[i] for i in levels]
