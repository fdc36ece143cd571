"""Annotation files: the original's ActivityNet-style json, or CSV plus a video list.

json::

    {"database": {"<video>": {"subset": "training", "duration": 12.3, "fps": 30.0,
                              "annotations": [{"segment": [1.0, 2.5], "label": "jump",
                                               "label_id": 0}, ...]}}}

CSV (one row per action instance, header required)::

    video,start,end,label
    vid_001,1.0,2.5,jump

Point events (action spotting: a goal, a snap) have a time instead of a segment: in json
``{"time": 12.5, "label": "goal"}``, in CSV the columns ``video,time,label``. They are stored as
zero-length segments ``[time, time]``, so cropping and the data checks treat both kinds alike.

with a video list CSV ``video,duration,fps[,subset]`` (every video, including those without
actions). Parsing never raises on a bad entry: it records a :class:`Problem` naming the file,
the video and the field, so that ``check-data`` can list them all.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .report import ERROR, DataError, Problem


@dataclasses.dataclass
class VideoRecord:
    """One video of the annotation file, times in seconds, labels as names."""

    video_id: str
    subset: Optional[str]
    duration: Optional[float]
    fps: Optional[float]
    segments: np.ndarray  # (N, 2) float64, seconds
    labels: List[str]
    label_ids: List[Optional[int]]  # as written in the file (None when absent)
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict)
    # per instance: False where the event happened off screen (SoccerNet's "not shown"); None = all shown
    visible: Optional[List[bool]] = None
    # per instance: True where it was written as a point event (a time), not as a segment
    is_point: Optional[List[bool]] = None

    @property
    def num_instances(self) -> int:
        return int(self.segments.shape[0])


@dataclasses.dataclass
class AnnotationDB:
    """All videos of an annotation file, in file order, plus the problems met while parsing."""

    source: str
    videos: "OrderedDict[str, VideoRecord]"
    problems: List[Problem]


# -- json -------------------------------------------------------------------------------------
class _DuplicateKeys(dict):
    """A json object that remembers which of its keys appeared more than once."""

    duplicates: Tuple[str, ...] = ()


def _pairs_hook(pairs):
    obj = _DuplicateKeys()
    dups = []
    for key, value in pairs:
        if key in obj:
            dups.append(key)
        obj[key] = value
    obj.duplicates = tuple(dups)
    return obj


def _as_float(value: Any) -> Optional[float]:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out


def _json_segment(act: Any) -> Optional[Tuple[float, float]]:
    """[start, end] of a json annotation: its ``segment``, or ``[time, time]`` for a point event."""
    if not isinstance(act, dict):
        return None
    if "time" in act and "segment" not in act:
        time = _as_float(act["time"])
        return None if time is None else (time, time)
    seg = act.get("segment")
    if not isinstance(seg, (list, tuple)) or len(seg) != 2 or None in (_as_float(seg[0]), _as_float(seg[1])):
        return None
    return float(seg[0]), float(seg[1])


def _parse_json_annotations(vid: str, acts: Any, source: str, problems: List[Problem]):
    segments, labels, label_ids, is_point = [], [], [], []
    if not isinstance(acts, list):
        problems.append(Problem(ERROR, "annotations", f"expected a list, got {type(acts).__name__}", vid, source))
        return segments, labels, label_ids, is_point
    for i, act in enumerate(acts):
        field = f"annotations[{i}]"
        seg = _json_segment(act)
        if seg is None:
            found = {k: act.get(k) for k in ("segment", "time") if k in act} if isinstance(act, dict) else act
            problems.append(Problem(ERROR, field + ".segment", "expected [start, end] in seconds (\"segment\") "
                                    f"or a point time in seconds (\"time\"), got {found!r}", vid, source))
            continue
        if "label" not in act:
            problems.append(Problem(ERROR, field + ".label", "missing label", vid, source))
            continue
        label_id = act.get("label_id")
        segments.append(seg)
        labels.append(str(act["label"]))
        label_ids.append(int(label_id) if isinstance(label_id, (int, float)) else None)
        is_point.append("segment" not in act)
    return segments, labels, label_ids, is_point


def load_json_annotations(json_file: str) -> AnnotationDB:
    """Parse an ActivityNet-style json (``database`` -> video -> subset/duration/fps/annotations)."""
    try:
        with open(json_file, "r", encoding="utf-8") as fid:
            data = json.load(fid, object_pairs_hook=_pairs_hook)
    except FileNotFoundError:
        raise DataError([Problem(ERROR, "json_file", "annotation file not found", file=json_file)]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError([Problem(ERROR, "json_file", f"not valid json: {exc}", file=json_file)]) from None
    if not isinstance(data, dict) or not isinstance(data.get("database"), dict):
        raise DataError([Problem(ERROR, "database", "the json has no 'database' object of videos",
                                 file=json_file)])
    database = data["database"]
    problems: List[Problem] = [
        Problem(ERROR, "video id", "duplicate video id in the json (only the last entry is kept)", vid, json_file)
        for vid in getattr(database, "duplicates", ())
    ]
    videos: "OrderedDict[str, VideoRecord]" = OrderedDict()
    for vid, value in database.items():
        if not isinstance(value, dict):
            problems.append(Problem(ERROR, "entry", f"expected an object, got {type(value).__name__}", vid, json_file))
            continue
        segs, labels, label_ids, is_point = _parse_json_annotations(vid, value.get("annotations", []), json_file,
                                                                    problems)
        subset = value.get("subset")
        extra = {k: v for k, v in value.items() if k not in ("subset", "duration", "fps", "annotations")}
        videos[vid] = VideoRecord(
            video_id=vid,
            subset=str(subset) if subset not in (None, "") else None,
            duration=_as_float(value.get("duration")),
            fps=_as_float(value.get("fps")),
            segments=np.asarray(segs, dtype=np.float64).reshape(-1, 2),
            labels=labels,
            label_ids=label_ids,
            extra=extra,
            is_point=is_point,
        )
    return AnnotationDB(json_file, videos, problems)


# -- csv --------------------------------------------------------------------------------------
_COLUMN_ALIASES = {
    "video": ("video", "video_id", "video_name", "vid", "id"),
    "start": ("start", "t_start", "start_time", "begin"),
    "end": ("end", "t_end", "end_time", "stop"),
    "time": ("time", "timestamp", "t"),
    "label": ("label", "class", "class_name", "action"),
    "duration": ("duration", "video_duration"),
    "fps": ("fps", "frame_rate"),
    "subset": ("subset", "split"),
}


def _read_csv(path: str, required: Sequence[str], optional: Sequence[str] = ()) -> Tuple[List[Dict[str, str]], Dict[str, str]]:
    """Rows as dicts keyed by canonical column names; raises DataError on a bad header."""
    try:
        with open(path, "r", encoding="utf-8", newline="") as fid:
            reader = csv.DictReader(fid)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
                    for row in reader]  # extra cells (key None) are ignored
    except FileNotFoundError:
        raise DataError([Problem(ERROR, "file", "file not found", file=path)]) from None
    columns: Dict[str, str] = {}
    for canonical in list(required) + list(optional):
        found = [a for a in _COLUMN_ALIASES[canonical] if a in header]
        if found:
            columns[canonical] = found[0]
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataError([Problem(ERROR, "header", f"missing column(s) {missing}; found {header}. "
                                 f"Expected a header row like: {','.join(list(required) + list(optional))}",
                                 file=path)])
    return [{c: row.get(col, "") for c, col in columns.items()} for row in rows], columns


def load_csv_annotations(csv_file: str, video_list: Optional[str]) -> AnnotationDB:
    """Parse CSV annotations (video,start,end,label, or video,time,label for point events) and a
    video list (video,duration,fps[,subset])."""
    if not video_list:
        raise DataError([Problem(ERROR, "video_list", "CSV annotations need dataset.video_list: a CSV "
                                 "with columns video,duration,fps,subset listing every video", file=csv_file)])
    problems: List[Problem] = []
    videos: "OrderedDict[str, VideoRecord]" = OrderedDict()
    vrows, vcols = _read_csv(video_list, ("video", "duration", "fps"), ("subset",))
    if "subset" not in vcols:
        problems.append(Problem(ERROR, "subset", "the video list has no 'subset' column, so no video belongs "
                                "to a split; add one (e.g. training / validation)", file=video_list))
    for line, row in enumerate(vrows, start=2):
        vid = row["video"]
        where = f"{video_list}:{line}"
        if not vid:
            problems.append(Problem(ERROR, "video", "empty video id", file=where))
            continue
        if vid in videos:
            problems.append(Problem(ERROR, "video id", "duplicate video id in the video list", vid, where))
            continue
        duration, fps = _as_float(row["duration"]), _as_float(row["fps"])
        for name, value in (("duration", duration), ("fps", fps)):
            if value is None and row[name] != "":
                problems.append(Problem(ERROR, name, f"not a number: {row[name]!r}", vid, where))
        videos[vid] = VideoRecord(vid, row.get("subset") or None, duration, fps,
                                  np.zeros((0, 2)), [], [])
    per_video = _csv_instances(csv_file, videos, video_list, problems)
    for vid, acts in per_video.items():
        rec = videos[vid]
        rec.segments = np.asarray([(s, e) for s, e, _, _ in acts], dtype=np.float64).reshape(-1, 2)
        rec.labels = [lab for _, _, lab, _ in acts]
        rec.label_ids = [None] * len(acts)
        rec.is_point = [point for _, _, _, point in acts]
    return AnnotationDB(csv_file, videos, problems)


def _csv_has_time_column(path: str) -> bool:
    """Whether a CSV's header names a point-time column (and no start/end): point events."""
    try:
        with open(path, "r", encoding="utf-8", newline="") as fid:
            header = {h.strip().lower() for h in next(csv.reader(fid), [])}
    except FileNotFoundError:
        return False
    has = {c for c in ("start", "end", "time") if header & set(_COLUMN_ALIASES[c])}
    return "time" in has and not has & {"start", "end"}


