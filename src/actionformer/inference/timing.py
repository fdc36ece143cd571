"""Where each feature step sits in time, and the per-video resampling the config asks for.

A feature file holds T steps of C channels; step i covers frames [i * feat_stride,
i * feat_stride + num_frames) of a video at ``fps`` frames per second. Training reads these from
the dataset config; inference of new videos reads the same keys (``dataset.default_fps``,
``dataset.feat_stride``, ``dataset.num_frames``) unless flags override them. The resampling
(``downsample_rate``, ``force_upsampling``) is the dataset's (``ActionDataset.resample``), so a
model sees at inference exactly the grid it was trained on; tests compare the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

import numpy as np
import torch

from .errors import USAGE, InferenceError


@dataclass(frozen=True)
class FeatureTiming:
    """The feature grid of the videos given to a model (see the module docstring)."""

    fps: Optional[float]
    feat_stride: float
    num_frames: float
    downsample_rate: int = 1
    force_upsampling: bool = False
    max_seq_len: int = 2304

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], fps: Optional[float] = None, feat_stride: Optional[float] = None,
                    num_frames: Optional[float] = None) -> "FeatureTiming":
        """The config's ``dataset`` keys, each replaced by its argument when that is given."""
        data = cfg.get("dataset") or {}
        if cfg.get("dataset_name") == "soccernet":  # its layout: one feature per 1 / dataset.fps s, at i / fps
            data = {**data, "default_fps": data.get("fps", 2.0), "feat_stride": 1, "num_frames": 0}
        return cls(
            fps=float(fps) if fps is not None else _optional_float(data.get("default_fps")),
            feat_stride=float(feat_stride if feat_stride is not None else data.get("feat_stride", 16)),
            num_frames=float(num_frames if num_frames is not None else data.get("num_frames", 32)),
            downsample_rate=max(int(data.get("downsample_rate") or 1), 1),
            force_upsampling=bool(data.get("force_upsampling", False)),
            max_seq_len=int(data.get("max_seq_len", cfg.get("model", {}).get("max_seq_len", 2304))),
        )

    def require_fps(self, video_id: str, fps: Optional[float] = None) -> float:
        """``fps`` or the timing's own; an error saying how to give it when neither is known."""
        value = fps if fps is not None else self.fps
        if value is not None and not (math.isfinite(float(value)) and float(value) > 0):
            raise InferenceError(f"video {video_id}: fps {value!r} (--fps, Detector: fps=, or dataset.default_fps): "
                                 "must be a positive number, the frames per second of the video the features "
                                 "were extracted from", USAGE)
        if value is None:
            raise InferenceError(
                f"video {video_id}: the frame rate of the features is unknown (fps {value!r}): the config's "
                "dataset.default_fps is null and no --fps (Detector: fps=) was given; pass the frames per "
                "second of the video the features were extracted from", USAGE)
        return float(value)

    def resample(self, feats: torch.Tensor, fps: float, duration: Optional[float] = None
                 ) -> Tuple[torch.Tensor, float, float, float]:
        """(C, T) features -> (C, T') features as the model expects them, feat_stride, num_frames
        and the duration in seconds (the span the features cover, when not given)."""
        stride, frames = self.feat_stride, self.num_frames
        length = feats.shape[-1]
        if duration is None:
            duration = covered_seconds(length, stride, frames, fps)
        if stride <= 0:
            # features resized to a fixed length per video: one step spans duration / T'
            seq_len = self.max_seq_len if self.force_upsampling else length
            stride = frames = duration * fps / seq_len
        elif self.force_upsampling:
            stride = frames = float((length - 1) * self.feat_stride + self.num_frames) / self.max_seq_len
        elif self.downsample_rate > 1:
            feats = feats[:, :: self.downsample_rate]
            stride = self.feat_stride * self.downsample_rate
        if self.force_upsampling:
            from actionformer.data.transforms import resize_feats

            feats = resize_feats(feats, self.max_seq_len)  # (C, max_seq_len)
        # a (C, T) view of the (T, C) file: callers copy what they run (a window, or the whole video)
        return feats, float(stride), float(frames), float(duration)


def covered_seconds(length: int, feat_stride: float, num_frames: float, fps: float) -> float:
    """Seconds from the first frame of step 0 to the last frame of step T - 1: the video's
    length as far as its features tell (used when no duration is given)."""
    if feat_stride <= 0:
        raise InferenceError("features resized to a fixed length per video (dataset.feat_stride <= 0) carry no "
                             "timing: give each video's duration (Detector: duration=)", USAGE)
    # num_frames 0 (the soccernet layout: feature i is the instant i / fps): each step spans its
    # stride, as the dataset counts a half's duration (T / fps)
    return ((length - 1) * feat_stride + (num_frames if num_frames > 0 else feat_stride)) / fps


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def as_channels_first(features: Any, layout: str, what: str) -> torch.Tensor:
    """An array or tensor laid out ``"TC"`` (time x channels, the files' layout) or ``"CT"`` as a
    float32 (C, T) CPU tensor."""
    if layout not in ("TC", "CT"):
        raise InferenceError(f"{what}: layout must be 'TC' (time x channels) or 'CT', got {layout!r}", USAGE)
    tensor = features if isinstance(features, torch.Tensor) else torch.from_numpy(np.asarray(features))
    if tensor.dim() != 2:
        raise InferenceError(f"{what}: features must be a 2-D array ({layout}), got shape {tuple(tensor.shape)}")
    tensor = tensor.detach().to("cpu", torch.float32)  # checked on the CPU; batches move to the device
    return tensor.t() if layout == "TC" else tensor
