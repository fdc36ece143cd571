"""The Python API for new videos: ``Detector``.

    from actionformer import Detector
    detector = Detector.from_checkpoint("run/config.yaml", "run/model_best.pth.tar")
    for d in detector(np.load("video.npy"), layout="TC", fps=30):   # one video, (T, C) array
        print(d.start, d.end, d.label_name, d.score)
    results = detector.run(["features/"], fps=30)                    # many: per-video dicts

Videos of similar length run as one batch (sorted by length, padded as the model pads them,
which leaves each result unchanged). A video longer than ``window_steps`` runs window by window
with the exact stitching of :mod:`actionformer.inference.windows`, in bounded memory.
"""

from __future__ import annotations

import contextlib
from collections import Counter
import os
import warnings
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .errors import USAGE, InferenceError
from .model_loading import (
    build_trained_model, class_names_from_config, load_inference_config, resolve_device,
)
from .sources import FeatureInput, check_features, input_length, list_inputs, read_features
from .timing import FeatureTiming, as_channels_first

DEFAULT_WINDOW_STEPS = 16384  # feature steps per window (~36 min of THUMOS I3D features)
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Detection(NamedTuple):
    """One detected action: seconds, label id and name, score."""

    start: float
    end: float
    label: int
    label_name: str
    score: float


