"""The built-in NMS methods of ``test_cfg.nms_method``: ``soft``, ``hard`` and ``none``."""

from __future__ import annotations

from typing import Any, Mapping, Tuple

import torch

from .nms import batched_nms
from .registries import NMS_METHODS

Detections = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _batched(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, test_cfg: Mapping[str, Any],
             soft: bool) -> Detections:
    return batched_nms(
        segs, scores, labels, test_cfg["iou_threshold"], test_cfg["min_score"], test_cfg["max_seg_num"],
        use_soft_nms=soft, multiclass=test_cfg["multiclass_nms"], sigma=test_cfg["nms_sigma"],
        voting_thresh=test_cfg["voting_thresh"],
    )


@NMS_METHODS.register("soft")
def soft_nms(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
             test_cfg: Mapping[str, Any]) -> Detections:
    """Gaussian soft-NMS (``nms_sigma``), then score voting when class-agnostic."""
    return _batched(segs, scores, labels, test_cfg, soft=True)


@NMS_METHODS.register("hard")
def hard_nms(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
             test_cfg: Mapping[str, Any]) -> Detections:
    """Hard NMS at ``iou_threshold``, then score voting when class-agnostic."""
    return _batched(segs, scores, labels, test_cfg, soft=False)


@NMS_METHODS.register("none")
def no_nms(segs: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor,
           test_cfg: Mapping[str, Any]) -> Detections:
    """The decoded candidates as they are (the original's ``nms_method: none``)."""
    return segs, scores, labels


# the built-in detection filters register with the registry's built-ins
from . import constraints as _constraints  # noqa: E402,F401  ("constraints", test_cfg.constraints)
