"""The ActionFormer backbone: conv embedding, a Transformer stem, and a downsampling Transformer branch."""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import TransformerBlock, sinusoid_encoding
from ..registries import BACKBONES
from .base import BackboneSpec, EmbeddingBackbone, IntOrList, reject_options


@BACKBONES.register("convTransformer")
class ConvTransformerBackbone(EmbeddingBackbone):
    """Outputs ``arch[2] + 1`` pyramid levels of width ``out_channels``; level l has stride
    ``scale_factor ** l``. With ``use_abs_pe`` a sinusoid encoding (scaled by 1/sqrt(C)) is
    added after the embedding; at inference it is linearly interpolated to sequences of
    ``max_len`` steps or more, as in the original release.
    """

    def __init__(
        self,
        n_in: IntOrList,
        n_embd: IntOrList,
        n_head: int,
        n_embd_ks: int,
        max_len: int,
        arch: Sequence[int] = (2, 2, 5),
        mha_win_size: Sequence[int] = (-1,) * 6,
        scale_factor: int = 2,
        with_ln: bool = False,
        attn_pdrop: float = 0.0,
        proj_pdrop: float = 0.0,
        path_pdrop: float = 0.0,
        use_abs_pe: bool = False,
        use_rel_pe: bool = False,
    ) -> None:
        super().__init__()
        if len(arch) != 3:
            raise ValueError(f"arch must be (#embedding convs, #stem blocks, #branch blocks), got {arch}")
        if len(mha_win_size) != 1 + arch[2]:
            raise ValueError(f"mha_win_size needs {1 + arch[2]} entries (one per level), got {list(mha_win_size)}")
        self.arch = tuple(arch)
        self.mha_win_size = list(mha_win_size)
        self.max_len = max_len
        self.scale_factor = scale_factor
        self.use_abs_pe = use_abs_pe
        self.use_rel_pe = use_rel_pe

        width = self._build_embedding(n_in, n_embd, n_embd_ks, arch[0], with_ln)
        if use_abs_pe:
            self.register_buffer("pos_embd", sinusoid_encoding(max_len, width) / (width**0.5), persistent=False)

        def block(stride: int, window: int) -> TransformerBlock:
            return TransformerBlock(
                width, n_head, n_ds_strides=(stride, stride), attn_pdrop=attn_pdrop,
                proj_pdrop=proj_pdrop, path_pdrop=path_pdrop, mha_win_size=window, use_rel_pe=use_rel_pe,
            )

        self.stem = nn.ModuleList([block(1, self.mha_win_size[0]) for _ in range(arch[1])])
        self.branch = nn.ModuleList([block(scale_factor, self.mha_win_size[1 + i]) for i in range(arch[2])])
        self.out_channels = width
        self.strides = tuple(scale_factor**i for i in range(arch[2] + 1))
        self.apply(self._zero_conv_biases)

    @classmethod
    def from_spec(cls, spec: BackboneSpec) -> "ConvTransformerBackbone":
        reject_options("convTransformer", spec.options)
        return cls(
            spec.input_dim, spec.embd_dim, spec.n_head, spec.embd_kernel_size, spec.max_seq_len,
            arch=spec.arch, mha_win_size=spec.mha_win_size, scale_factor=spec.scale_factor,
            with_ln=spec.embd_with_ln, attn_pdrop=0.0, proj_pdrop=spec.dropout, path_pdrop=spec.droppath,
            use_abs_pe=spec.use_abs_pe, use_rel_pe=spec.use_rel_pe,
        )

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