class Detector:
    """A trained model ready for new videos (see the module docstring).

    Args:
        model: a meta-architecture in eval mode (e.g. from :meth:`from_checkpoint`).
        cfg: its resolved config (feature timing, ``input_dim``).
        class_names: names of the label ids (default: from the config's dataset files, if any).
        device: where to run (default: the model's device).
        amp: ``"off"``, ``"bf16"`` (CPU and CUDA) or ``"fp16"`` (CUDA): autocast of the network;
            decoding runs in float32.
        window_steps: videos longer than this (feature steps) run window by window.
    """

    def __init__(self, model: torch.nn.Module, cfg: Mapping[str, Any], class_names: Optional[Sequence[str]] = None,
                 device: Union[None, str, torch.device] = None, amp: str = "off",
                 window_steps: int = DEFAULT_WINDOW_STEPS) -> None:
        self.cfg = dict(cfg)
        self.device = resolve_device(device) if device is not None else next(model.parameters()).device
        self.model = model.to(self.device).eval()
        self.class_names = list(class_names) if class_names is not None else class_names_from_config(cfg)
        self.timing = FeatureTiming.from_config(cfg)
        self.input_dim = _total_dim(cfg["model"].get("input_dim", (cfg.get("dataset") or {}).get("input_dim")))
        self.amp = _check_amp(amp, self.device)
        if window_steps < 1:
            raise InferenceError(f"window_steps must be >= 1, got {window_steps}", USAGE)
        self.window_steps = int(window_steps)
        self._margin: Optional[int] = None
        self._margin_known = False

    @classmethod
    def from_checkpoint(cls, config: Union[str, os.PathLike, Mapping[str, Any]], checkpoint: Union[str, os.PathLike],
                        device: Union[None, str, torch.device] = None, *, overrides: Sequence[str] = (),
                        use_ema: bool = True, **kwargs: Any) -> "Detector":
        """Build the config's model (a YAML path, with ``--set`` style ``overrides``, or a resolved
        dict) and load the checkpoint's weights (EMA ones when present and ``use_ema``)."""
        cfg = load_inference_config(config, overrides)
        resolved = resolve_device(device)
        model = build_trained_model(cfg, checkpoint, resolved, use_ema=use_ema, class_names=kwargs.get("class_names"))
        return cls(model, cfg, device=resolved, **kwargs)

    # ------------------------------------------------------------------ one video
    def __call__(self, features: Any, *, layout: str, fps: Optional[float] = None, duration: Optional[float] = None,
                 video_id: str = "video", feat_stride: Optional[float] = None,
                 num_frames: Optional[float] = None) -> List[Detection]:
        """Detections of one video, highest score first. ``features``: a NumPy array or a tensor,
        ``layout`` "TC" (time x channels, the files' layout) or "CT"; ``fps`` / ``feat_stride``
        / ``num_frames`` override the config's; ``duration`` (seconds) defaults to the span the
        features cover."""
        feats = as_channels_first(features, layout, f"video {video_id}")
        check_features(feats.t().numpy(), self.input_dim, video_id, f"video {video_id} (features argument)")
        timing = self._timing(fps, feat_stride, num_frames)
        video = self.prepare(video_id, feats, timing, duration=duration)
        return self.detections(self.predict([video])[0])

    def detections(self, result: Mapping[str, Any]) -> List[Detection]:
        """A model's per-video result dict as a list of :class:`Detection`, highest score first."""
        scores = np.asarray(result["scores"], dtype=np.float64).reshape(-1)
        segments = np.asarray(result["segments"], dtype=np.float64).reshape(-1, 2)
        labels = np.asarray(result["labels"], dtype=np.int64).reshape(-1)
        order = np.argsort(-scores, kind="stable")
        return [Detection(float(segments[i, 0]), float(segments[i, 1]), int(labels[i]),
                          self.label_name(int(labels[i])), float(scores[i])) for i in order]

    def label_name(self, label: int) -> str:
        names = self.class_names
        return names[label] if names is not None and 0 <= label < len(names) else str(label)

    # ------------------------------------------------------------------ many videos
    def run(self, inputs: Iterable[Any], *, layout: str = "TC", fps: Optional[float] = None,
            feat_stride: Optional[float] = None, num_frames: Optional[float] = None, batch_size: int = 8,
            progress: bool = False) -> List[Dict[str, Any]]:
        """Per-video result dicts (``video_id``, ``segments`` (K, 2) s, ``scores``, ``labels``) in
        input order. ``inputs``: paths (feature files, HDF5 files, folders), arrays (ids
        ``video_0``, ...) or ``(video_id, array)`` pairs, or a mapping video id -> array; one
        path or one array alone is one input (not iterated). Videos are batched by length."""
        timing = self._timing(fps, feat_stride, num_frames)
        timing.require_fps("(every input)")  # files carry no frame rate: fail before reading any
        if isinstance(inputs, (str, os.PathLike, np.ndarray, torch.Tensor)):
            items: List[Any] = [inputs]  # a path's characters or an array's rows are not videos
        elif isinstance(inputs, Mapping):
            items = list(inputs.items())
        else:
            items = list(inputs)
        jobs = self._jobs(items, layout)
        videos = [lambda j=job: self.prepare(j[0], j[2](), timing) for job in jobs]  # read when batched
        return self.predict_stream(videos, [length for _, length, _ in jobs], batch_size, progress)

    def predict_stream(self, videos: Sequence[Union[Dict[str, Any], Callable[[], Dict[str, Any]]]],
                       lengths: Sequence[int], batch_size: int = 8, progress: bool = False) -> List[Dict[str, Any]]:
        """Results of video dicts (as :meth:`prepare` makes them, or a dataset's items), or of
        functions returning them (called only when their batch runs, so that one batch of
        features is in memory at a time), in their order; ``lengths`` (steps, from headers)
        decide the batches: similar lengths together."""
        if batch_size < 1:
            raise InferenceError(f"--batch-size must be >= 1, got {batch_size}", USAGE)
        video_list = list(videos)
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        results: List[Optional[Dict[str, Any]]] = [None] * len(lengths)
        bar = _progress(len(lengths), progress)
        for first in range(0, len(order), batch_size):
            chosen = order[first: first + batch_size]
            batch = [_materialise(video_list[i]) for i in chosen]
            for i, result in zip(chosen, self.predict(batch)):
                results[i] = result
            bar.update(len(chosen))
        bar.close()
        return results  # type: ignore[return-value]

    # ------------------------------------------------------------------ building blocks
    def prepare(self, video_id: str, feats: torch.Tensor, timing: Optional[FeatureTiming] = None,
                fps: Optional[float] = None, duration: Optional[float] = None) -> Dict[str, Any]:
        """A (C, T) tensor -> the video dict the model takes (resampled as the config says)."""
        timing = timing or self.timing
        rate = timing.require_fps(video_id, fps)
        feats, stride, frames, seconds = timing.resample(feats, rate, duration)
        return {"video_id": video_id, "feats": feats, "fps": rate, "duration": seconds,
                "feat_stride": stride, "feat_num_frames": frames}

    @torch.no_grad()
    def predict(self, videos: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Results of video dicts: short ones batched through the model, long ones by windows."""
        from .windows import can_window, windowed_detection

        results: List[Optional[Dict[str, Any]]] = [None] * len(videos)
        short = []
        for i, video in enumerate(videos):
            margin = self._window_margin() if video["feats"].shape[-1] > self.window_steps else None
            if margin is not None and can_window(self.model):
                window = max(self.window_steps, 4 * margin)
                results[i] = windowed_detection(self.model, video, window, margin, self._autocast)
            else:
                short.append(i)
        if short:
            batch = [dict(videos[i], feats=videos[i]["feats"].contiguous()) for i in short]  # (C, T) memory
            with self._autocast():
                for i, result in zip(short, self.model(batch)):
                    results[i] = result
        return results  # type: ignore[return-value]

    def _autocast(self) -> Any:
        if self.amp == "off":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=AMP_DTYPES[self.amp])

    def _window_margin(self) -> Optional[int]:
        """The receptive field rounded up to the window alignment (measured once); None when
        the model cannot run by windows (then long videos run full length)."""
        from .windows import alignment, can_window, measure_reach

        if not self._margin_known:
            self._margin_known = True
            if can_window(self.model):
                reach = measure_reach(self.model, self.input_dim, limit=max(self.window_steps, 4096))
                if reach is None:
                    warnings.warn("the model's receptive field is wider than a window: long videos run full "
                                  "length", stacklevel=3)
                else:
                    align = alignment(self.model)
                    self._margin = -(-reach // align) * align
        return self._margin

    def _timing(self, fps: Optional[float], feat_stride: Optional[float], num_frames: Optional[float]) -> FeatureTiming:
        if fps is None and feat_stride is None and num_frames is None:
            return self.timing
        return FeatureTiming.from_config(self.cfg, fps=fps if fps is not None else self.timing.fps,
                                         feat_stride=feat_stride, num_frames=num_frames)

    def _jobs(self, inputs: List[Any], layout: str) -> List[Tuple[str, int, Callable[[], torch.Tensor]]]:
        """(video id, length, reader of its (C, T) features) per video."""
        jobs: List[Tuple[str, int, Callable[[], torch.Tensor]]] = []
        for index, item in enumerate(inputs):
            if isinstance(item, (str, os.PathLike)):
                for entry in list_inputs([os.fspath(item)]):
                    jobs.append((entry.video_id, input_length(entry), self._reader(entry)))
                continue
            video_id, array = item if isinstance(item, tuple) else (f"video_{index}", item)
            feats = as_channels_first(array, layout, f"video {video_id}")
            check_features(feats.t().numpy(), self.input_dim, str(video_id), f"video {video_id} (array argument)")
            jobs.append((str(video_id), feats.shape[-1], lambda f=feats: f))
        twice = sorted(i for i, n in Counter(job[0] for job in jobs).items() if n > 1)
        if twice:
            raise InferenceError(f"video id(s) given twice: {', '.join(twice[:10])}; each video needs its own id",
                                 USAGE)
        return jobs

    def _reader(self, entry: FeatureInput) -> Callable[[], torch.Tensor]:
        return lambda: torch.from_numpy(read_features(entry, self.input_dim)).t()  # (T, C) -> (C, T)


def _materialise(video: Any) -> Dict[str, Any]:
    return video() if callable(video) else video


def _total_dim(input_dim: Any) -> int:
    return int(sum(input_dim)) if isinstance(input_dim, (list, tuple)) else int(input_dim)


def _check_amp(amp: str, device: torch.device) -> str:
    if amp not in ("off", "bf16", "fp16"):
        raise InferenceError(f"--amp {amp}: choose off, bf16 or fp16", USAGE)
    if amp == "fp16" and device.type != "cuda":
        raise InferenceError(f"--amp fp16 needs a CUDA GPU and this run is on {device}; use --amp bf16 or off", USAGE)
    return amp


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool) -> Any:
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="infer", unit="video", dynamic_ncols=True)
