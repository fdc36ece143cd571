"""Turn per-level head outputs into candidate segments (feature-grid units), as the original."""

from __future__ import annotations

from typing import Sequence, Tuple

import torch


def decode_level(
    points: torch.Tensor,
    cls_logits: torch.Tensor,
    offsets: torch.Tensor,
    mask: torch.Tensor,
    pre_nms_thresh: float,
    pre_nms_topk: int,
    duration_thresh: float,
    score_temperature: float = 1.0,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Candidates of one pyramid level.

    Args:
        points: (T, 4) rows [t, reg_range_min, reg_range_max, stride] (PointGenerator output).
        cls_logits: (T, C) classification logits.
        offsets: (T, 2) regressed distances to start / end, in units of the level's stride.
        mask: (T,) bool, True = valid position.
        pre_nms_thresh: keep (position, class) pairs with probability > this.
        pre_nms_topk: then keep at most this many, highest probability first.
        duration_thresh: drop segments not longer than this (feature-grid units).
        score_temperature: T > 0 of ``sigmoid(logit / T)``, applied before the threshold;
            T > 1 flattens over-confident scores, T < 1 sharpens them (1: unchanged).

    Returns:
        segs (K, 2) [start, end], scores (K,), labels (K,) int64; highest score first.
    """
    num_classes = cls_logits.shape[1]
    if score_temperature != 1.0:  # skipped at 1 so that the default is the original, bit for bit
        cls_logits = cls_logits / score_temperature
    # invalid positions get probability 0, below any sensible threshold
    probs = (cls_logits.sigmoid() * mask.unsqueeze(-1)).flatten()  # (T, C) -> (T * C,)
    above = probs > pre_nms_thresh
    probs = probs[above]
    flat_idxs = above.nonzero(as_tuple=True)[0]

    num_topk = min(pre_nms_topk, flat_idxs.size(0))
    # the same (unstable) sort as the original, so that equal scores come out in the same order
    probs, order = probs.sort(descending=True)
    probs = probs[:num_topk].clone()
    flat_idxs = flat_idxs[order[:num_topk]].clone()

    pt_idxs = torch.div(flat_idxs, num_classes, rounding_mode="floor")
    labels = torch.fmod(flat_idxs, num_classes)
    offsets = offsets[pt_idxs]
    pts = points[pt_idxs]

    seg_left = pts[:, 0] - offsets[:, 0] * pts[:, 3]
    seg_right = pts[:, 0] + offsets[:, 1] * pts[:, 3]
    segs = torch.stack((seg_left, seg_right), -1)  # (K, 2)
    long_enough = (seg_right - seg_left) > duration_thresh
    return segs[long_enough], probs[long_enough], labels[long_enough]


def _check_levels(
    points_per_level: Sequence[torch.Tensor],
    cls_logits_per_level: Sequence[torch.Tensor],
    offsets_per_level: Sequence[torch.Tensor],
    masks_per_level: Sequence[torch.Tensor],
) -> None:
    num_levels = len(points_per_level)
    if num_levels == 0:
        raise ValueError("decode_candidates: no pyramid levels given")
    lens = (len(cls_logits_per_level), len(offsets_per_level), len(masks_per_level))
    if any(n != num_levels for n in lens):
        raise ValueError(
            "decode_candidates: points, cls_logits, offsets and masks must have one entry per "
            f"pyramid level; got {num_levels}, {lens[0]}, {lens[1]}, {lens[2]}"
        )
    for level, (pts, logits, offs, mask) in enumerate(
        zip(points_per_level, cls_logits_per_level, offsets_per_level, masks_per_level)
    ):
        t = pts.shape[0]
        ok = (
            pts.ndim == 2 and pts.shape[1] == 4
            and logits.ndim == 2 and logits.shape[0] == t
            and tuple(offs.shape) == (t, 2)
            and tuple(mask.shape) == (t,)
        )
        if not ok:
            raise ValueError(
                f"decode_candidates: level {level}: expected points (T, 4), cls_logits (T, C), "
                f"offsets (T, 2), masks (T,); got {tuple(pts.shape)}, {tuple(logits.shape)}, "
                f"{tuple(offs.shape)}, {tuple(mask.shape)}"
            )
        if mask.dtype != torch.bool:
            raise ValueError(f"decode_candidates: level {level}: masks must be bool, got {mask.dtype}")


def decode_candidates(
    points_per_level: Sequence[torch.Tensor],
    cls_logits_per_level: Sequence[torch.Tensor],
    offsets_per_level: Sequence[torch.Tensor],
    masks_per_level: Sequence[torch.Tensor],
    pre_nms_thresh: float,
    pre_nms_topk: int,
    duration_thresh: float,
    score_temperature: float = 1.0,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Candidates of all levels, concatenated level by level (see ``decode_level``).

    Shapes per level l: points (T_l, 4), cls_logits (T_l, C), offsets (T_l, 2), masks (T_l,).
    ``pre_nms_topk`` applies to each level separately, as in the original; ``score_temperature``
    divides the logits before the sigmoid (see ``decode_level``).

    Returns:
        segs (N, 2) in feature-grid units, scores (N,), labels (N,) int64, on the input device.
    """
    _check_levels(points_per_level, cls_logits_per_level, offsets_per_level, masks_per_level)
    if not score_temperature > 0:
        raise ValueError(f"decode_candidates: score_temperature must be > 0, got {score_temperature}")
    per_level = [
        decode_level(pts, logits, offs, mask, pre_nms_thresh, pre_nms_topk, duration_thresh, score_temperature)
        for pts, logits, offs, mask in zip(
            points_per_level, cls_logits_per_level, offsets_per_level, masks_per_level
        )
    ]
    segs, scores, labels = (torch.cat(parts) for parts in zip(*per_level))
    return segs, scores, labels
