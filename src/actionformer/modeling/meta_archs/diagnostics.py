"""Training diagnostics of a point-based detector: positives and prediction quality per level.

Read by the engine's LossLogger through ``MetaArch.diagnostics()``; they are *not* losses (never
in ``final_loss``, never reduced across ranks) and cost a few element-wise ops on tensors the
loss already has. Computed only when the trainer asked for them (``record_diagnostics``).
"""

from __future__ import annotations

from typing import Dict, Sequence

import torch


@torch.no_grad()
def offset_iou(pred_offsets: torch.Tensor, gt_offsets: torch.Tensor) -> torch.Tensor:
    """1-D IoU of two segments anchored at the same point, given as (left, right) distances (..., 2)."""
    pred, gt = pred_offsets.float(), gt_offsets.float()
    inter = torch.minimum(pred[..., 0], gt[..., 0]) + torch.minimum(pred[..., 1], gt[..., 1])
    union = torch.maximum(pred[..., 0], gt[..., 0]) + torch.maximum(pred[..., 1], gt[..., 1])
    return inter.clamp(min=0) / union.clamp(min=1e-6)


@torch.no_grad()
def point_diagnostics(level_lengths: Sequence[int], pred_offsets: torch.Tensor, gt_offsets: torch.Tensor,
                      pos: torch.Tensor) -> Dict[str, torch.Tensor]:
    """``pos/L`` (positive points of level L in the batch) and ``iou/L`` (mean IoU of predicted vs
    ground-truth segment at those points; NaN when there are none). Inputs over all levels:
    offsets (B, P, 2), pos (B, P)."""
    iou = offset_iou(pred_offsets, gt_offsets) * pos  # (B, P), 0 off positives
    pos_per_level = torch.stack([p.sum() for p in pos.split(list(level_lengths), dim=1)]).float()  # (L,)
    iou_sum = torch.stack([x.sum() for x in iou.split(list(level_lengths), dim=1)])  # (L,)
    mean_iou = iou_sum / pos_per_level.clamp(min=1)
    mean_iou = torch.where(pos_per_level > 0, mean_iou, torch.full_like(mean_iou, float("nan")))
    out: Dict[str, torch.Tensor] = {}
    for level in range(len(level_lengths)):
        out[f"pos/{level}"] = pos_per_level[level]
        out[f"iou/{level}"] = mean_iou[level]
    return out