def _csv_instances(csv_file: str, videos: Dict[str, VideoRecord], video_list: str,
                   problems: List[Problem]) -> Dict[str, List[Tuple[float, float, str, bool]]]:
    """(start, end, label, is point) per video of an annotation CSV: ``video,start,end,label`` rows, or
    ``video,time,label`` rows of point events (start = end = time)."""
    points = _csv_has_time_column(csv_file)
    columns = ("video", "time", "label") if points else ("video", "start", "end", "label")
    arows, _ = _read_csv(csv_file, columns)
    per_video: Dict[str, List[Tuple[float, float, str, bool]]] = OrderedDict()
    for line, row in enumerate(arows, start=2):
        vid, where = row["video"], f"{csv_file}:{line}"
        start, end = (row["time"], row["time"]) if points else (row["start"], row["end"])
        start_s, end_s = _as_float(start), _as_float(end)
        if start_s is None or end_s is None:
            what = f"time not a number: {start!r}" if points else f"start/end not numbers: {start!r}, {end!r}"
            problems.append(Problem(ERROR, "time" if points else "segment", what, vid or None, where))
            continue
        if not row["label"]:
            problems.append(Problem(ERROR, "label", "empty label", vid or None, where))
            continue
        if vid not in videos:
            problems.append(Problem(ERROR, "video", f"annotated video is not in the video list {video_list}",
                                    vid or None, where))
            continue
        per_video.setdefault(vid, []).append((start_s, end_s, row["label"], points))
    return per_video


