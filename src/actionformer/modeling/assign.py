"""Label assignment: which ground-truth action (if any) each point of the pyramid regresses."""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F

from .registries import ASSIGNERS


@torch.no_grad()
def assign_single_video(
    points: torch.Tensor,
    gt_segments: torch.Tensor,
    gt_labels: torch.Tensor,
    num_classes: int,
    center_sample: str = "radius",
    center_sample_radius: float = 1.5,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Targets for one video.

    points: (P, 4) rows [t, reg_min, reg_max, stride] over all levels; gt_segments: (N, 2) on
    the feature grid; gt_labels: (N,). A point is positive for an action when it lies inside the
    action (with ``center_sample='radius'``: within ``radius * stride`` of its centre, clipped to
    the action) and its larger boundary distance falls inside the level's regression range;
    among several such actions the shortest wins (ties within 1e-3 share the class targets).

    Returns cls_targets (P, num_classes) in {0, 1} and reg_targets (P, 2): (left, right) distances
    divided by the stride (meaningful only on positive points).
    """
    num_pts, num_gts = points.shape[0], gt_segments.shape[0]
    if num_gts == 0:
        return gt_segments.new_zeros((num_pts, num_classes)), gt_segments.new_zeros((num_pts, 2))

    t = points[:, 0, None]  # (P, 1)
    stride = points[:, 3, None]  # (P, 1)
    starts, ends = gt_segments[None, :, 0], gt_segments[None, :, 1]  # (1, N)
    left, right = t - starts, ends - t  # (P, N)
    reg_targets = torch.stack((left, right), dim=-1)  # (P, N, 2)

    if center_sample == "radius":
        centers = 0.5 * (starts + ends)
        t_min = torch.maximum(centers - stride * center_sample_radius, starts)
        t_max = torch.minimum(centers + stride * center_sample_radius, ends)
        inside = torch.minimum(t - t_min, t_max - t) > 0  # (P, N)
    elif center_sample == "none":
        inside = torch.minimum(left, right) > 0
    else:
        raise ValueError(f"center_sample must be 'radius' or 'none', got {center_sample!r}")

    max_dist = torch.maximum(left, right)
    in_range = (max_dist >= points[:, 1, None]) & (max_dist <= points[:, 2, None])

    lens = (ends - starts).expand(num_pts, num_gts)
    lens = lens.masked_fill(~(inside & in_range), float("inf"))
    min_len, min_idx = lens.min(dim=1)  # (P,)
    # several actions of (nearly) the same length at a point all count (e.g. THUMOS14 duplicates)
    ties = ((lens <= min_len[:, None] + 1e-3) & (lens < float("inf"))).to(reg_targets.dtype)  # (P, N)
    one_hot = F.one_hot(gt_labels.long(), num_classes).to(reg_targets.dtype)  # (N, C)
    cls_targets = (ties @ one_hot).clamp_(min=0.0, max=1.0)
    reg_targets = reg_targets[torch.arange(num_pts, device=points.device), min_idx] / stride
    return cls_targets, reg_targets


@ASSIGNERS.register("center_point")
@torch.no_grad()
def assign_labels(
    points_per_level: Sequence[torch.Tensor],
    gt_segments: Sequence[torch.Tensor],
    gt_labels: Sequence[torch.Tensor],
    num_classes: int,
    center_sample: str = "radius",
    center_sample_radius: float = 1.5,
) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
    """Targets for a batch: per video (P, num_classes) and (P, 2), P = points over all levels."""
    points = torch.cat(list(points_per_level), dim=0)
    cls_targets, reg_targets = [], []
    for segments, labels in zip(gt_segments, gt_labels):
        cls_t, reg_t = assign_single_video(
            points, segments, labels, num_classes, center_sample, center_sample_radius
        )
        cls_targets.append(cls_t)
        reg_targets.append(reg_t)
    return cls_targets, reg_targets
