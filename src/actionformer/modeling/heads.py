"""Classification and regression heads, shared across pyramid levels."""

from __future__ import annotations

import math
from typing import Callable, List, Sequence, Type

import torch
import torch.nn.functional as F
from torch import nn

from .layers import LayerNorm, MaskedConv1D, Scale
from .registries import HEADS


class _ConvTower(nn.Module):
    """``num_layers - 1`` masked k-convs, each followed by LayerNorm (or nothing) and the activation."""

    def _build_tower(self, input_dim: int, feat_dim: int, num_layers: int, kernel_size: int, with_ln: bool) -> None:
        self.kernel_size = kernel_size
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

    def _tower(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(self.head, self.norm):
            x = self.act(norm(conv(x, mask)[0]))
        return x

    def _level_outputs(self, last: MaskedConv1D, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]):
        """The tower and the ``last`` conv on every level alone: per level (B, C_last, T_l)."""
        return [last(self._tower(x, m), m)[0] for x, m in zip(feats, masks)]


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

    def forward(self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        return self._level_outputs(self.cls_head, feats, masks)


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

    def forward(self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        if len(feats) != self.fpn_levels:
            raise ValueError(f"regression head built for {self.fpn_levels} levels, got {len(feats)}")
        out = self._level_outputs(self.offset_head, feats, masks)
        return [F.relu(scale(x)) for x, scale in zip(out, self.scale)]


class _ResidualTower(_ConvTower):
    """The v2 tower: a 1x1 input projection to ``feat_dim``, then the same k-convs as v1 with a
    residual connection around every pair of them (``x + f(g(x))``, the activation after the
    sum, as a ResNet basic block); an odd last conv runs without one. The projection gives the
    first pair a ``feat_dim`` input to add, whatever the neck's width."""

    def _build_tower(self, input_dim: int, feat_dim: int, num_layers: int, kernel_size: int, with_ln: bool) -> None:
        self.proj = MaskedConv1D(input_dim, feat_dim, 1, stride=1, padding=0)
        super()._build_tower(feat_dim, feat_dim, num_layers, kernel_size, with_ln)

    def _tower(self, x: torch.Tensor, mask: torch.Tensor,
                clean: Callable[[torch.Tensor], torch.Tensor] = lambda t: t) -> torch.Tensor:
        """``clean`` runs on every layer's output (the CPU variant zeroes the gaps between
        joined levels with it; here it changes nothing)."""
        x = self.proj(x, mask)[0]  # (B, feat_dim, T)
        layers = list(zip(self.head, self.norm))
        for first in range(0, len(layers), 2):
            pair = layers[first:first + 2]
            if len(pair) == 1:  # an unpaired last layer: plain, as in v1
                conv, norm = pair[0]
                x = clean(self.act(norm(conv(x, mask)[0])))
                continue
            (conv_a, norm_a), (conv_b, norm_b) = pair
            inner = clean(self.act(norm_a(conv_a(x, mask)[0])))
            x = clean(self.act(norm_b(conv_b(inner, mask)[0]) + x))
        return x


@HEADS.register("cls_v2")
class ClsHeadV2(_ResidualTower, ClsHead):
    """``cls`` with the v2 tower (``model.head_type: v2``): same outputs and options."""


@HEADS.register("reg_v2")
class RegHeadV2(_ResidualTower, RegHead):
    """``reg`` with the v2 tower (``model.head_type: v2``): same outputs and options."""
