"""The built-in NMS methods of ``test_cfg.nms_method``: ``soft``, ``hard`` and ``none``.

``soft`` and ``hard`` declare the keys of their options: ``use_diou_nms`` (both), the per-class
``class_sigma`` (soft) and ``class_iou_threshold`` (hard)."""

from __future__ import annotations

from typing import Any, Mapping, Tuple

import torch

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import Bool

from .class_params import ClassTable
from .nms import batched_nms
from .registries import NMS_METHODS

Detections = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _batched(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, test_cfg: Mapping[str, Any],
             soft: bool) -> Detections:
    return batched_nms(
        segs, scores, labels, test_cfg["iou_threshold"], test_cfg["min_score"], test_cfg["max_seg_num"],
        use_soft_nms=soft, multiclass=test_cfg["multiclass_nms"], sigma=test_cfg["nms_sigma"],
        voting_thresh=test_cfg["voting_thresh"], use_diou=bool(test_cfg.get("use_diou_nms", False)),
        class_sigma=test_cfg.get("class_sigma") if soft else None,
        class_iou_threshold=None if soft else test_cfg.get("class_iou_threshold"),
    )


_USE_DIOU = Key(
    "test_cfg.use_diou_nms", Bool(), False,
    "Suppress by DIoU (IoU minus (centre distance / enclosing length)^2) instead of IoU: soft-NMS "
    "decays by exp(-max(DIoU, 0)^2 / sigma), hard NMS drops DIoU >= iou_threshold; overlapping "
    "segments with distant centres survive. Score voting keeps IoU.", origin=OURS)
_CLASS_SIGMA = Key(
    "test_cfg.class_sigma", ClassTable(), None,
    "Soft-NMS sigma per class, {class id or name: sigma}; unlisted classes use `nms_sigma`. "
    "Class-agnostic NMS uses the kept segment's class.", origin=OURS)
_CLASS_IOU = Key(
    "test_cfg.class_iou_threshold", ClassTable(hi=1.0), None,
    "Hard-NMS IoU threshold per class, {class id or name: threshold}; unlisted classes use "
    "`iou_threshold`. Class-agnostic NMS uses the kept segment's class.", origin=OURS)


@NMS_METHODS.register("soft", keys=[_USE_DIOU, _CLASS_SIGMA])
def soft_nms(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
             test_cfg: Mapping[str, Any]) -> Detections:
    """Gaussian soft-NMS (``nms_sigma``, ``class_sigma``; IoU or DIoU), then score voting when
    class-agnostic."""
    return _batched(segs, scores, labels, test_cfg, soft=True)


@NMS_METHODS.register("hard", keys=[_USE_DIOU, _CLASS_IOU])
def hard_nms(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
             test_cfg: Mapping[str, Any]) -> Detections:
    """Hard NMS at ``iou_threshold`` (``class_iou_threshold``; IoU or DIoU), then score voting
    when class-agnostic."""
    return _batched(segs, scores, labels, test_cfg, soft=False)


@NMS_METHODS.register("none")
def no_nms(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
           test_cfg: Mapping[str, Any]) -> Detections:
    """The decoded candidates as they are (the original's ``nms_method: none``)."""
    return segs, scores, labels


# the built-in detection filters register with the registry's built-ins
from . import constraints as _constraints  # noqa: E402,F401  ("constraints", test_cfg.constraints)
