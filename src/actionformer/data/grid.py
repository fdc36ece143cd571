"""Seconds -> feature-grid units, exactly as the original release converts them.

Feature ``t`` covers frames ``[t * stride, t * stride + num_frames)``; its centre sits at frame
``t * stride + num_frames / 2``. So a time ``s`` (seconds) lies at grid position
``s * fps / stride - 0.5 * num_frames / stride``; small negative values are expected near 0.
The way back, grid -> seconds (clipped to the video), is ``actionformer.postprocess.grid_to_seconds``:
the model's inference uses it, and the model never imports the data package.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor, float]


def feat_offset(feat_stride: float, num_frames: float) -> float:
    """Grid position of frame 0: half a feature window, in feature steps."""
    return 0.5 * num_frames / feat_stride


def seconds_to_grid(seconds: ArrayLike, fps: float, feat_stride: float, num_frames: float) -> ArrayLike:
    """Seconds -> feature-grid units (the original's ``seg * fps / stride - offset``)."""
    return seconds * fps / feat_stride - feat_offset(feat_stride, num_frames)

