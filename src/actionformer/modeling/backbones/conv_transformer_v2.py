"""The v2 ActionFormer backbone: v1's macro-structure with modern, switchable Transformer parts.

Embedding convs, a stem of full-resolution blocks and a branch of 2x-downsampling blocks, as in
``convTransformer``; every block is a :class:`TransformerBlockV2`. Switches (config
``model.backbone``): ``use_rope``, ``use_flash_attn``, ``use_swiglu``, ``use_rms_norm``,
``n_kv_head``. With all of them off (and ``n_kv_head`` = ``n_head``) the network is v1's, with
v1's parameter names, so v1 checkpoints load into it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import sinusoid_encoding
from ..layers.transformer_v2 import TransformerBlockV2
from ..registries import BACKBONES
from .base import BackboneSpec, EmbeddingBackbone, IntOrList

V2_OPTIONS = ("use_rope", "use_flash_attn", "use_swiglu", "use_rms_norm", "n_kv_head")


@BACKBONES.register("convTransformerv2")
class ConvTransformerV2Backbone(EmbeddingBackbone):
    """Outputs ``arch[2] + 1`` levels of width ``out_channels``; level l has stride
    ``scale_factor ** l``, and RoPE (if on) rotates level-l token i by its true time
    ``i * scale_factor ** l``, so scores mean the same temporal distance at every level and
    at any sequence length.
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
        use_rope: bool = False,
        use_flash_attn: bool = True,
        use_swiglu: bool = False,
        use_rms_norm: bool = False,
        n_kv_head: Optional[int] = None,
    ) -> None:
        super().__init__()
        if len(arch) != 3:
            raise ValueError(f"arch must be (#embedding convs, #stem blocks, #branch blocks), got {arch}")
        if len(mha_win_size) != 1 + arch[2]:
            raise ValueError(f"mha_win_size needs {1 + arch[2]} entries (one per level), got {list(mha_win_size)}")
        if use_rel_pe:
            raise ValueError(
                "convTransformerv2 does not support use_rel_pe (a learned bias per window offset); "
                "use model.backbone.use_rope for relative positions"
            )
        self.arch = tuple(arch)
        self.mha_win_size = list(mha_win_size)
        self.max_len = max_len
        self.scale_factor = scale_factor
        self.use_abs_pe = use_abs_pe

        width = self._build_embedding(n_in, n_embd, n_embd_ks, arch[0], with_ln)
        if use_abs_pe:
            self.register_buffer("pos_embd", sinusoid_encoding(max_len, width) / (width**0.5), persistent=False)

        def block(stride: int, level: int) -> TransformerBlockV2:
            return TransformerBlockV2(
                width, n_head, n_kv_head, stride=stride, mha_win_size=self.mha_win_size[level],
                attn_pdrop=attn_pdrop, proj_pdrop=proj_pdrop, path_pdrop=path_pdrop,
                use_rope=use_rope, use_sdpa=use_flash_attn, use_swiglu=use_swiglu,
                use_rms_norm=use_rms_norm, position_stride=scale_factor**level,
            )

        self.stem = nn.ModuleList([block(1, 0) for _ in range(arch[1])])
        self.branch = nn.ModuleList([block(scale_factor, 1 + i) for i in range(arch[2])])
        self.out_channels = width
        self.strides = tuple(scale_factor**i for i in range(arch[2] + 1))
        self.apply(self._zero_conv_biases)

    @classmethod
    def from_spec(cls, spec: BackboneSpec) -> "ConvTransformerV2Backbone":
        return cls(
            spec.input_dim, spec.embd_dim, spec.n_head, spec.embd_kernel_size, spec.max_seq_len,
            arch=spec.arch, mha_win_size=spec.mha_win_size, scale_factor=spec.scale_factor,
            with_ln=spec.embd_with_ln, attn_pdrop=0.0, proj_pdrop=spec.dropout,
            path_pdrop=spec.droppath, use_abs_pe=spec.use_abs_pe, use_rel_pe=spec.use_rel_pe,
            **v2_options(spec.options),
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


def v2_options(options: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The config's ``model.backbone`` dict -> constructor keywords; unknown keys are errors."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(V2_OPTIONS))
    if unknown:
        raise ValueError(
            f"convTransformerv2: unknown backbone option(s) {unknown}; known: {list(V2_OPTIONS)}"
        )
    defaults = {"use_rope": False, "use_flash_attn": True, "use_swiglu": False,
                "use_rms_norm": False, "n_kv_head": None}
    return {name: (defaults[name] if options.get(name) is None else options[name])
            for name in V2_OPTIONS}
