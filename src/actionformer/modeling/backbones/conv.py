"""A convolution-only backbone (ResNet-style blocks) with the same pyramid as convTransformer."""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
from torch import nn

from ..layers import ConvBlock
from ..registries import BACKBONES
from .base import BackboneSpec, EmbeddingBackbone, IntOrList, reject_options


@BACKBONES.register("conv")
class ConvBackbone(EmbeddingBackbone):
    def __init__(
        self,
        n_in: IntOrList,
        n_embd: IntOrList,
        n_embd_ks: int,
        arch: Sequence[int] = (2, 2, 5),
        scale_factor: int = 2,
        with_ln: bool = False,
    ) -> None:
        super().__init__()
        if len(arch) != 3:
            raise ValueError(f"arch must be (#embedding convs, #stem blocks, #branch blocks), got {arch}")
        self.arch = tuple(arch)
        self.scale_factor = scale_factor
        width = self._build_embedding(n_in, n_embd, n_embd_ks, arch[0], with_ln)
        self.stem = nn.ModuleList([ConvBlock(width, 3, 1) for _ in range(arch[1])])
        self.branch = nn.ModuleList([ConvBlock(width, 3, scale_factor) for _ in range(arch[2])])
        self.out_channels = width
        self.strides = tuple(scale_factor**i for i in range(arch[2] + 1))
        self.apply(self._zero_conv_biases)

    @classmethod
    def from_spec(cls, spec: BackboneSpec) -> "ConvBackbone":
        reject_options("conv", spec.options)
        return cls(
            spec.input_dim, spec.embd_dim, spec.embd_kernel_size,
            arch=spec.arch, scale_factor=spec.scale_factor, with_ln=spec.embd_with_ln,
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """x: (B, C_in, T); mask: (B, 1, T) bool -> per level features (B, C, T_l) and masks (B, 1, T_l)."""
        x, mask = self._embed(x, mask)
        for blk in self.stem:
            x, mask = blk(x, mask)
        feats, masks = [x], [mask]
        for blk in self.branch:
            x, mask = blk(x, mask)
            feats.append(x)
            masks.append(mask)
        return feats, masks
