"""TBT-Former (Rathnayaka & Thayasivam, 2025): ActionFormer with boundary distributions.

Per point and per side the regression head predicts logits over the offsets 0..reg_max (in
strides); the offset is their softmax expectation. Everything else is LocPointTransformer's:
the expected offsets go through the configured IoU-family loss (``train_cfg.reg_loss_type``)
and the usual decoding and NMS, the classification loss is ``train_cfg.cls_loss_type``; the
extra term is ``dfl_weight`` x Distribution Focal Loss. The scaled backbone (``model.n_head``,
``model.backbone.mlp_ratio``) and the ``cs_fpn`` neck are options of every meta-architecture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

import torch

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import Float, Int

from ..losses_dfl import clamp_offsets, distribution_focal_loss, expected_offsets
from ..registries import HEADS, META_ARCHS
from .inputs import DenseOutputs
from .loc_point_transformer import LocPointTransformer


@dataclass
class DistributionOutputs(DenseOutputs):
    """DenseOutputs plus, per level, the bin logits (B, T_l, 2, num_bins + 1) the offsets
    (their expectations) come from."""

    # a default, so that fields with defaults added to DenseOutputs later still come first
    bin_logits: List[torch.Tensor] = field(default_factory=list)


class BoundaryDistributionDetector(LocPointTransformer):
    """What TBTFormer and TriDet share: a registered head (``reg_head_name``) that gives bin
    logits per level, offsets as their expectation, targets clamped to the bins, and an optional
    DFL term (``dfl_weight``). Not registered itself: a subclass names its head and keys.
    """

    reg_head_name = "distribution"

    def __init__(self, num_bins: int, dfl_weight: float = 0.0, **kwargs: Any) -> None:
        if num_bins < 1:
            raise ValueError(f"the number of bins (reg_max / num_bins) must be >= 1, got {num_bins}")
        if dfl_weight < 0:
            raise ValueError(f"dfl_weight must be >= 0, got {dfl_weight}")
        # read by build_heads, which the base constructor calls
        self.num_bins = int(num_bins)
        self.dfl_weight = float(dfl_weight)
        super().__init__(**kwargs)

    def reg_head_options(self) -> Dict[str, Any]:
        """Extra keyword arguments of the regression head (a subclass adds its own)."""
        return {}

    def build_heads(self, fpn_dim: int, head_dim: int, num_layers: int, kernel_size: int, with_ln: bool) -> None:
        super().build_heads(fpn_dim, head_dim, num_layers, kernel_size, with_ln)
        self.reg_head = HEADS.build(
            self.reg_head_name, fpn_dim, head_dim, len(self.fpn_strides), num_bins=self.num_bins,
            num_layers=num_layers, kernel_size=kernel_size, with_ln=with_ln, **self.reg_head_options(),
        )

    def forward_dense(self, feats: torch.Tensor, masks: torch.Tensor) -> DistributionOutputs:
        level_feats, level_masks = self.backbone(feats, masks)
        fpn_feats, fpn_masks = self.neck(level_feats, level_masks)
        points = self.point_generator(fpn_feats)
        cls_logits = self.cls_head(fpn_feats, fpn_masks)  # per level (B, num_classes, T_l)
        bins = [x.permute(0, 3, 1, 2) for x in self.reg_head(fpn_feats, fpn_masks)]  # (B, T_l, 2, n + 1)
        return DistributionOutputs(
            points=points,
            cls_logits=[x.permute(0, 2, 1) for x in cls_logits],  # (B, T_l, num_classes)
            offsets=[expected_offsets(x) for x in bins],  # (B, T_l, 2), float32, in strides
            masks=[m.squeeze(1) for m in fpn_masks],  # (B, T_l)
            bin_logits=bins,
        )

    def assign_targets(
        self, out: DenseOutputs, gt_segments: List[torch.Tensor], gt_labels: List[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The base's targets, offsets clamped to [0, num_bins] strides: what the bins can
        express. Only the top level's open-ended range should need it (``validate_config``
        refuses regression ranges that reach past the bins on any other level)."""
        gt_cls, gt_offsets = super().assign_targets(out, gt_segments, gt_labels)
        return gt_cls, clamp_offsets(gt_offsets, self.num_bins)

    def compute_losses(
        self, out: DenseOutputs, gt_cls: torch.Tensor, gt_offsets: torch.Tensor, valid: torch.Tensor,
        pos: torch.Tensor, normalizer: float,
    ) -> Dict[str, torch.Tensor]:
        """The base's terms on the expected offsets, plus ``dfl_weight`` x DFL (``dfl_loss``)
        over the positive points, with the same normaliser."""
        losses = super().compute_losses(out, gt_cls, gt_offsets, valid, pos, normalizer)
        if self.dfl_weight == 0:
            return losses
        bins = torch.cat(out.bin_logits, dim=1)[pos]  # (#pos, 2, num_bins + 1)
        if bins.shape[0] == 0:
            dfl = 0 * bins.sum().float()
        else:
            dfl = distribution_focal_loss(bins, gt_offsets[pos], reduction="sum") / normalizer
        losses["dfl_loss"] = dfl
        losses["final_loss"] = losses["final_loss"] + self.dfl_weight * dfl
        return losses


@META_ARCHS.register("TBTFormer")
class TBTFormer(BoundaryDistributionDetector):
    """ActionFormer with TBT-Former's boundary distribution head (``reg_max + 1`` bins per side)
    and DFL. The head's parameters are ``reg_head.tower.*``; everything else has
    LocPointTransformer's names."""

    reg_head_name = "distribution"
    config_keys = (
        Key("model.reg_max", Int(lo=1), 16,
            "Largest offset a boundary distribution can express, in strides of the level: "
            "`reg_max + 1` bins (0..reg_max) per side. Targets beyond it are clamped; every "
            "regression range but the top level's must fit (checked).", origin=OURS),
        Key("model.dfl_weight", Float(lo=0), 0.25,
            "Weight of the Distribution Focal Loss term (0 = the IoU-family loss on the expected "
            "offsets only).", origin=OURS),
    )

    def __init__(self, reg_max: int = 16, dfl_weight: float = 0.25, **kwargs: Any) -> None:
        super().__init__(num_bins=reg_max, dfl_weight=dfl_weight, **kwargs)
        self.reg_max = reg_max
