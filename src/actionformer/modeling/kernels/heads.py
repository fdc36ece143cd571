"""CPU variant of the heads: every layer runs once over all pyramid levels joined.

On the CPU the per-level calls and their small matrix products cost most of the heads' time;
joined, each layer is one call with larger products (a sixth of the calls for six levels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import torch
from torch import nn

from ..heads import ClsHead, ClsHeadV2, RegHead, RegHeadV2, _ConvTower
from ..layers.conv import MaskedConv1D
from .dispatch import cpu_variant, runs_here
from .masking import overwrite_pays
from .winograd import TILE  # a joined sequence is padded to whole Winograd tiles

# joining copies every level once; past this many steps (batch x joined length) the levels are
# long enough to run alone efficiently, and the copy would only add to the peak memory
JOIN_MAX_STEPS = 16384


@dataclass
class JoinedLevels:
    """All pyramid levels as one sequence, ``gap`` zero steps between neighbours.

    A "same" convolution of reach r (kernel 2r + 1) over the joined sequence gives every level
    exactly what it gives the level alone as long as ``gap >= r`` and the separator steps are
    zero at its input: the r steps it reads past either end of a level are then zeros, as the
    convolution's own padding would be (fewer would let it read the neighbour level). ``x`` is
    (B, C, L) on time-major memory.
    """

    x: torch.Tensor
    mask: torch.Tensor  # (B, 1, L): valid steps of every level; separators are invalid
    separators: torch.Tensor  # (S,) positions of the separator (and trailing) steps
    spans: List[Tuple[int, int]]  # (start, length) of every level

    @classmethod
    def join(cls, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor], gap: int) -> "JoinedLevels":
        b, c = feats[0].shape[:2]
        parts, mask_parts, spans, start = [], [], [], 0
        for level, (x, m) in enumerate(zip(feats, masks)):
            if level and gap:
                parts.append(x.new_zeros(b, gap, c))
                mask_parts.append(torch.zeros_like(m[..., :1]).expand(b, 1, gap))
                start += gap
            parts.append(x.transpose(1, 2))
            mask_parts.append(m)
            spans.append((start, x.shape[-1]))
            start += x.shape[-1]
        tail = -start % TILE
        if tail:
            parts.append(feats[0].new_zeros(b, tail, c))
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


def joined_levels_apply(feats: Sequence[torch.Tensor]) -> bool:
    """Whether the heads run on joined levels: on the CPU, more than one level, not too long."""
    return (
        len(feats) > 1 and runs_here(feats[0])
        and feats[0].shape[0] * sum(x.shape[-1] for x in feats) <= JOIN_MAX_STEPS
    )


class _JoinedTower(_ConvTower):
    """The joined-levels forward shared by both heads' CPU variants."""

    @staticmethod
    def supports(module: _ConvTower) -> bool:
        return True  # any kernel: the gap follows the heads' kernel size

    def prepare(self) -> None:
        # whether the activation keeps 0 at 0 (ReLU, GELU, SiLU...): then the joined tower may
        # zero the separator steps before it rather than after
        with torch.no_grad():
            self._act_keeps_zero = bool((self.act(torch.zeros(1, device="cpu")) == 0).all())

    def _level_outputs(self, last: MaskedConv1D, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor]):
        if not joined_levels_apply(feats):
            return super()._level_outputs(last, feats, masks)
        # every layer of the head (the tower and ``last``) has this kernel: its reach is the gap
        joined = JoinedLevels.join(feats, masks, gap=self.kernel_size // 2)
        return joined.split(last(self._joined_tower(joined), joined.mask)[0])

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


@cpu_variant(ClsHead)
class CpuClsHead(_JoinedTower, ClsHead):
    pass


@cpu_variant(RegHead)
class CpuRegHead(_JoinedTower, RegHead):
    pass


class _JoinedResidualTower(_JoinedTower):
    """The v2 heads on joined levels: their own tower, with the separators zeroed after every
    layer (a norm turns them into its bias, which the next convolution would read)."""

    def _joined_tower(self, joined: JoinedLevels) -> torch.Tensor:
        return self._tower(joined.x, joined.mask, clean=lambda t: joined.zero_separators(t, inplace=False))


@cpu_variant(ClsHeadV2)
class CpuClsHeadV2(_JoinedResidualTower, ClsHeadV2):
    pass


@cpu_variant(RegHeadV2)
class CpuRegHeadV2(_JoinedResidualTower, RegHeadV2):
    pass
