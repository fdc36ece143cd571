"""Predictions from every accepted form, as flat validated arrays.

Accepted forms:
- the seed's dict of arrays ``{'video-id', 't-start', 't-end', 'label' (int ids), 'score'}``;
- the model's detections: a list of per-video dicts ``{video_id, segments (K, 2) seconds,
  scores (K,), labels (K,)}`` (tensors or arrays);
- a json path or loaded json: the official ActivityNet submission format ``{"results": {video:
  [{"label", "score", "segment"}]}}`` or the original release's ``{"database": {video:
  [{"segment", "label_id", "scores"}]}}``; labels by name or by id.
"""

from __future__ import annotations

import difflib
import numbers
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import EvaluationInputError
from .ground_truth import read_json_file


@dataclass(frozen=True)
class Predictions:
    """Predictions in input order (the order decides how the references break score ties)."""

    videos: List[str]  # distinct video ids
    pred_video: np.ndarray  # (N,) int64 index into videos
    pred_start: np.ndarray  # (N,) float64 seconds
    pred_end: np.ndarray  # (N,) float64 seconds
    pred_score: np.ndarray  # (N,) float64
    pred_label: np.ndarray  # (N,) int64 label id
    source: str = "predictions"
    warnings: Tuple[str, ...] = ()  # about the input, e.g. label names that contradict label ids

    def __len__(self) -> int:
        return int(self.pred_score.shape[0])


PredictionsLike = Union[Predictions, Mapping[str, Any], Sequence[Mapping[str, Any]], str, "os.PathLike[str]"]


def _to_numpy(values: Any) -> np.ndarray:
    if hasattr(values, "detach"):  # torch tensor, without importing torch
        values = values.detach().cpu()
        if values.is_floating_point() and values.element_size() < 4:
            values = values.float()  # numpy has no bfloat16; every narrower float widens exactly
        values = values.numpy()
    return np.asarray(values)


def _video_codes(video_per_prediction: Sequence[Any]) -> tuple:
    """(distinct video ids, (N,) index of each prediction's video)."""
    index = {key: i for i, key in enumerate(dict.fromkeys(video_per_prediction))}
    codes = np.fromiter(map(index.__getitem__, video_per_prediction), dtype=np.int64, count=len(video_per_prediction))
    return [str(key) for key in index], codes


def _float_column(values: Any, name: str, source: str) -> np.ndarray:
    try:
        array = _to_numpy(values).astype(np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise EvaluationInputError(f"{source}: '{name}' must be numbers") from None
    return array


def _label_column(values: Any, source: str, name: str = "label") -> np.ndarray:
    array = _to_numpy(values).reshape(-1)
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64)
    raise EvaluationInputError(f"{source}: '{name}' must hold integer class ids, got dtype {array.dtype}")


def from_arrays_dict(preds: Mapping[str, Any], source: str = "predictions") -> Predictions:
    """The seed's dict of arrays."""
    missing = [k for k in ("video-id", "t-start", "t-end", "label", "score") if k not in preds]
    if missing:
        raise EvaluationInputError(f"{source}: missing key(s) {missing}; expected 'video-id', 't-start', "
                                   "'t-end', 'label', 'score'")
    vids = preds["video-id"]
    vids = vids.tolist() if hasattr(vids, "tolist") else list(vids)
    videos, codes = _video_codes(vids)
    columns = {
        "start": _float_column(preds["t-start"], "t-start", source),
        "end": _float_column(preds["t-end"], "t-end", source),
        "score": _float_column(preds["score"], "score", source),
        "label": _label_column(preds["label"], source),
    }
    lengths = {k: len(v) for k, v in columns.items()}
    if any(n != len(codes) for n in lengths.values()):
        raise EvaluationInputError(f"{source}: columns differ in length: video-id {len(codes)}, {lengths}")
    return Predictions(videos, codes, columns["start"], columns["end"], columns["score"], columns["label"], source)


