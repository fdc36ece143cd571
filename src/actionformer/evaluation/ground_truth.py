"""Ground truth in the ActivityNet / original-release json format, as flat arrays.

The format: ``{"database": {video_id: {"subset", "duration", "fps", "annotations": [{"segment":
[t0, t1], "label": name, "label_id": int}]}}}``. The class of an annotation is its ``label_id``
when every annotation has one, else its index among the sorted label names (some with and
some without is an error). Like the original
release, duplicate instances (same class, both boundaries within 1e-3 s of an earlier kept
instance) and instances shorter than 1e-3 s are removed; this changes the recall denominator.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import EvaluationInputError

DUPLICATE_TOLERANCE = 1e-3

GroundTruthSource = Union[str, "os.PathLike[str]", Mapping[str, Any]]


@dataclass(frozen=True)
class GroundTruth:
    """Instances of the evaluated split, in database order (the order the references see)."""

    video_ids: List[str]  # every video of the split, annotated or not
    gt_video: np.ndarray  # (N,) int64 index into video_ids
    gt_start: np.ndarray  # (N,) float64 seconds
    gt_end: np.ndarray  # (N,) float64 seconds
    gt_label: np.ndarray  # (N,) int64 label id
    label_to_id: Dict[str, int]  # over the whole database, not only the split
    split: Optional[Tuple[str, ...]] = None
    source: str = "<ground truth>"
    num_removed: int = 0  # duplicate or too-short instances dropped
    durations: Optional[np.ndarray] = None  # (len(video_ids),) seconds, NaN where the file gives none
    id_to_label: Dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id_to_label", {i: n for n, i in self.label_to_id.items()})

    @property
    def class_ids(self) -> np.ndarray:
        """(C,) sorted label ids present in the split: the classes mAP averages over."""
        return np.unique(self.gt_label)

    def class_name(self, label_id: int) -> str:
        """The class's name, or its id as text when the file gives no name."""
        return self.id_to_label.get(int(label_id), str(int(label_id)))

    def __len__(self) -> int:
        return int(self.gt_label.shape[0])


def remove_duplicate_annotations(
    segments: Sequence[Tuple[float, float]], labels: Sequence[int], tol: float = DUPLICATE_TOLERANCE
) -> List[int]:
    """Indices of the instances the original release keeps, in order (``segments``: pairs or an
    (N, 2) array). The data loaders drop the same instances from training (``dedupe_annotations``).

    An instance is dropped when it is shorter than ``tol`` or when its class matches an earlier
    *kept* instance whose start and end are both within ``tol`` of its own. A segment whose length
    is not a number (a NaN boundary) is bad data and is dropped too, as the original's
    ``(e - s) >= tol`` test drops it.
    """
    kept: List[int] = []
    for i, ((start, end), label) in enumerate(zip(segments, labels)):
        if not (end - start) >= tol:
            continue
        duplicate = False
        for j in kept:
            if (abs(start - segments[j][0]) <= tol and abs(end - segments[j][1]) <= tol
                    and label == labels[j]):
                duplicate = True
                break
        if not duplicate:
            kept.append(i)
    return kept


def read_json_file(path: Union[str, "os.PathLike[str]"], what: str) -> Any:
    """json.load with a clear message for a missing, unreadable or malformed file."""
    if not os.path.isfile(path):
        raise EvaluationInputError(f"{what} file not found: {path}")
    try:
        with open(path, "r", encoding="utf8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise EvaluationInputError(f"{what} file {path} is not valid json: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationInputError(f"cannot read {what} file {path}: {exc}") from None


def _label_mapping(database: Mapping[str, Any], label_field: str, source: str) -> Tuple[Dict[str, int], bool]:
    """(name -> id over the whole database, whether ids come from ``label_field``)."""
    annotations = [(vid, ann) for vid, video in database.items()
                   for ann in (video.get("annotations") or [])]
    has_id = [isinstance(ann, Mapping) and label_field in ann for _, ann in annotations]
    use_ids = all(has_id)
    if any(has_id) and not use_ids:
        vid = annotations[has_id.index(False)][0]
        raise EvaluationInputError(
            f"{source}: video '{vid}' has an annotation with no '{label_field}' while others have one; "
            f"give every annotation a '{label_field}', or none (ids then follow the sorted label names)")
    if not use_ids:
        missing = [vid for vid, ann in annotations if not (isinstance(ann, Mapping) and "label" in ann)]
        if missing:
            raise EvaluationInputError(
                f"{source}: video '{missing[0]}' has an annotation with neither '{label_field}' nor 'label'")
        names = sorted({str(ann["label"]) for _, ann in annotations})
        return {name: i for i, name in enumerate(names)}, False
    mapping: Dict[str, int] = {}
    for vid, ann in annotations:
        label_id = _as_label_id(ann[label_field], source, vid, label_field)
        name = str(ann.get("label", label_id))
        if mapping.setdefault(name, label_id) != label_id:
            raise EvaluationInputError(
                f"{source}: label '{name}' has two ids ({mapping[name]} and {label_id}, video '{vid}')")
    return mapping, True


def _as_label_id(value: Any, source: str, vid: str, label_field: str) -> int:
    if isinstance(value, (list, tuple)):
        raise EvaluationInputError(
            f"{source}: video '{vid}': '{label_field}' is a list ({value}); composite labels are not "
            "supported, give each class one integer id")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise EvaluationInputError(
            f"{source}: video '{vid}': '{label_field}' must be an integer, got {value!r}") from None
    if not as_float.is_integer():
        raise EvaluationInputError(f"{source}: video '{vid}': '{label_field}' must be an integer, got {value!r}")
    return int(as_float)


def _normalize_split(split: Union[None, str, Sequence[str]]) -> Optional[Tuple[str, ...]]:
    if split is None:
        return None
    names = [split] if isinstance(split, str) else list(split)
    return tuple(str(name).lower() for name in names)


def _read_segment(ann: Mapping[str, Any], source: str, vid: str) -> Tuple[float, float]:
    segment = ann.get("segment") if isinstance(ann, Mapping) else None
    try:
        start, end = (float(x) for x in segment)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise EvaluationInputError(
            f"{source}: video '{vid}': annotation 'segment' must be [start, end] in seconds, got {segment!r}"
        ) from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise EvaluationInputError(f"{source}: video '{vid}': annotation segment {segment!r} is not finite")
    return start, end


def _in_split(video: Mapping[str, Any], wanted: Optional[Tuple[str, ...]], source: str, vid: str) -> bool:
    if wanted is None:
        return True
    subset = video.get("subset")
    if subset is None:
        raise EvaluationInputError(f"{source}: video '{vid}' has no 'subset' but split {list(wanted)} was asked for")
    return str(subset).lower() in wanted


def _video_instances(video: Mapping[str, Any], label_to_id: Mapping[str, int], use_ids: bool, label_field: str,
                     source: str, vid: str) -> Tuple[List[Tuple[float, float]], List[int]]:
    """(segments, label ids) of one video's annotations, in file order."""
    annotations = video.get("annotations") or []
    segments = [_read_segment(ann, source, vid) for ann in annotations]
    ids = [_as_label_id(ann[label_field], source, vid, label_field) if use_ids
           else label_to_id[str(ann["label"])] for ann in annotations]
    return segments, ids


def _duration(video: Mapping[str, Any]) -> float:
    """The video's duration in seconds, NaN when absent or not a positive number (it only feeds
    the check that predictions are in seconds)."""
    try:
        value = float(video.get("duration"))
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) and value > 0 else math.nan


