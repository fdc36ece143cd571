"""Losses: sigmoid focal and quality focal loss (classification); IoU, GIoU, DIoU and EIoU on
centre-anchored 1-D segments (regression); as functions and as registered losses
(``CLS_LOSSES``, ``REG_LOSSES``)."""

from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import Float

from .registries import CLS_LOSSES, REG_LOSSES


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def sigmoid_focal_loss(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "none",
) -> torch.Tensor:
    """Focal loss (Lin et al., RetinaNet) on logits, computed in float32; targets may be soft."""
    inputs = inputs.float()
    targets = targets.float()
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction)


def _check_offsets(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.shape[-1:] != (2,):
        raise ValueError(f"offsets must both be (N, 2), got {tuple(pred.shape)} and {tuple(target.shape)}")
    if bool((pred < 0).any()):
        raise ValueError("predicted offsets must be non-negative")
    if bool((target < 0).any()):
        raise ValueError("target offsets must be non-negative")


def offsets_iou(pred_offsets: torch.Tensor, gt_offsets: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """IoU (N,) between predicted and ground-truth segments given as (left, right) distances
    (N, 2) from the same point, in float32. The quality target of ``quality_focal`` and the
    positive-point IoU a loss logger reports both come from here (detach it for such uses)."""
    return _offsets_iou(pred_offsets, gt_offsets, eps)[-1]


def quality_focal_loss(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    beta: float = 2.0,
    reduction: str = "none",
) -> torch.Tensor:
    """Quality focal loss (Li et al., Generalized Focal Loss, NeurIPS 2020) on logits, in float32:
    ``|q - sigmoid(x)|**beta * BCE(x, q)`` with soft targets q in [0, 1] (at positive points the
    IoU of the predicted segment, elsewhere 0). Its minimum is at sigmoid(x) = q, so the score
    learns to predict the localisation quality."""
    inputs = inputs.float()
    targets = targets.float()
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    loss = ce * (targets - torch.sigmoid(inputs)).abs().pow(beta)
    return _reduce(loss, reduction)


def _offsets_iou(input_offsets: torch.Tensor, target_offsets: torch.Tensor, eps: float):
    """(left_pred, right_pred, left_gt, right_gt, IoU) of segments anchored at a shared centre
    point, in float32 (the losses stay in float32 under autocast)."""
    pred, target = input_offsets.float(), target_offsets.float()
    _check_offsets(pred, target)
    lp, rp = pred[:, 0], pred[:, 1]
    lg, rg = target[:, 0], target[:, 1]
    intersection = torch.min(lp, lg) + torch.min(rp, rg)
    union = (lp + rp) + (lg + rg) - intersection
    return lp, rp, lg, rg, intersection / union.clamp(min=eps)


def ctr_diou_loss_1d(
    input_offsets: torch.Tensor,
    target_offsets: torch.Tensor,
    reduction: str = "none",
    eps: float = 1e-8,
) -> torch.Tensor:
    """Distance-IoU loss (Zheng et al.) for 1-D segments given as (left, right) distances from a
    shared centre point: 1 - IoU + (centre distance / enclosing length)^2."""
    lp, rp, lg, rg, iou = _offsets_iou(input_offsets, target_offsets, eps)
    enclosing = torch.max(lp, lg) + torch.max(rp, rg)
    rho = 0.5 * (rp - lp - rg + lg)
    loss = 1.0 - iou + torch.square(rho / enclosing.clamp(min=eps))
    return _reduce(loss, reduction)


def ctr_eiou_loss_1d(
    input_offsets: torch.Tensor,
    target_offsets: torch.Tensor,
    reduction: str = "none",
    eps: float = 1e-8,
) -> torch.Tensor:
    """EIoU loss (Zhang et al., Focal and Efficient IoU) in 1-D: the DIoU loss plus the squared
    length difference over the squared enclosing length, ((lp + rp) - (lg + rg))^2 / c^2 (EIoU's
    width term; a segment has no height)."""
    lp, rp, lg, rg, iou = _offsets_iou(input_offsets, target_offsets, eps)
    enclosing_sq = torch.square(torch.max(lp, lg) + torch.max(rp, rg)).clamp(min=eps)
    rho = 0.5 * (rp - lp - rg + lg)
    length_gap = (lp + rp) - (lg + rg)
    loss = 1.0 - iou + (torch.square(rho) + torch.square(length_gap)) / enclosing_sq
    return _reduce(loss, reduction)


def ctr_iou_loss_1d(
    input_offsets: torch.Tensor,
    target_offsets: torch.Tensor,
    reduction: str = "none",
    eps: float = 1e-8,
) -> torch.Tensor:
    """IoU loss, 1 - IoU, for centre-anchored 1-D segments."""
    iou = _offsets_iou(input_offsets, target_offsets, eps)[-1]
    return _reduce(1.0 - iou, reduction)


def ctr_giou_loss_1d(
    input_offsets: torch.Tensor,
    target_offsets: torch.Tensor,
    reduction: str = "none",
    eps: float = 1e-8,
) -> torch.Tensor:
    """GIoU loss for centre-anchored 1-D segments; it reduces to 1 - IoU in this setting (both
    segments contain the point, so the enclosing segment adds no gap)."""
    return ctr_iou_loss_1d(input_offsets, target_offsets, reduction, eps)


# ---------------------------------------------------------------- registered losses
# The meta-architecture picks them by `train_cfg.cls_loss_type` / `train_cfg.reg_loss_type`.
# A loss is built from the training config (`from_config(train_cfg)`, where it reads the keys it
# declares as `config_keys`) and called on the valid points: it returns the summed loss, which
# the meta-architecture normalises. A classification loss with ``wants_quality_targets = True``
# receives soft targets whose positive entries are the (detached) IoU of the predicted segment.


@CLS_LOSSES.register("focal")
class FocalLoss:
    """Sigmoid focal loss (alpha 0.25, gamma 2, as the original) summed over points and classes."""

    wants_quality_targets = False

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0) -> None:
        self.alpha, self.gamma = alpha, gamma

    @classmethod
    def from_config(cls, train_cfg: Mapping[str, Any]) -> "FocalLoss":
        return cls()

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """logits, targets: (N, num_classes); targets in [0, 1] (soft with label smoothing)."""
        return sigmoid_focal_loss(logits, targets, self.alpha, self.gamma, reduction="sum")


@CLS_LOSSES.register("quality_focal")
class QualityFocalLoss:
    """Quality focal loss summed over points and classes; the target of a positive point's class
    is the IoU of its predicted segment with its ground truth (label smoothing applies on top)."""

    wants_quality_targets = True
    config_keys = (
        Key("train_cfg.qfl_beta", Float(lo=0), 2.0,
            "Exponent beta of the quality focal loss's modulating factor |q - p|^beta "
            "(2, as Generalized Focal Loss).", origin=OURS),
    )

    def __init__(self, beta: float = 2.0) -> None:
        self.beta = beta

    @classmethod
    def from_config(cls, train_cfg: Mapping[str, Any]) -> "QualityFocalLoss":
        return cls(beta=float(train_cfg.get("qfl_beta", 2.0)))

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """logits, targets: (N, num_classes); targets in [0, 1], IoU-valued at positives."""
        return quality_focal_loss(logits, targets, self.beta, reduction="sum")


@REG_LOSSES.register("diou")
class DIoULoss:
    """Centre-anchored 1-D DIoU loss on (left, right) offsets, summed (the original's)."""

    @classmethod
    def from_config(cls, train_cfg: Mapping[str, Any]) -> "DIoULoss":
        return cls()

    def __call__(self, pred_offsets: torch.Tensor, gt_offsets: torch.Tensor) -> torch.Tensor:
        return ctr_diou_loss_1d(pred_offsets, gt_offsets, reduction="sum")


@REG_LOSSES.register("giou")
class GIoULoss(DIoULoss):
    """Centre-anchored 1-D GIoU loss (here 1 - IoU: the enclosing segment adds no gap), summed."""

    def __call__(self, pred_offsets: torch.Tensor, gt_offsets: torch.Tensor) -> torch.Tensor:
        return ctr_giou_loss_1d(pred_offsets, gt_offsets, reduction="sum")


@REG_LOSSES.register("iou")
class IoULoss(DIoULoss):
    """Centre-anchored 1-D IoU loss, 1 - IoU, summed (the same values as ``giou`` here)."""

    def __call__(self, pred_offsets: torch.Tensor, gt_offsets: torch.Tensor) -> torch.Tensor:
        return ctr_iou_loss_1d(pred_offsets, gt_offsets, reduction="sum")


@REG_LOSSES.register("eiou")
class EIoULoss(DIoULoss):
    """Centre-anchored 1-D EIoU loss: DIoU plus the squared length gap over the enclosing
    length squared, summed."""

    def __call__(self, pred_offsets: torch.Tensor, gt_offsets: torch.Tensor) -> torch.Tensor:
        return ctr_eiou_loss_1d(pred_offsets, gt_offsets, reduction="sum")
