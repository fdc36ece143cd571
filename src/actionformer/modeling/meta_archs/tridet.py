"""TriDet-style detector (Shi et al., CVPR 2023): ActionFormer's backbone and neck with the
Trident head (``modeling/heads_distribution.py``) and IoU-weighted classification targets.

Not the whole of TriDet: its SGP backbone is not implemented; any registered backbone and neck
serve. Keys and defaults are the paper's THUMOS14 settings (``num_bins`` 16,
``boundary_kernel_size`` 3, ``iou_weight_power`` 0.2).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import torch

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import Float, Int

from ..registries import META_ARCHS
from .inputs import DenseOutputs
from .tbtformer import BoundaryDistributionDetector


def _odd(value: object) -> Optional[str]:
    return None if isinstance(value, int) and value % 2 == 1 else "must be odd (a centred convolution kernel)"


@META_ARCHS.register("TriDet")
class TriDet(BoundaryDistributionDetector):
    """Trident head; classification targets of positive points multiplied by
    IoU(predicted, target segment) ** ``iou_weight_power`` (detached), so that points that
    localise badly are not taught full confidence. No DFL term (the paper has none)."""

    reg_head_name = "trident"
    config_keys = (
        Key("model.num_bins", Int(lo=1), 16,
            "Trident head: neighbouring positions per side (bins 0..num_bins, in strides of the "
            "level); targets beyond are clamped, as TBTFormer's `reg_max`.", origin=OURS),
        Key("model.boundary_kernel_size", Int(lo=1), 3,
            "Trident head: kernel size (odd) of the start and end branches.", check=_odd, origin=OURS),
        Key("train_cfg.iou_weight_power", Float(lo=0), 0.2,
            "TriDet: positive points' class targets times IoU ** this (0 = plain targets; the "
            "paper's THUMOS14 value 0.2).", origin=OURS),
    )

    def __init__(self, num_bins: int = 16, boundary_kernel_size: int = 3, **kwargs: Any) -> None:
        if boundary_kernel_size % 2 != 1:
            raise ValueError(f"boundary_kernel_size must be odd, got {boundary_kernel_size}")
        self.boundary_kernel_size = int(boundary_kernel_size)
        super().__init__(num_bins=num_bins, dfl_weight=0.0, **kwargs)
        self.iou_weight_power = float(self.train_cfg.get("iou_weight_power", 0.2))
        if self.iou_weight_power < 0:
            raise ValueError(f"train_cfg.iou_weight_power must be >= 0, got {self.iou_weight_power}")

    def reg_head_options(self) -> Dict[str, Any]:
        return {"boundary_kernel_size": self.boundary_kernel_size}

    def compute_losses(
        self, out: DenseOutputs, gt_cls: torch.Tensor, gt_offsets: torch.Tensor, valid: torch.Tensor,
        pos: torch.Tensor, normalizer: float,
    ) -> Dict[str, torch.Tensor]:
        if self.iou_weight_power > 0 and bool(pos.any()):
            quality = self.positive_iou(out, gt_offsets, pos) ** self.iou_weight_power  # (#pos,), detached
            gt_cls = gt_cls.clone()
            gt_cls[pos] = gt_cls[pos] * quality[:, None].to(gt_cls.dtype)
        return super().compute_losses(out, gt_cls, gt_offsets, valid, pos, normalizer)
