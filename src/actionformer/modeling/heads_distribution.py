"""Boundary-distribution heads (registry ``HEADS``): per point and per side, logits over the
offsets 0..num_bins (in units of the level's stride) instead of one regressed number.

Both heads return, per pyramid level, (B, 2, num_bins + 1, T_l) logits: side 0 is the distance
to the start, side 1 to the end. The meta-architecture turns them into offsets with
``losses_dfl.expected_offsets``.

- ``distribution`` (TBT-Former): a conv tower whose last layer gives the 2 (num_bins + 1) logits.
- ``trident`` (TriDet, Shi et al. CVPR 2023): three branches. A start branch and an end branch
  score every step as a start / end (one logit per step); a centre-offset branch gives, per
  step t and bin b, a logit for "the boundary is b steps away". The start distribution of
  point t is softmax over b of start(t - b) + centre_start(t, b) (end: end(t + b) +
  centre_end(t, b)): the boundary is placed by the *relative* evidence of its neighbours.
"""

from __future__ import annotations

from typing import List, Sequence, Type

import torch
from torch import nn

from .heads import _ConvTower
from .layers import MaskedConv1D
from .registries import HEADS

# the logit of a neighbour outside the valid steps: a boundary cannot lie there. Finite (not
# -inf), so that a padded point, whose neighbours are all outside, still gets a finite softmax;
# representable in float16 and bfloat16.
OUTSIDE_LOGIT = -1.0e4


class _Tower(_ConvTower):
    """A conv tower and a last conv of ``out_channels`` (the heads' shared building block)."""

    def __init__(
        self, input_dim: int, feat_dim: int, out_channels: int, num_layers: int, kernel_size: int,
        with_ln: bool, act_layer: Type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.act = act_layer()
        self._build_tower(input_dim, feat_dim, num_layers, kernel_size, with_ln)
        self.last = MaskedConv1D(feat_dim, out_channels, kernel_size, stride=1, padding=kernel_size // 2)

    def forward(self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        return self._level_outputs(self.last, feats, masks)


def _as_bins(x: torch.Tensor, num_bins: int) -> torch.Tensor:
    b, _, t = x.shape
    return x.view(b, 2, num_bins + 1, t)  # (B, 2 (num_bins + 1), T) -> (B, 2, num_bins + 1, T)


@HEADS.register("distribution")
class DistributionRegHead(nn.Module):
    """Per level (B, 2, num_bins + 1, T_l) logits from one conv tower (TBT-Former's head).

    The last layer starts with zero bias, i.e. near-uniform distributions (expected offset
    num_bins / 2); no per-level scale is needed, the bins are already in strides.
    """

    def __init__(
        self, input_dim: int, feat_dim: int, fpn_levels: int, num_bins: int = 16, num_layers: int = 3,
        kernel_size: int = 3, with_ln: bool = False,
    ) -> None:
        super().__init__()
        if num_bins < 1:
            raise ValueError(f"num_bins (reg_max) must be >= 1, got {num_bins}")
        self.fpn_levels, self.num_bins = fpn_levels, num_bins
        self.tower = _Tower(input_dim, feat_dim, 2 * (num_bins + 1), num_layers, kernel_size, with_ln)

    def forward(self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        if len(feats) != self.fpn_levels:
            raise ValueError(f"distribution head built for {self.fpn_levels} levels, got {len(feats)}")
        return [_as_bins(x, self.num_bins) for x in self.tower(feats, masks)]


def neighbour_logits(boundary: torch.Tensor, mask: torch.Tensor, num_bins: int, side: int) -> torch.Tensor:
    """(B, T) boundary logits -> (B, num_bins + 1, T): entry (b, t) is the logit of step t - b
    (side 0, starts) or t + b (side 1, ends); steps outside the mask get ``OUTSIDE_LOGIT``."""
    length = boundary.shape[-1]
    fill = torch.full_like(boundary, OUTSIDE_LOGIT)
    boundary = torch.where(mask, boundary, fill)
    pad = boundary.new_full((boundary.shape[0], num_bins), OUTSIDE_LOGIT)
    # one shifted slice per bin (not Tensor.unfold: ONNX cannot export it on a dynamic time axis)
    if side == 0:
        padded = torch.cat([pad, boundary], dim=-1)  # (B, num_bins + T): step t at t + num_bins
        shifted = [padded[:, num_bins - b: num_bins - b + length] for b in range(num_bins + 1)]
    else:
        padded = torch.cat([boundary, pad], dim=-1)  # (B, T + num_bins): step t at t
        shifted = [padded[:, b: b + length] for b in range(num_bins + 1)]
    return torch.stack(shifted, dim=1)  # (B, num_bins + 1, T)


@HEADS.register("trident")
class TridentHead(nn.Module):
    """Per level (B, 2, num_bins + 1, T_l) logits from TriDet's three branches (see the module
    docstring). The start and end branches use ``boundary_kernel_size``; the centre-offset
    branch the heads' ``kernel_size``.
    """

    def __init__(
        self, input_dim: int, feat_dim: int, fpn_levels: int, num_bins: int = 16, num_layers: int = 3,
        kernel_size: int = 3, with_ln: bool = False, boundary_kernel_size: int = 3,
    ) -> None:
        super().__init__()
        if num_bins < 1:
            raise ValueError(f"num_bins must be >= 1, got {num_bins}")
        self.fpn_levels, self.num_bins = fpn_levels, num_bins
        self.start_head = _Tower(input_dim, feat_dim, 1, num_layers, boundary_kernel_size, with_ln)
        self.end_head = _Tower(input_dim, feat_dim, 1, num_layers, boundary_kernel_size, with_ln)
        self.offset_head = _Tower(input_dim, feat_dim, 2 * (num_bins + 1), num_layers, kernel_size, with_ln)

    def forward(self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        if len(feats) != self.fpn_levels:
            raise ValueError(f"trident head built for {self.fpn_levels} levels, got {len(feats)}")
        starts, ends = self.start_head(feats, masks), self.end_head(feats, masks)  # (B, 1, T_l)
        out = []
        for start, end, centre, mask in zip(starts, ends, self.offset_head(feats, masks), masks):
            valid = mask[:, 0]  # (B, T)
            sides = torch.stack([
                neighbour_logits(start[:, 0], valid, self.num_bins, side=0),
                neighbour_logits(end[:, 0], valid, self.num_bins, side=1),
            ], dim=1)  # (B, 2, num_bins + 1, T)
            out.append(sides + _as_bins(centre, self.num_bins))
        return out
