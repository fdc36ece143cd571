"""The v2 ActionFormer backbone: v1's macro-structure with modern, switchable Transformer parts.

Embedding convs, a stem of full-resolution blocks and a branch of 2x-downsampling blocks, as in
``convTransformer``; every block is a :class:`TransformerBlockV2`. Switches (config
``model.backbone``): ``use_rope``, ``use_flash_attn``, ``use_swiglu``, ``use_rms_norm``,
``n_kv_head``. With all of them off (and ``n_kv_head`` = ``n_head``) the network is v1's, with
v1's parameter names, so v1 checkpoints load into it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from actionformer.config.schema import NO_DEFAULT, OURS, Key
from actionformer.config.valuetypes import AnyOf, Bool, Int, Null, Section

from ..layers.transformer_v2 import TransformerBlockV2
from ..registries import BACKBONES
from .base import DEFAULT_MLP_RATIO, BackboneSpec, IntOrList
from .conv_transformer import MLP_RATIO_KEY
from .pyramid import PyramidBackbone

V2_OPTIONS = ("use_rope", "use_flash_attn", "use_swiglu", "use_rms_norm", "n_kv_head", "mlp_ratio")


@BACKBONES.register("convTransformerv2")
class ConvTransformerV2Backbone(PyramidBackbone):
    """Outputs ``arch[2] + 1`` levels of width ``out_channels``; level l has stride
    ``scale_factor ** l``, and RoPE (if on) rotates level-l token i by its true time
    ``i * scale_factor ** l``, so scores mean the same temporal distance at every level and
    at any sequence length.
    """

    # its options, nested under `model.backbone` (the flat `model.use_rope` form is accepted too)
    config_keys = (
        Key("model.backbone", Section(), NO_DEFAULT,
            "Options of the `convTransformerv2` backbone (passed to the model as `backbone=`).",
            origin=OURS),
        Key("model.backbone.use_rope", Bool(), False, "Rotary position embeddings in attention.",
            origin=OURS),
        Key("model.backbone.use_flash_attn", Bool(), True,
            "Use torch's fused scaled-dot-product attention where it applies.", origin=OURS),
        Key("model.backbone.use_swiglu", Bool(), False, "SwiGLU instead of the GELU MLP.",
            origin=OURS),
        Key("model.backbone.use_rms_norm", Bool(), False, "RMSNorm instead of LayerNorm.",
            origin=OURS),
        Key("model.backbone.n_kv_head", AnyOf(Null(), Int(lo=1)), None,
            "Key/value heads for grouped-query attention (divides `n_head`); null = `n_head`.",
            origin=OURS),
        MLP_RATIO_KEY,
    )

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
        mlp_ratio: int = DEFAULT_MLP_RATIO,
    ) -> None:
        super().__init__()
        if use_rel_pe:
            raise ValueError(
                "convTransformerv2 does not support use_rel_pe (a learned bias per window offset); "
                "use model.backbone.use_rope for relative positions"
            )

        def block(width: int, stride: int, level: int) -> TransformerBlockV2:
            return TransformerBlockV2(
                width, n_head, n_kv_head, stride=stride, mha_win_size=self.mha_win_size[level],
                attn_pdrop=attn_pdrop, proj_pdrop=proj_pdrop, path_pdrop=path_pdrop,
                use_rope=use_rope, use_sdpa=use_flash_attn, use_swiglu=use_swiglu,
                use_rms_norm=use_rms_norm, position_stride=scale_factor**level, mlp_ratio=mlp_ratio,
            )

        self._build_pyramid(n_in, n_embd, n_embd_ks, arch, scale_factor, with_ln, block,
                            max_len=max_len, mha_win_size=mha_win_size, use_abs_pe=use_abs_pe)

    @classmethod
    def from_spec(cls, spec: BackboneSpec) -> "ConvTransformerV2Backbone":
        return cls(
            spec.input_dim, spec.embd_dim, spec.n_head, spec.embd_kernel_size, spec.max_seq_len,
            arch=spec.arch, mha_win_size=spec.mha_win_size, scale_factor=spec.scale_factor,
            with_ln=spec.embd_with_ln, attn_pdrop=0.0, proj_pdrop=spec.dropout,
            path_pdrop=spec.droppath, use_abs_pe=spec.use_abs_pe, use_rel_pe=spec.use_rel_pe,
            **v2_options(spec.options),
        )


def v2_options(options: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The config's ``model.backbone`` dict -> constructor keywords; unknown keys are errors."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(V2_OPTIONS))
    if unknown:
        raise ValueError(
            f"convTransformerv2: unknown backbone option(s) {unknown}; known: {list(V2_OPTIONS)}"
        )
    defaults = {"use_rope": False, "use_flash_attn": True, "use_swiglu": False,
                "use_rms_norm": False, "n_kv_head": None, "mlp_ratio": DEFAULT_MLP_RATIO}
    return {name: (defaults[name] if options.get(name) is None else options[name])
            for name in V2_OPTIONS}
