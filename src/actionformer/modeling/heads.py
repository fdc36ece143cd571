"""Classification and regression heads, shared across pyramid levels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Type

import torch
import torch.nn.functional as F
from torch import nn

from .layers import LayerNorm, MaskedConv1D, Scale, fast_kernels_enabled
from .layers.masking import overwrite_pays
from .layers.winograd import TILE  # a joined sequence is padded to whole Winograd tiles
from .registries import HEADS


@dataclass
class JoinedLevels:
    """All pyramid levels as one sequence, one zero step between neighbours.

    A 3-tap "same" convolution over the joined sequence gives every level exactly what it gives
    the level alone, as long as the separator steps are zero at its input (they are each
    neighbour's padding). The heads then run each layer once over all levels: larger matrix
    products and a sixth of the calls. ``x`` is (B, C, L) on time-major memory.
    """

    x: torch.Tensor
    mask: torch.Tensor  # (B, 1, L): valid steps of every level; separators are invalid
    separators: torch.Tensor  # (S,) positions of the separator (and trailing) steps
    spans: List[Tuple[int, int]]  # (start, length) of every level

    @classmethod
    def join(cls, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> "JoinedLevels":
        b, c = feats[0].shape[:2]
        gap = feats[0].new_zeros(b, 1, c)
        parts, mask_parts, spans, start = [], [], [], 0
        for level, (x, m) in enumerate(zip(feats, masks)):
            if level:
                parts.append(gap)
                mask_parts.append(torch.zeros_like(m[..., :1]))
                start += 1
            parts.append(x.transpose(1, 2))
            mask_parts.append(m)
            spans.append((start, x.shape[-1]))
            start += x.shape[-1]
        tail = -start % TILE
        if tail:
            parts.append(gap.expand(b, tail, c))
            mask_parts.append(torch.zeros_like(masks[0][..., :1]).expand(b, 1, tail))
        valid = torch.cat(mask_parts, dim=-1)
        steps = torch.ones(valid.shape[-1], dtype=torch.bool, device=valid.device)
        for s, t in spans:
            steps[s : s + t] = False
        return cls(
            x=torch.cat(parts, dim=1).transpose(1, 2), mask=valid,
            separators=steps.nonzero().squeeze(1), spans=spans,
        )

    def zero_separators(self, x: torch.Tensor, inplace: bool) -> torch.Tensor:
        """x (B, C, L) with the separator steps set to zero. ``inplace``: x is a fresh tensor no
        backward keeps (then, where that pays, only the separator steps are written)."""
        if (inplace and overwrite_pays(x)) or not torch.is_grad_enabled():
            return x.index_fill_(2, self.separators, 0.0)
        # a product with a 0/1 row: one pass (an out-of-place index_fill copies x first)
        keep = torch.ones(x.shape[-1], dtype=x.dtype, device=x.device).index_fill_(0, self.separators, 0.0)
        return x * keep.view(1, 1, -1)  # (1, 1, L): a 1-D operand broadcasts 3x slower here

    def split(self, x: torch.Tensor) -> List[torch.Tensor]:
        """(B, C', L) -> per level (B, C', T_l) views."""
        return [x[..., s : s + t] for s, t in self.spans]


# joining copies every level once; past this many steps (batch x joined length) the levels are
# long enough to run alone efficiently, and the copy would only add to the peak memory
JOIN_MAX_STEPS = 16384


def joined_levels_apply(feats: Sequence[torch.Tensor]) -> bool:
    """Whether the heads run on joined levels: the fast path on the CPU (where the per-level
    calls and small matrix products cost most), more than one level, and not too long."""
    return (
        fast_kernels_enabled() and len(feats) > 1 and feats[0].device.type == "cpu"
        and feats[0].shape[0] * sum(x.shape[-1] for x in feats) <= JOIN_MAX_STEPS
    )


class _ConvTower(nn.Module):
    """``num_layers - 1`` masked k-convs, each followed by LayerNorm (or nothing) and the activation."""

    def _build_tower(self, input_dim: int, feat_dim: int, num_layers: int, kernel_size: int, with_ln: bool) -> None:
        self.head = nn.ModuleList()
        self.norm = nn.ModuleList()
        for idx in range(num_layers - 1):
            self.head.append(
                MaskedConv1D(
                    input_dim if idx == 0 else feat_dim, feat_dim, kernel_size,
                    stride=1, padding=kernel_size // 2, bias=not with_ln,
                )
            )
            self.norm.append(LayerNorm(feat_dim) if with_ln else nn.Identity())
        # whether the activation keeps 0 at 0 (ReLU, GELU, SiLU...): then the joined tower may
        # zero the separator steps before it rather than after
        with torch.no_grad():
            self._act_keeps_zero = bool((self.act(torch.zeros(1, device="cpu")) == 0).all())

    def _tower(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(self.head, self.norm):
            x = self.act(norm(conv(x, mask)[0]))
        return x

    def _joined_tower(self, joined: JoinedLevels) -> torch.Tensor:
        x = joined.x
        for conv, norm in zip(self.head, self.norm):
            out = conv(x, joined.mask)[0]  # the mask zeroes the separators
            if isinstance(norm, nn.Identity):
                x = self.act(out)
            elif self._act_keeps_zero:
                # the norm turns zero steps into its bias: zero them again on its fresh output
                # (its backward keeps only its input), before the activation, which keeps 0 at 0
                x = self.act(joined.zero_separators(norm(out), inplace=True))
            else:
                x = joined.zero_separators(self.act(norm(out)), inplace=False)
        return x


@HEADS.register("cls")
class ClsHead(_ConvTower):
    """Per-level class logits (B, num_classes, T_l).

    The classifier bias starts at the prior probability ``prior_prob``; classes listed in
    ``empty_cls`` (absent from the training set) get a bias of logit(1e-6) so they never fire.
    """

    def __init__(
        self,
        input_dim: int,
        feat_dim: int,
        num_classes: int,
        prior_prob: float = 0.01,
        num_layers: int = 3,
        kernel_size: int = 3,
        act_layer: Type[nn.Module] = nn.ReLU,
        with_ln: bool = False,
        empty_cls: Sequence[int] = (),
    ) -> None:
        super().__init__()
        self.act = act_layer()
        self._build_tower(input_dim, feat_dim, num_layers, kernel_size, with_ln)
        self.cls_head = MaskedConv1D(feat_dim, num_classes, kernel_size, stride=1, padding=kernel_size // 2)
        if prior_prob > 0:
            nn.init.constant_(self.cls_head.conv.bias, -math.log((1 - prior_prob) / prior_prob))
        if len(empty_cls) > 0:
            bad = [c for c in empty_cls if not 0 <= int(c) < num_classes]
            if bad:
                raise ValueError(f"head_empty_cls {bad} outside the class range [0, {num_classes})")
            with torch.no_grad():
                self.cls_head.conv.bias[list(empty_cls)] = -math.log((1 - 1e-6) / 1e-6)

    def forward(
        self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor], joined: Optional[JoinedLevels] = None
    ) -> List[torch.Tensor]:
        """``joined``: the same levels already joined (the regression head shares them)."""
        if joined is None and joined_levels_apply(feats):
            joined = JoinedLevels.join(feats, masks)
        if joined is not None:
            return joined.split(self.cls_head(self._joined_tower(joined), joined.mask)[0])
        return [self.cls_head(self._tower(x, m), m)[0] for x, m in zip(feats, masks)]


@HEADS.register("reg")
class RegHead(_ConvTower):
    """Per-level distances to the segment start and end, (B, 2, T_l), in units of the level's
    stride: ReLU(scale_l * conv(.)) with one learnable scale per level."""

    def __init__(
        self,
        input_dim: int,
        feat_dim: int,
        fpn_levels: int,
        num_layers: int = 3,
        kernel_size: int = 3,
        act_layer: Type[nn.Module] = nn.ReLU,
        with_ln: bool = False,
    ) -> None:
        super().__init__()
        self.fpn_levels = fpn_levels
        self.act = act_layer()
        self._build_tower(input_dim, feat_dim, num_layers, kernel_size, with_ln)
        self.scale = nn.ModuleList([Scale() for _ in range(fpn_levels)])
        self.offset_head = MaskedConv1D(feat_dim, 2, kernel_size, stride=1, padding=kernel_size // 2)

    def forward(
        self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor], joined: Optional[JoinedLevels] = None
    ) -> List[torch.Tensor]:
        """``joined``: the same levels already joined (the classification head shares them)."""
        if len(feats) != self.fpn_levels:
            raise ValueError(f"regression head built for {self.fpn_levels} levels, got {len(feats)}")
        if joined is None and joined_levels_apply(feats):
            joined = JoinedLevels.join(feats, masks)
        if joined is not None:
            out = joined.split(self.offset_head(self._joined_tower(joined), joined.mask)[0])
            return [F.relu(scale(x)) for x, scale in zip(out, self.scale)]
        return [
            F.relu(scale(self.offset_head(self._tower(x, m), m)[0]))
            for x, m, scale in zip(feats, masks, self.scale)
        ]
