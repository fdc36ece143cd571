"""A plug-in that lives outside the package: a head, a loss and a meta-architecture with a config
key of its own, registered through ``custom_imports`` (the proof that a new model needs no edit
in ``src/``).

Config:  custom_imports: [path/to/toy_plugin.py]
         model_name: ToyFormer          # or model.meta_arch: ToyFormer
         model: {toy_offset_scale: 0.5}
         train_cfg: {reg_loss_type: toy_l1}
"""

from __future__ import annotations

from typing import Any, List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from actionformer.config import Key
from actionformer.config.valuetypes import Float
from actionformer.modeling import HEADS, META_ARCHS, REG_LOSSES
from actionformer.modeling.layers import MaskedConv1D, Scale
from actionformer.modeling.meta_archs import LocPointTransformer


@HEADS.register("toy_reg")
class ToyRegHead(nn.Module):
    """Offsets from one 1x1 convolution per level, scaled by a learnable factor per level."""

    def __init__(self, input_dim: int, feat_dim: int, fpn_levels: int, **_: Any) -> None:
        super().__init__()
        self.proj = MaskedConv1D(input_dim, 2, 1)
        self.scale = nn.ModuleList([Scale() for _ in range(fpn_levels)])

    def forward(self, feats: Sequence[torch.Tensor], masks: Sequence[torch.Tensor], joined: Any = None) -> List[torch.Tensor]:
        return [F.relu(scale(self.proj(x, m)[0])) for x, m, scale in zip(feats, masks, self.scale)]


@REG_LOSSES.register("toy_l1")
class ToyL1Loss:
    """Summed L1 distance between predicted and target offsets."""

    @classmethod
    def from_config(cls, train_cfg: Any) -> "ToyL1Loss":
        return cls()

    def __call__(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (pred.float() - target.float()).abs().sum()


@META_ARCHS.register("ToyFormer")
class ToyFormer(LocPointTransformer):
    """LocPointTransformer with the toy regression head; its offsets are multiplied by
    ``model.toy_offset_scale`` before the loss and the decoding."""

    reg_head_name = "toy_reg"
    config_keys = (
        Key("model.toy_offset_scale", Float(lo=0, lo_open=True), 1.0,
            "Factor applied to the predicted offsets (the toy's own key)."),
    )

    def __init__(self, toy_offset_scale: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.toy_offset_scale = toy_offset_scale

    def forward_dense(self, feats: torch.Tensor, masks: torch.Tensor):
        out = super().forward_dense(feats, masks)
        out.offsets = [x * self.toy_offset_scale for x in out.offsets]
        return out
