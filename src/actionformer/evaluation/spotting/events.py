"""Point events and point predictions as flat validated arrays, from the in-memory forms.

Ground truth (the contract with the datasets' ``to_spotting_ground_truth()``)::

    {"classes": [name, ...],
     "videos": {video_id: {"times": (N,) seconds, "labels": (N,) int, "visible": (N,) bool}}}

Predictions (the model's output): a list of ``{"video_id", "times" (N,) seconds, "scores" (N,)
in [0, 1], "labels" (N,) int}`` (numpy arrays or tensors). Both keep their input order: the
SoccerNet metric keeps the *last* prediction of a class written on a grid frame, as its
reference does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from ..errors import EvaluationInputError


@dataclass(frozen=True)
class SpottingEvents:
    """Ground-truth point events of every video (videos without events included)."""

    classes: List[str]
    videos: List[str]  # every scored video, in order
    video: np.ndarray  # (N,) int64 index into videos
    time: np.ndarray  # (N,) float64 seconds
    label: np.ndarray  # (N,) int64 index into classes
    visible: np.ndarray  # (N,) bool; False = "not shown" (SoccerNet's unshown events)

    def __len__(self) -> int:
        return int(self.time.shape[0])


@dataclass(frozen=True)
class SpottingPredictions:
    """Predictions of the scored videos, in input order."""

    video: np.ndarray  # (N,) int64 index into the ground truth's videos
    time: np.ndarray  # (N,) float64 seconds
    label: np.ndarray  # (N,) int64
    score: np.ndarray  # (N,) float64
    warnings: Tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.score.shape[0])


def as_numpy(values: Any) -> np.ndarray:
    """A tensor (any device, any float width) or a sequence as a numpy array, without importing torch."""
    if hasattr(values, "detach"):
        values = values.detach().cpu()
        if values.is_floating_point() and values.element_size() < 4:
            values = values.float()  # numpy has no bfloat16
        values = values.numpy()
    return np.asarray(values)


def _column(values: Any, dtype: Any, what: str, length: int = -1) -> np.ndarray:
    try:
        array = as_numpy(values).astype(dtype, copy=False).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise EvaluationInputError(f"{what}: expected numbers ({exc})") from None
    if length >= 0 and array.shape[0] != length:
        raise EvaluationInputError(f"{what}: holds {array.shape[0]} values, the times hold {length}")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise EvaluationInputError(f"{what}: holds NaN or infinite values")
    return array


def events_from_dict(ground_truth: Mapping[str, Any], source: str = "ground truth") -> SpottingEvents:
    """Validate the in-memory ground truth; every problem names the video and the field."""
    if not isinstance(ground_truth, Mapping) or "classes" not in ground_truth or "videos" not in ground_truth:
        raise EvaluationInputError(f"{source}: expected a mapping with 'classes' and 'videos'")
    classes = [str(c) for c in ground_truth["classes"]]
    if not classes or len(set(classes)) != len(classes):
        raise EvaluationInputError(f"{source}: 'classes' must be a non-empty list of distinct names, got {classes}")
    videos = [str(v) for v in ground_truth["videos"]]
    parts: Dict[str, List[np.ndarray]] = {"video": [], "time": [], "label": [], "visible": []}
    for index, (vid, entry) in enumerate(ground_truth["videos"].items()):
        where = f"{source}, video '{vid}'"
        times = _column(entry.get("times", []), np.float64, f"{where}, field 'times'")
        labels = _column(entry.get("labels", []), np.int64, f"{where}, field 'labels'", len(times))
        visible = entry.get("visible")
        visible = (np.ones(len(times), dtype=bool) if visible is None
                   else _column(visible, bool, f"{where}, field 'visible'", len(times)))
        if np.any(times < 0):
            raise EvaluationInputError(f"{where}, field 'times': negative event time {times.min()} s")
        bad = (labels < 0) | (labels >= len(classes))
        if np.any(bad):
            raise EvaluationInputError(f"{where}, field 'labels': label id {labels[bad][0]} is not one of "
                                       f"the {len(classes)} classes")
        parts["video"].append(np.full(len(times), index, dtype=np.int64))
        parts["time"].append(times)
        parts["label"].append(labels)
        parts["visible"].append(visible)
    joined = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in parts.items()}
    return SpottingEvents(classes, videos, joined["video"].astype(np.int64), joined["time"].astype(np.float64),
                          joined["label"].astype(np.int64), joined["visible"].astype(bool))


def predictions_from_list(detections: Sequence[Mapping[str, Any]], events: SpottingEvents,
                          source: str = "detections") -> SpottingPredictions:
    """The model's per-video detections, restricted to the ground truth's videos (the others are
    counted in a warning, as are predictions at negative times, which are dropped)."""
    index = {vid: i for i, vid in enumerate(events.videos)}
    parts: Dict[str, List[np.ndarray]] = {"video": [], "time": [], "label": [], "score": []}
    unknown: List[str] = []
    for entry in detections:
        if not isinstance(entry, Mapping) or "video_id" not in entry:
            raise EvaluationInputError(f"{source}: every entry must be a dict with 'video_id', 'times', "
                                       "'scores' and 'labels'")
        vid = str(entry["video_id"])
        where = f"{source}, video '{vid}'"
        missing = [k for k in ("times", "scores", "labels") if k not in entry]
        if missing:
            raise EvaluationInputError(f"{where}: missing field(s) {missing} (a spotting model returns "
                                       "'times' in seconds, 'scores' and 'labels')")
        times = _column(entry["times"], np.float64, f"{where}, field 'times'")
        scores = _column(entry["scores"], np.float64, f"{where}, field 'scores'", len(times))
        labels = _column(entry["labels"], np.int64, f"{where}, field 'labels'", len(times))
        bad = (labels < 0) | (labels >= len(events.classes))
        if np.any(bad):
            raise EvaluationInputError(f"{where}, field 'labels': label id {labels[bad][0]} is not one of "
                                       f"the {len(events.classes)} classes")
        if vid not in index:
            unknown.append(vid)
            continue
        parts["video"].append(np.full(len(times), index[vid], dtype=np.int64))
        parts["time"].append(times)
        parts["label"].append(labels)
        parts["score"].append(scores)
    joined = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in parts.items()}
    warnings: List[str] = []
    if unknown:
        warnings.append(f"{len(unknown)} predicted video(s) are not in the ground truth and were ignored "
                        f"(e.g. '{unknown[0]}')")
    keep = joined["time"] >= 0
    if not np.all(keep):
        warnings.append(f"{int((~keep).sum())} prediction(s) at negative times were dropped")
    return SpottingPredictions(joined["video"].astype(np.int64)[keep], joined["time"].astype(np.float64)[keep],
                               joined["label"].astype(np.int64)[keep], joined["score"].astype(np.float64)[keep],
                               tuple(warnings))
