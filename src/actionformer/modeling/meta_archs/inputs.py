"""Turning the list of per-video dicts a model receives into padded batches, and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import torch

from ..layers.fastpath import fast_kernels_enabled


@dataclass
class DenseOutputs:
    """Per pyramid level: points (T_l, 4), cls_logits (B, T_l, C), offsets (B, T_l, 2), masks (B, T_l)."""

    points: List[torch.Tensor]
    cls_logits: List[torch.Tensor]
    offsets: List[torch.Tensor]
    masks: List[torch.Tensor]


def _name(video: Dict[str, Any], index: int) -> str:
    return f"video {video.get('video_id', index)!r}"


def check_video_list(video_list: Sequence[Dict[str, Any]], training: bool) -> None:
    """Clear errors for malformed inputs (instead of a shape error deep inside the network)."""
    if not isinstance(video_list, (list, tuple)) or len(video_list) == 0:
        raise ValueError("the model expects a non-empty list of video dicts")
    channels = None
    for i, video in enumerate(video_list):
        feats = video.get("feats")
        if not isinstance(feats, torch.Tensor) or feats.dim() != 2:
            raise ValueError(f"{_name(video, i)}: 'feats' must be a (C, T) tensor, got {type(feats).__name__}"
                             + (f" of shape {tuple(feats.shape)}" if isinstance(feats, torch.Tensor) else ""))
        if channels is not None and feats.shape[0] != channels:
            raise ValueError(f"{_name(video, i)}: {feats.shape[0]} feature channels, others have {channels}")
        channels = feats.shape[0]
        if training:
            for key in ("segments", "labels"):
                if video.get(key) is None:
                    raise ValueError(f"{_name(video, i)}: training needs ground truth '{key}'")
            segs, labels = video["segments"], video["labels"]
            if segs.dim() != 2 or segs.shape[-1] != 2 or labels.shape[0] != segs.shape[0]:
                raise ValueError(
                    f"{_name(video, i)}: 'segments' must be (N, 2) and 'labels' (N,), "
                    f"got {tuple(segs.shape)} and {tuple(labels.shape)}"
                )
        else:
            missing = [k for k in ("video_id", "fps", "duration", "feat_stride", "feat_num_frames") if k not in video]
            if missing:
                raise ValueError(f"{_name(video, i)}: inference needs the field(s) {missing}")


def padded_length(length: int, max_seq_len: int, max_div_factor: int) -> int:
    """Inference padding of the original release: max_seq_len, or the next multiple of max_div_factor."""
    if length <= max_seq_len:
        return max_seq_len
    return -(-length // max_div_factor) * max_div_factor


def shortest_equivalent_length(length: int, original_length: int, stride: int) -> int:
    """The shortest padded length that gives the same predictions as ``original_length``.

    Padded steps are not inert: after a layer norm they hold its bias, and a k-conv at the last
    valid step reads them (where a sequence without padding reads zeros). So predictions on
    valid steps depend on *whether* each pyramid level has padding after the valid steps, not
    on how much. Padding one whole top-level step (``stride``) past the valid length gives every
    level padding, like the original whenever it pads at least that much; otherwise the
    original's length is already the shortest multiple of ``stride``.
    """
    return min(original_length, -(-length // stride) * stride + stride)


@torch.no_grad()
def batch_videos(
    video_list: Sequence[Dict[str, Any]], length: int, device: torch.device, time_major: Optional[bool] = None
):
    """Zero-pad every video's (C, T) features to ``length``: feats (B, C, length), masks (B, 1, length).

    ``time_major`` (default: with the fast kernels, on the CPU) stores padded feats as (B, T, C)
    memory.
    """
    lengths = [v["feats"].shape[-1] for v in video_list]
    for i, (video, t) in enumerate(zip(video_list, lengths)):
        if t > length:
            raise ValueError(
                f"{_name(video, i)} has {t} feature steps, more than the {length} allowed here "
                "(training inputs must be at most max_seq_len; crop them in the data pipeline)"
            )
    first = video_list[0]["feats"]
    lens = torch.as_tensor(lengths, device=device)
    masks = (torch.arange(length, device=device)[None, :] < lens[:, None]).unsqueeze(1)  # (B, 1, length)
    if time_major is None:
        time_major = fast_kernels_enabled() and device.type == "cpu"
    if len(video_list) == 1 and lengths[0] == length:
        # no padding needed: no copy (the fast path's first convolution reads the (C, T) memory
        # in place, run by run, see winograd_conv3, rather than hold a time-major copy)
        return first.to(device).unsqueeze(0), masks
    if time_major:
        # (B, T, C) memory seen as (B, C, T): the fast kernels' layout, so the first layer needs
        # no reordering copy
        feats = first.new_zeros((len(video_list), length, first.shape[0]), device=device).transpose(1, 2)
    else:
        feats = first.new_zeros((len(video_list), first.shape[0], length), device=device)
    for row, video in zip(feats, video_list):
        row[:, : video["feats"].shape[-1]].copy_(video["feats"])
    return feats, masks  # (B, C, T), (B, 1, T)