def load_ground_truth(
    source: Union[GroundTruthSource, GroundTruth],
    split: Union[None, str, Sequence[str]] = None,
    label_field: str = "label_id",
    remove_duplicates: bool = True,
    source_name: Optional[str] = None,
) -> GroundTruth:
    """Read a ground-truth json path or an already-loaded dict; ``split``: subset name(s), any case.

    ``source_name`` names a loaded dict in error messages (e.g. the file it was read from).
    """
    if isinstance(source, GroundTruth):
        return source
    if isinstance(source, Mapping):
        data, name = source, source_name or "<ground-truth dict>"
    else:
        data, name = read_json_file(source, "ground-truth"), str(source)
    database = data.get("database") if isinstance(data, Mapping) else None
    if not isinstance(database, Mapping):
        raise EvaluationInputError(f"{name}: expected a json object with a 'database' mapping of videos")
    label_to_id, use_ids = _label_mapping(database, label_field, name)
    wanted = _normalize_split(split)

    video_ids: List[str] = []
    columns: Tuple[List[int], List[float], List[float], List[int]] = ([], [], [], [])
    removed = 0
    durations: List[float] = []
    for vid, video in database.items():
        if not isinstance(video, Mapping):
            raise EvaluationInputError(f"{name}: video '{vid}' must be a json object")
        if not _in_split(video, wanted, name, vid):
            continue
        segments, ids = _video_instances(video, label_to_id, use_ids, label_field, name, vid)
        keep = remove_duplicate_annotations(segments, ids) if remove_duplicates else range(len(ids))
        removed += len(ids) - len(keep)
        for i in keep:
            columns[0].append(len(video_ids))
            columns[1].append(segments[i][0])
            columns[2].append(segments[i][1])
            columns[3].append(ids[i])
        video_ids.append(str(vid))
        durations.append(_duration(video))
    gt_video, starts, ends, labels = columns
    if wanted is not None and not video_ids:
        subsets = sorted({str(v.get("subset")) for v in database.values() if isinstance(v, Mapping)})
        raise EvaluationInputError(
            f"{name}: no video in split {list(wanted)}; the subsets present are {subsets}")
    if not labels:
        raise EvaluationInputError(f"{name}: no ground-truth instance to evaluate against"
                                   + (f" in split {list(wanted)}" if wanted else ""))
    return GroundTruth(
        video_ids=video_ids,
        gt_video=np.asarray(gt_video, dtype=np.int64),
        gt_start=np.asarray(starts, dtype=np.float64),
        gt_end=np.asarray(ends, dtype=np.float64),
        gt_label=np.asarray(labels, dtype=np.int64),
        label_to_id=label_to_id,
        split=wanted,
        source=name,
        num_removed=removed,
        durations=np.asarray(durations, dtype=np.float64),
    )


def split_of_predicted_videos(database: Mapping[str, Any], predicted_videos: List[str],
                              notes: List[str]) -> Optional[List[str]]:
    """The split when --split is not given: all videos if the file has one subset, else the
    single subset the predicted videos belong to."""
    subsets = {str(v.get("subset")) for v in database.values() if isinstance(v, dict)}
    if len(subsets) <= 1:
        return None
    hit = {str(database[v].get("subset")) for v in predicted_videos if v in database}
    if len(hit) == 1:
        chosen = hit.pop()
        notes.append(f"note: scoring against subset '{chosen}', the one the predicted videos belong to "
                     "(set --split to choose)")
        return [chosen]
    raise EvaluationInputError(
        f"the ground truth holds subsets {sorted(subsets)} and the predictions cover "
        f"{sorted(hit) if hit else 'none of its videos'}; choose one with --split")
