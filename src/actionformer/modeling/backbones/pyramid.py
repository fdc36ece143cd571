"""What every built-in backbone shares: embedding, optional absolute position encoding, a stem of
full-resolution blocks and a branch of downsampling blocks, one output level per block of the
branch (plus the stem's). The backbones differ only in their blocks."""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import sinusoid_encoding
from .base import EmbeddingBackbone, IntOrList

# (width, stride, level) -> a block mapping (x, mask) to (x, mask) at ``stride``x coarser time
BlockFactory = Callable[[int, int, int], nn.Module]


class PyramidBackbone(EmbeddingBackbone):
    """Outputs ``arch[2] + 1`` pyramid levels of width ``out_channels``; level l has stride
    ``scale_factor ** l`` (and, for attention blocks, window ``mha_win_size[l]``). With ``use_abs_pe`` a sinusoid
    encoding (scaled by 1/sqrt(C)) is added after the embedding; at inference it is linearly
    interpolated to sequences of ``max_len`` steps or more, as in the original release.
    Subclasses call :meth:`_build_pyramid` with their block factory.
    """

    def _build_pyramid(
        self,
        n_in: IntOrList,
        n_embd: IntOrList,
        n_embd_ks: int,
        arch: Sequence[int],
        scale_factor: int,
        with_ln: bool,
        make_block: BlockFactory,
        max_len: int = 0,
        mha_win_size: Optional[Sequence[int]] = None,
        use_abs_pe: bool = False,
    ) -> None:
        if len(arch) != 3:
            raise ValueError(f"arch must be (#embedding convs, #stem blocks, #branch blocks), got {arch}")
        if mha_win_size is not None and len(mha_win_size) != 1 + arch[2]:
            raise ValueError(f"mha_win_size needs {1 + arch[2]} entries (one per level), got {list(mha_win_size)}")
        self.arch = tuple(arch)
        self.mha_win_size = list(mha_win_size) if mha_win_size is not None else None
        self.max_len = max_len
        self.scale_factor = scale_factor
        self.use_abs_pe = use_abs_pe

        # registration order (embedding, stem, branch) fixes the state-dict order of the original
        width = self._build_embedding(n_in, n_embd, n_embd_ks, arch[0], with_ln)
        if use_abs_pe:
            self.register_buffer("pos_embd", sinusoid_encoding(max_len, width) / (width**0.5), persistent=False)
        self.stem = nn.ModuleList([make_block(width, 1, 0) for _ in range(arch[1])])
        self.branch = nn.ModuleList([make_block(width, scale_factor, 1 + i) for i in range(arch[2])])
        self.out_channels = width
        self.strides = tuple(scale_factor**i for i in range(arch[2] + 1))
        self.apply(self._zero_conv_biases)

    def _position_encoding(self, length: int) -> torch.Tensor:
        if self.training:
            if length > self.max_len:
                raise ValueError(f"training sequences must be at most {self.max_len} steps, got {length}")
            return self.pos_embd[:, :, :length]
        if length >= self.max_len:
            return F.interpolate(self.pos_embd, length, mode="linear", align_corners=False)
        return self.pos_embd[:, :, :length]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """x: (B, C_in, T); mask: (B, 1, T) bool -> per level features (B, C, T_l) and masks (B, 1, T_l)."""
        x, mask = self._embed(x, mask)
        if self.use_abs_pe:
            x = x + self._position_encoding(x.shape[-1]).to(x.dtype) * mask.to(x.dtype)
        for blk in self.stem:
            x, mask = blk(x, mask)
        feats, masks = [x], [mask]
        for blk in self.branch:
            x, mask = blk(x, mask)
            feats.append(x)
            masks.append(mask)
        return feats, masks
