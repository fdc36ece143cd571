"""Turning the list of per-video dicts a model receives into padded batches, and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

import torch


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


def padding_per_level(length: int, padded: int, strides: Sequence[int]) -> List[int]:
    """Padded steps after the valid ones at every level, for ``length`` valid steps padded to
    ``padded`` (a multiple of every stride): the level of stride s keeps steps 0, s, 2s, ... of
    the mask, so its valid steps are ceil(length / s) of its padded / s."""
    return [padded // s - -(-length // s) for s in strides]


def shortest_equivalent_length(length: int, original_length: int, strides: Sequence[int], reach: int) -> int:
    """The shortest padded length that gives the same predictions as ``original_length``.

    Padded steps are not inert, but they are uniform: every layer zeroes its output there (the
    mask), and a layer norm turns those zeros into its bias, the same vector at every padded
    step; attention never reads them (padded keys are masked). So a layer's output at a valid
    step differs from an unpadded sequence's only where its kernel reads past the last valid
    step, i.e. within ``reach`` steps of it (``reach``: kernel_size // 2 of the widest kernel,
    convolution or max-pool, of the model), and there it depends on how many of those steps are
    padding (the uniform vector) rather than outside the sequence (the convolution's zeros).

    Hence: predictions on valid steps depend on the padding only through min(p_l, reach) at every
    level, p_l its padded steps after the valid ones (see :func:`padding_per_level`). Padding to
    L gives the original's predictions iff min(p_l(L), reach) == min(p_l(original), reach) at
    every level. p_l grows with L, so the shortest such L (a multiple of the top stride) is found
    by counting up from the valid length; at the latest at ceil(length / S) S + reach S (S the
    top stride) every level has at least ``reach`` padded steps, and the search stops at the
    original's length in any case.
    """
    top = max(strides)
    wanted = [min(p, reach) for p in padding_per_level(length, original_length, strides)]
    candidate = -(-length // top) * top
    while candidate < original_length:
        have = [min(p, reach) for p in padding_per_level(length, candidate, strides)]
        if have == wanted:
            return candidate
        candidate += top
    return original_length


def kernel_reach(model: torch.nn.Module) -> int:
    """kernel_size // 2 (times the dilation) of the model's widest convolution or max-pool: how
    far past a valid step any layer reads (at least 1)."""
    reach = 1
    for module in model.modules():
        if isinstance(module, torch.nn.Conv1d):
            reach = max(reach, module.dilation[0] * (module.kernel_size[0] // 2))
        elif isinstance(module, torch.nn.MaxPool1d):
            kernel = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
            reach = max(reach, kernel // 2)
    return reach


@torch.no_grad()
def batch_videos(
    video_list: Sequence[Dict[str, Any]], length: int, device: torch.device, time_major: bool = False
):
    """Zero-pad every video's (C, T) features to ``length``: feats (B, C, length), masks (B, 1, length).

    ``time_major`` stores padded feats as (B, T, C) memory (the CPU kernels' layout, see
    ``actionformer.modeling.kernels``); by default they are contiguous (B, C, T).
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
    if len(video_list) == 1 and lengths[0] == length:
        # no padding needed: no copy (the CPU kernels' first convolution reads the (C, T) memory
        # in place, run by run, see winograd_conv3, rather than hold a time-major copy)
        return first.to(device).unsqueeze(0), masks
    if time_major:
        # (B, T, C) memory seen as (B, C, T): the CPU kernels' layout, so the first layer needs
        # no reordering copy
        feats = first.new_zeros((len(video_list), length, first.shape[0]), device=device).transpose(1, 2)
    else:
        feats = first.new_zeros((len(video_list), first.shape[0], length), device=device)
    for row, video in zip(feats, video_list):
        row[:, : video["feats"].shape[-1]].copy_(video["feats"])
    return feats, masks  # (B, C, T), (B, 1, T)
