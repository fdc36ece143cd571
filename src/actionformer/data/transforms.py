"""Training-time augmentation (random truncation and cropping) and feature resizing.

Randomness comes from a ``random.Random`` passed in (``rng``), so that a sampler can give each
item its own seed and batches do not depend on which worker loads them. Without ``rng`` the
module-level ``random`` is used, as in the original release (seeded per worker by
``worker_init_reset_seed``).
"""

from __future__ import annotations

import random
from typing import Any, Dict, Optional, Sequence

import torch
from torch.nn import functional as F


def _crop_length(feat_len: int, crop_ratio: Sequence[float], rng) -> int:
    low = max(round(crop_ratio[0] * feat_len), 1)
    high = min(round(crop_ratio[1] * feat_len), feat_len)
    return rng.randint(low, high)


def truncate_feats(
    data_dict: Dict[str, Any],
    max_seq_len: int,
    trunc_thresh: float,
    offset: Any = 0.0,
    crop_ratio: Optional[Sequence[float]] = None,
    max_num_trials: int = 200,
    has_action: bool = True,
    no_trunc: bool = False,
    rng: Optional[random.Random] = None,
) -> Dict[str, Any]:
    """Cut a random window of at most ``max_seq_len`` steps out of a video item.

    Same signature and semantics as the original release's latest ``truncate_feats``: a window
    is drawn until it keeps at least one action whose overlap with it (the window widened by
    ``offset`` on both sides, in feature steps) is >= ``trunc_thresh`` of the action (a point
    event, start = end, is kept when it lies in the widened window); kept
    actions are clipped to the widened window and shifted to window coordinates. Videos no
    longer than ``max_seq_len`` are randomly cropped to ``crop_ratio`` of their length instead
    (or returned unchanged when ``crop_ratio`` is None). The input dict is not modified.

    For the original's older signature ``truncate_feats(d, max_seq_len, trunc_thresh,
    crop_ratio)`` a pair given in the ``offset`` position is taken as ``crop_ratio``.
    """
    if isinstance(offset, (tuple, list)):
        offset, crop_ratio = 0.0, offset
    rng = random if rng is None else rng
    feat_len = data_dict["feats"].shape[1]
    segments = data_dict["segments"]  # (N, 2) in feature-grid units
    num_segs = segments.shape[0]

    if feat_len <= max_seq_len:
        if crop_ratio is None:
            return data_dict
        max_seq_len = _crop_length(feat_len, crop_ratio, rng)
        if max_seq_len == feat_len:
            return data_dict

    data_dict = dict(data_dict)  # every entry that changes is replaced, never modified in place
    area_segs = torch.abs(segments[:, 1] - segments[:, 0])
    for _ in range(max_num_trials):
        start = rng.randint(0, feat_len - max_seq_len)
        end = start + max_seq_len
        left = torch.clamp(segments[:, 0], min=start - offset)
        right = torch.clamp(segments[:, 1], max=end + offset)
        inter = (right - left).clamp(min=0)
        # a point event (zero length) counts as wholly inside or wholly outside the window
        inside = (segments[:, 0] >= start - offset) & (segments[:, 0] <= end + offset)
        inter_ratio = torch.where(area_segs > 0, inter / area_segs, inside.to(inter.dtype))
        keep = inter_ratio >= trunc_thresh
        if no_trunc:
            partially_cut = (inter_ratio > 0.0) & (inter_ratio < 1.0)
            if keep.any() and not partially_cut.any():
                break
        elif has_action:
            if keep.any():
                break
        else:
            break

    # copies only the window (the input may be a transposed view of the whole file)
    data_dict["feats"] = data_dict["feats"][:, start:end].clone(memory_format=torch.contiguous_format)  # (C, T')
    kept = torch.stack((left[keep], right[keep]), dim=1)  # (N', 2)
    data_dict["segments"] = (kept - start).to(segments.dtype)
    data_dict["labels"] = data_dict["labels"][keep].clone()
    return data_dict


def resize_feats(feats: torch.Tensor, length: int) -> torch.Tensor:
    """Linearly interpolate (C, T) features to (C, length), as the original's force_upsampling."""
    if feats.shape[-1] == length:
        return feats
    resized = F.interpolate(feats.unsqueeze(0), size=length, mode="linear", align_corners=False)  # (1, C, L)
    return resized.squeeze(0)  # (C, L)
