"""Feature-grid positions -> seconds, clipped to the video, as the original release."""

from __future__ import annotations

import math

import torch


def _as_number(value: object, name: str) -> float:
    """Plain float of a number or a one-element tensor (collated metadata may be tensors)."""
    if value is None:
        raise ValueError(f"grid_to_seconds: {name} is missing (None)")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"grid_to_seconds: {name} must be a number, got {value!r}") from exc


def grid_to_seconds(
    segs: torch.Tensor,
    fps: float,
    feat_stride: float,
    feat_num_frames: float,
    duration: float,
) -> torch.Tensor:
    """Convert segments from feature-grid units to seconds and clip them to [0, duration].

    Feature i covers frames ``[i * feat_stride, i * feat_stride + feat_num_frames)``; its
    timestamp is the centre of that window: ``(i * feat_stride + 0.5 * feat_num_frames) / fps``.
    Boundaries <= 0 become 0 and boundaries >= duration become duration (a video of
    duration 0 gets [0, 0] segments, as in the original).

    Args:
        segs: (K, 2) segments on the feature grid.
        fps: frames per second of the features' frame indices.
        feat_stride: frames between two consecutive features.
        feat_num_frames: frames seen by one feature (its temporal window).
        duration: video length in seconds.

    Returns:
        (K, 2) segments in seconds (a new tensor, same dtype).

    Raises:
        ValueError: a value is missing or not a number, fps is not finite and > 0, or
            duration is negative or NaN.
    """
    fps, feat_stride, feat_num_frames, duration = (
        _as_number(v, name) for v, name in (
            (fps, "fps"), (feat_stride, "feat_stride"),
            (feat_num_frames, "feat_num_frames"), (duration, "duration"),
        )
    )
    if not (fps > 0 and math.isfinite(fps)):
        raise ValueError(f"grid_to_seconds: fps must be a finite number > 0, got {fps!r}")
    if not duration >= 0:  # a negative or NaN length would silently clip everything wrongly
        raise ValueError(f"grid_to_seconds: duration must be >= 0 seconds, got {duration!r}")
    if segs.shape[0] == 0:
        return segs.clone()
    seconds = (segs * feat_stride + 0.5 * feat_num_frames) / fps
    seconds = torch.where(seconds <= 0.0, torch.zeros_like(seconds), seconds)
    return torch.where(seconds >= duration, torch.full_like(seconds, duration), seconds)
