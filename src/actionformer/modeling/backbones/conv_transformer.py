"""The ActionFormer backbone: conv embedding, a Transformer stem, and a downsampling Transformer branch."""

from __future__ import annotations

from typing import Sequence

from actionformer.config.schema import NO_DEFAULT, OURS, Key
from actionformer.config.valuetypes import Int, Section

from ..layers import TransformerBlock
from ..registries import BACKBONES
from .base import DEFAULT_MLP_RATIO, BackboneSpec, IntOrList, reject_options
from .pyramid import PyramidBackbone

# the scaled backbone of TBT-Former: MLP width (and `model.n_head`) configurable; declared by
# both transformer backbones (the v2 backbone repeats this key next to its own options)
MLP_RATIO_KEY = Key(
    "model.backbone.mlp_ratio", Int(lo=1), DEFAULT_MLP_RATIO,
    "Hidden width of every transformer block's MLP, in multiples of the block width (4, the "
    "original; 6 with 16 heads is TBT-Former's scaled backbone). With `use_swiglu` the SwiGLU's "
    "hidden width is about 2/3 of it (rounded up to a multiple of 64).", origin=OURS)


@BACKBONES.register("convTransformer")
class ConvTransformerBackbone(PyramidBackbone):
    """The original's backbone: every block is a :class:`TransformerBlock` (convolutional
    multi-head self-attention, local within ``mha_win_size``, and a GELU MLP ``mlp_ratio``
    times the width). The pyramid (levels, strides, position encoding) is
    :class:`PyramidBackbone`'s.
    """

    config_keys = (
        Key("model.backbone", Section(), NO_DEFAULT,
            "Options of the backbone (passed to the model as `backbone=`).", origin=OURS),
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
        mlp_ratio: int = DEFAULT_MLP_RATIO,
    ) -> None:
        super().__init__()
        self.use_rel_pe = use_rel_pe

        def block(width: int, stride: int, level: int) -> TransformerBlock:
            return TransformerBlock(
                width, n_head, n_ds_strides=(stride, stride), attn_pdrop=attn_pdrop,
                proj_pdrop=proj_pdrop, path_pdrop=path_pdrop, mha_win_size=self.mha_win_size[level],
                use_rel_pe=use_rel_pe, n_hidden=mlp_ratio * width,
            )

        self._build_pyramid(n_in, n_embd, n_embd_ks, arch, scale_factor, with_ln, block,
                            max_len=max_len, mha_win_size=mha_win_size, use_abs_pe=use_abs_pe)

    @classmethod
    def from_spec(cls, spec: BackboneSpec) -> "ConvTransformerBackbone":
        options = dict(spec.options)
        mlp_ratio = options.pop("mlp_ratio", None)
        reject_options("convTransformer", options)
        return cls(
            spec.input_dim, spec.embd_dim, spec.n_head, spec.embd_kernel_size, spec.max_seq_len,
            arch=spec.arch, mha_win_size=spec.mha_win_size, scale_factor=spec.scale_factor,
            with_ln=spec.embd_with_ln, attn_pdrop=0.0, proj_pdrop=spec.dropout, path_pdrop=spec.droppath,
            use_abs_pe=spec.use_abs_pe, use_rel_pe=spec.use_rel_pe,
            mlp_ratio=DEFAULT_MLP_RATIO if mlp_ratio is None else int(mlp_ratio),
        )