def from_detections(detections: Sequence[Mapping[str, Any]], source: str = "detections") -> Predictions:
    """The model's per-video detections ``{video_id, segments, scores, labels}``."""
    videos: List[str] = []
    segments, scores, labels, lengths = [], [], [], []
    for item in detections:
        if not isinstance(item, Mapping) or not {"video_id", "segments", "scores", "labels"} <= set(item):
            raise EvaluationInputError(
                f"{source}: each detection must be a dict with video_id, segments, scores, labels")
        vid = str(item["video_id"])
        segs = _to_numpy(item["segments"])
        if segs.size and (segs.ndim != 2 or segs.shape[1] != 2):
            raise EvaluationInputError(f"{source}: video '{vid}': segments must be (K, 2), got shape {segs.shape}")
        segs = segs.reshape(-1, 2)  # (K, 2)
        where = f"{source}: video '{vid}'"
        item_scores = _float_column(item["scores"], "scores", where)
        item_labels = _label_column(item["labels"], where, "labels")
        if not (segs.shape[0] == item_scores.shape[0] == item_labels.shape[0]):
            raise EvaluationInputError(
                f"{source}: video '{vid}': segments ({len(segs)}), scores ({len(item_scores)}) and labels "
                f"({len(item_labels)}) differ in length")
        videos.append(vid)
        segments.append(segs)
        scores.append(item_scores)
        labels.append(item_labels)
        lengths.append(segs.shape[0])
    if not videos:
        return _empty(source)
    seg = np.concatenate(segments).astype(np.float64)  # (N, 2)
    codes = np.repeat(np.arange(len(videos), dtype=np.int64), lengths)
    return Predictions(videos, codes, np.ascontiguousarray(seg[:, 0]), np.ascontiguousarray(seg[:, 1]),
                       np.concatenate(scores), np.concatenate(labels), source)


def _empty(source: str) -> Predictions:
    empty_f = np.zeros(0, dtype=np.float64)
    empty_i = np.zeros(0, dtype=np.int64)
    return Predictions([], empty_i, empty_f, empty_f.copy(), empty_f.copy(), empty_i.copy(), source)


def _json_label(event: Mapping[str, Any], label_to_id: Mapping[str, int], source: str, vid: str,
                contradictions: List[str]) -> int:
    """The prediction's label id. A label *name* wins over ``label_id`` (an id is easy to get from
    another class list, a name is not); a contradiction between them is recorded."""
    name_value, id_value = event.get("label"), event.get("label_id")
    if isinstance(name_value, str) and (name_value in label_to_id or not _is_integer_text(name_value)):
        label = _label_from_name(name_value, label_to_id, source, vid)
        if id_value is not None and _label_from_id(id_value, source, vid) != label:
            contradictions.append(f"video '{vid}': label '{name_value}' is id {label} in the ground truth, "
                                  f"label_id says {id_value}")
        return label
    value = id_value if id_value is not None else name_value
    if value is None:
        raise EvaluationInputError(f"{source}: video '{vid}': a prediction has no 'label' or 'label_id'")
    return _label_from_id(value, source, vid)


def _is_integer_text(text: str) -> bool:
    return text.strip().lstrip("-").isdigit()


def _label_from_id(value: Any, source: str, vid: str) -> int:
    if isinstance(value, (bool, np.bool_, list, tuple, dict)):
        raise EvaluationInputError(f"{source}: video '{vid}': label {value!r} is neither a name nor an id")
    if isinstance(value, str) and _is_integer_text(value):
        return int(value)
    if isinstance(value, numbers.Real):  # numpy scalars too (np.int64 is no `int`)
        if float(value).is_integer():
            return int(value)
        raise EvaluationInputError(f"{source}: video '{vid}': label id {value!r} is not an integer")
    raise EvaluationInputError(f"{source}: video '{vid}': label id {value!r} is not an integer")


