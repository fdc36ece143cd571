"""Score voting ("box voting"): refine kept segments with their overlapping neighbours."""

from __future__ import annotations

import torch


def pairwise_iou_1d(segs_a: torch.Tensor, segs_b: torch.Tensor) -> torch.Tensor:
    """IoU between every segment of ``segs_a`` (M, 2) and of ``segs_b`` (N, 2) -> (M, N).

    Plain IoU, without the ``+1e-6`` on lengths that the NMS uses (as in the original voting).
    """
    left = torch.maximum(segs_a[:, None, 0], segs_b[None, :, 0])  # (M, N)
    right = torch.minimum(segs_a[:, None, 1], segs_b[None, :, 1])  # (M, N)
    inter = (right - left).clamp(min=0)
    len_a = segs_a[:, None, 1] - segs_a[:, None, 0]  # (M, 1)
    len_b = segs_b[None, :, 1] - segs_b[None, :, 0]  # (1, N)
    return inter / (len_a + len_b - inter)


def seg_voting(
    nms_segs: torch.Tensor,
    all_segs: torch.Tensor,
    all_scores: torch.Tensor,
    iou_threshold: float,
) -> torch.Tensor:
    """Replace each kept segment by the weighted mean of all candidates overlapping it.

    A candidate j votes for kept segment i when IoU(i, j) >= iou_threshold, with weight
    ``score_j * IoU(i, j)`` (the original release's current weighting); weights are
    normalised per kept segment. Every kept segment votes for itself (IoU 1), so the
    weights never all vanish for segments of positive length.

    Args:
        nms_segs: (M, 2) segments kept by NMS.
        all_segs: (N, 2) all candidates before NMS.
        all_scores: (N,) their scores (before any soft-NMS decay); cast to the segments' dtype.
        iou_threshold: minimum IoU for a candidate to vote.

    Returns:
        (M, 2) refined segments.
    """
    iou = pairwise_iou_1d(nms_segs, all_segs)  # (M, N)
    # in the segments' dtype: float64 scores next to float32 segments would break the matmul
    all_scores = all_scores.to(iou.dtype)
    weights = (iou >= iou_threshold).to(iou.dtype) * all_scores[None, :] * iou
    weights /= torch.sum(weights, dim=1, keepdim=True)
    return weights @ all_segs