def load_annotations(json_file: str, video_list: Optional[str] = None) -> AnnotationDB:
    """Dispatch on the extension: ``.csv`` -> CSV + video list, anything else -> json."""
    if str(json_file).lower().endswith(".csv"):
        return load_csv_annotations(str(json_file), video_list)
    return load_json_annotations(str(json_file))


# -- classes ----------------------------------------------------------------------------------
def load_class_list(path: str) -> List[str]:
    """Class names, one per line; the line order gives the label ids (0, 1, ...)."""
    try:
        with open(path, "r", encoding="utf-8") as fid:
            names = [line.strip() for line in fid.read().splitlines()]
    except FileNotFoundError:
        raise DataError([Problem(ERROR, "class_list", "class list file not found", file=path)]) from None
    while names and not names[-1]:
        names.pop()
    problems = [Problem(ERROR, "class_list", f"line {i + 1} is empty", file=path) for i, n in enumerate(names) if not n]
    seen = set()
    for i, n in enumerate(names):
        if n and n in seen:
            problems.append(Problem(ERROR, "class_list", f"class {n!r} listed twice (line {i + 1})", file=path))
        seen.add(n)
    if problems:
        raise DataError(problems, "bad class list")
    return names


def build_label_dict(db: AnnotationDB, class_list: Optional[str] = None) -> Tuple[Dict[str, int], List[Problem]]:
    """Class name -> label id.

    From ``class_list`` when given (line order); else from the annotations' ``label_id`` when
    every instance has one (the original's rule); else the sorted unique label names.
    Inconsistent ids (one name with two ids, or two names sharing an id) are errors.
    """
    if class_list:
        return {name: i for i, name in enumerate(load_class_list(class_list))}, []
    pairs = [(lab, lid) for rec in db.videos.values() for lab, lid in zip(rec.labels, rec.label_ids)]
    if not pairs or any(lid is None for _, lid in pairs):
        return {name: i for i, name in enumerate(sorted({lab for lab, _ in pairs}))}, []
    label_dict: Dict[str, int] = {}
    problems: List[Problem] = []
    for lab, lid in pairs:
        if label_dict.setdefault(lab, lid) != lid:
            msg = f"label {lab!r} has label_id {label_dict[lab]} and {lid}"
            problems.append(Problem(ERROR, "label_id", msg, file=db.source))
    by_id: Dict[int, str] = {}
    for lab, lid in label_dict.items():
        if by_id.setdefault(lid, lab) != lab:
            problems.append(Problem(ERROR, "label_id", f"labels {by_id[lid]!r} and {lab!r} share label_id {lid}",
                                    file=db.source))
    return label_dict, _dedupe_problems(problems)


def _dedupe_problems(problems: List[Problem]) -> List[Problem]:
    out, seen = [], set()
    for p in problems:
        if p.message not in seen:
            seen.add(p.message)
            out.append(p)
    return out


def is_finite(x: Optional[float]) -> bool:
    return x is not None and math.isfinite(x)