def _label_from_name(name: str, label_to_id: Mapping[str, int], source: str, vid: str) -> int:
    if name in label_to_id:
        return int(label_to_id[name])
    close = difflib.get_close_matches(name, list(label_to_id), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise EvaluationInputError(
        f"{source}: video '{vid}': unknown label name '{name}' (not in the ground truth's "
        f"{len(label_to_id)} labels).{hint}")


def _json_number(event: Mapping[str, Any], keys: Sequence[str], source: str, vid: str) -> float:
    for key in keys:
        if key in event:
            try:
                return float(event[key])
            except (TypeError, ValueError):
                raise EvaluationInputError(f"{source}: video '{vid}': '{key}' must be a number, "
                                           f"got {event[key]!r}") from None
    raise EvaluationInputError(f"{source}: video '{vid}': a prediction has no {' or '.join(map(repr, keys))}")


def from_json(data: Any, label_to_id: Mapping[str, int], source: str = "prediction json") -> Predictions:
    """The official submission format (``results``) or the original release's (``database``)."""
    if not isinstance(data, Mapping):
        raise EvaluationInputError(f"{source}: expected a json object with a 'results' (official ActivityNet) "
                                   "or 'database' (original release) mapping")
    per_video = data.get("results", data.get("database"))
    if not isinstance(per_video, Mapping):
        raise EvaluationInputError(f"{source}: expected a 'results' (official ActivityNet) or 'database' "
                                   "(original release) mapping of video id -> list of predictions")
    videos: List[str] = []
    codes, starts, ends, scores, labels = [], [], [], [], []
    contradictions: List[str] = []
    for vid, events in per_video.items():
        if not isinstance(events, list):
            raise EvaluationInputError(f"{source}: video '{vid}': expected a list of predictions")
        code = len(videos)
        videos.append(str(vid))
        for event in events:
            if not isinstance(event, Mapping):
                raise EvaluationInputError(f"{source}: video '{vid}': each prediction must be a json object")
            segment = event.get("segment")
            if not isinstance(segment, (list, tuple, np.ndarray)) or len(segment) != 2:
                raise EvaluationInputError(
                    f"{source}: video '{vid}': 'segment' must be [start, end], got {segment!r}")
            try:
                start, end = float(segment[0]), float(segment[1])
            except (TypeError, ValueError):
                raise EvaluationInputError(f"{source}: video '{vid}': segment {segment!r} is not numeric") from None
            codes.append(code)
            starts.append(start)
            ends.append(end)
            scores.append(_json_number(event, ("score", "scores"), source, vid))
            labels.append(_json_label(event, label_to_id, source, vid, contradictions))
    notes = ((f"{source}: {len(contradictions)} prediction(s) have a label name that contradicts their "
              f"label_id; the names were used (e.g. {contradictions[0]})",) if contradictions else ())
    return Predictions(videos, np.asarray(codes, dtype=np.int64), np.asarray(starts, dtype=np.float64),
                       np.asarray(ends, dtype=np.float64), np.asarray(scores, dtype=np.float64),
                       np.asarray(labels, dtype=np.int64), source, notes)


def validate_predictions(preds: Predictions) -> None:
    """Reject NaN / infinite scores and segments, and segments that end before they start."""
    checks = (
        (~np.isfinite(preds.pred_score), "score is NaN or infinite"),
        (~(np.isfinite(preds.pred_start) & np.isfinite(preds.pred_end)), "segment is NaN or infinite"),
        (preds.pred_end < preds.pred_start, "segment ends before it starts"),
    )
    for bad, what in checks:
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            vid = preds.videos[int(preds.pred_video[first])]
            raise EvaluationInputError(
                f"{preds.source}: {int(bad.sum())} prediction(s) where the {what}; first in video '{vid}' "
                f"(segment [{preds.pred_start[first]}, {preds.pred_end[first]}], score {preds.pred_score[first]})")


def to_predictions(preds: PredictionsLike, label_to_id: Optional[Mapping[str, int]] = None) -> Predictions:
    """Any accepted form -> validated :class:`Predictions`."""
    label_to_id = label_to_id or {}
    if isinstance(preds, Predictions):
        result = preds
    elif isinstance(preds, (str, os.PathLike)):
        data = read_json_file(preds, "prediction")
        result = from_json(data, label_to_id, source=str(preds))
    elif isinstance(preds, Mapping) and "video-id" in preds:
        result = from_arrays_dict(preds)
    elif hasattr(preds, "columns") and "video-id" in list(preds.columns):  # a data frame, as the seed accepted
        result = from_arrays_dict({key: list(preds[key]) for key in preds.columns})
    elif isinstance(preds, Mapping):
        result = from_json(preds, label_to_id)
    elif isinstance(preds, (list, tuple)):
        result = from_detections(preds)
    else:
        raise EvaluationInputError(
            f"cannot read predictions of type {type(preds).__name__}: pass a dict of arrays ('video-id', "
            "'t-start', 't-end', 'label', 'score'), a list of per-video detections, or a json path")
    validate_predictions(result)
    return result
