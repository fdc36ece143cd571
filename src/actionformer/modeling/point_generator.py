"""Point generator (registry ``GENERATORS``): the temporal "points" (anchor-free locations) per level."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import torch
from torch import nn

from .registries import GENERATORS


@GENERATORS.register("point")
class PointGenerator(nn.Module):
    """Per pyramid level l, a (T_l, 4) float tensor of rows [t, reg_range_min, reg_range_max, stride]
    with t = 0, s_l, 2 s_l, ... on the input feature grid.

    The original release pre-computes ``max_seq_len`` points and refuses longer inputs; here the
    same points are generated for any length (and cached per length and device).
    ``max_seq_len`` (the original's buffer size) is accepted for compatibility and not a limit.
    """

    def __init__(
        self,
        max_seq_len: float,
        fpn_strides: Sequence[int],
        regression_range: Sequence[Sequence[float]],
        use_offset: bool = False,
    ) -> None:
        super().__init__()
        if len(regression_range) != len(fpn_strides):
            raise ValueError(
                f"need one regression range per pyramid level: {len(regression_range)} ranges, "
                f"{len(fpn_strides)} levels"
            )
        self.max_seq_len = max_seq_len
        self.fpn_strides = [int(s) for s in fpn_strides]
        self.regression_range = [tuple(float(v) for v in r) for r in regression_range]
        self.use_offset = use_offset
        self._cache: Dict[Tuple[int, int, torch.device], torch.Tensor] = {}

    def _level_points(self, level: int, length: int, device: torch.device) -> torch.Tensor:
        key = (level, length, device)
        points = self._cache.get(key)
        if points is None:
            stride = self.fpn_strides[level]
            t = torch.arange(length, dtype=torch.float32, device=device) * stride
            if self.use_offset:
                t = t + 0.5 * stride
            lo, hi = self.regression_range[level]
            fill = torch.tensor([lo, hi, float(stride)], dtype=torch.float32, device=device)
            points = torch.cat([t[:, None], fill[None, :].expand(length, 3)], dim=1)  # (T_l, 4)
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = points
        return points

    def forward(self, feats: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """feats: per level (B, C, T_l) -> per level points (T_l, 4)."""
        if len(feats) != len(self.fpn_strides):
            raise ValueError(f"expected {len(self.fpn_strides)} pyramid levels, got {len(feats)}")
        return [self._level_points(level, f.shape[-1], f.device) for level, f in enumerate(feats)]
