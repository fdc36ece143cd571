"""A convolution-only backbone (ResNet-style blocks) with the same pyramid as convTransformer."""

from __future__ import annotations

from typing import Sequence

from ..layers import ConvBlock
from ..registries import BACKBONES
from .base import BackboneSpec, IntOrList, reject_options
from .pyramid import PyramidBackbone


@BACKBONES.register("conv")
class ConvBackbone(PyramidBackbone):
    """Residual convolution blocks (:class:`ConvBlock`) in the pyramid of convTransformer."""

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

        def block(width: int, stride: int, level: int) -> ConvBlock:
            return ConvBlock(width, 3, stride)

        self._build_pyramid(n_in, n_embd, n_embd_ks, arch, scale_factor, with_ln, block)

    @classmethod
    def from_spec(cls, spec: BackboneSpec) -> "ConvBackbone":
        reject_options("conv", spec.options)
        return cls(
            spec.input_dim, spec.embd_dim, spec.embd_kernel_size,
            arch=spec.arch, scale_factor=spec.scale_factor, with_ln=spec.embd_with_ln,
        )
