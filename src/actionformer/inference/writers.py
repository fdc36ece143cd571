"""Writing inference results, chosen by the output file's extension and by what the results
hold: a registry of writers keyed by (kind, extension).

The kind comes from the keys of the per-video result dicts (``KIND_BY_KEY``): ``segments`` ->
``"segments"`` (detection models: ``.json`` in the ActivityNet results format that
``actionformer evaluate`` reads, ``.csv`` with ``video,start,end,label,score``); ``times`` ->
``"points"`` (spotting models: ``.json`` in the point results format that ``actionformer
evaluate --task spotting`` reads, ``.csv`` with ``video,time,label,score``). A new format is one
``register_writer(kind, ".ext", fn)``; ``fn(results, path, class_names)`` writes atomically.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from actionformer.atomic_files import atomic_write

from .errors import USAGE, InferenceError

Writer = Callable[[Sequence[Mapping[str, Any]], Path, Optional[Sequence[str]]], None]

KIND_BY_KEY: Dict[str, str] = {"segments": "segments", "times": "points"}
WRITERS: Dict[Tuple[str, str], Writer] = {}


def register_writer(kind: str, extension: str, writer: Writer) -> Writer:
    """Register ``writer`` for results of ``kind`` written to files ending in ``extension``."""
    key = (kind, extension.lower())
    if key in WRITERS:
        raise ValueError(f"a writer for {kind} results in {extension} files is already registered")
    WRITERS[key] = writer
    return writer


def detection_kind(results: Sequence[Mapping[str, Any]]) -> str:
    """The kind of the results (see ``KIND_BY_KEY``); every video must be of the same kind."""
    kinds = set()
    for result in results:
        found = [kind for key, kind in KIND_BY_KEY.items() if key in result]
        if not found:
            raise InferenceError(f"video {result.get('video_id')}: the model's result has none of the keys "
                                 f"{sorted(KIND_BY_KEY)} (keys: {sorted(result)})", USAGE)
        kinds.add(found[0])
    if len(kinds) > 1:
        raise InferenceError(f"the results mix kinds {sorted(kinds)}; write them to separate files", USAGE)
    return kinds.pop() if kinds else "segments"


def writer_for(kind: str, path: Path) -> Writer:
    """The writer of ``kind`` results for ``path``'s extension, or an error listing the choices."""
    extension = path.suffix.lower()
    writer = WRITERS.get((kind, extension))
    if writer is None:
        choices = sorted(ext for k, ext in WRITERS if k == kind)
        raise InferenceError(f"--out {path}: cannot write {kind} results as '{extension or path.name}'; "
                             f"use one of {', '.join(choices) or '(none registered)'}", USAGE)
    return writer


def check_output(path: Path, overwrite: bool) -> None:
    """An existing file is never replaced without ``overwrite``; its folder must be creatable."""
    if path.exists() and not overwrite:
        raise InferenceError(f"--out {path} exists; pass --overwrite to replace it", USAGE)
    if path.is_dir():
        raise InferenceError(f"--out {path} is a folder; give a file name (.json, .csv)", USAGE)
    from actionformer.atomic_files import writable_problem

    problem = writable_problem(path)
    if problem is not None:
        raise InferenceError(f"--out {path}: {problem}; choose a folder you can write to", USAGE)


def write_results(results: Sequence[Mapping[str, Any]], path: os.PathLike, class_names: Optional[Sequence[str]] = None,
                  overwrite: bool = False) -> Path:
    """Write per-video results to ``path`` with the writer its extension and their kind select."""
    path = Path(path)
    check_output(path, overwrite)
    writer = writer_for(detection_kind(results), path)
    try:
        writer(results, path, class_names)
    except OSError as exc:  # the folder changed since the check
        raise InferenceError(f"--out {path}: cannot write: {exc}", USAGE) from exc
    return path


def _names(class_names: Optional[Sequence[str]]) -> Dict[int, str]:
    return {i: str(n) for i, n in enumerate(class_names or ())}


def write_segments_json(results: Sequence[Mapping[str, Any]], path: Path, class_names: Optional[Sequence[str]]) -> None:
    """ActivityNet results format with label names and ids (``actionformer evaluate`` reads it)."""
    from actionformer.engine.results_io import write_results_json

    write_results_json([_plain(r) for r in results], path, list(class_names or ()))


def write_segments_csv(results: Sequence[Mapping[str, Any]], path: Path, class_names: Optional[Sequence[str]]) -> None:
    """``video,start,end,label,score``, one detection a row, highest score first per video."""
    names = _names(class_names)
    rows: List[List[Any]] = []
    for result in results:
        det = _plain(result)
        for i in np.argsort(-det["scores"], kind="stable"):
            label = int(det["labels"][i])
            rows.append([det["video_id"], round(float(det["segments"][i][0]), 4),
                         round(float(det["segments"][i][1]), 4), names.get(label, str(label)),
                         round(float(det["scores"][i]), 6)])
    with atomic_write(path) as handle:
        _csv_rows(handle, ["video", "start", "end", "label", "score"], rows)


def _csv_rows(handle: Any, header: List[str], rows: List[List[Any]]) -> None:
    out = csv.writer(handle)
    out.writerow(header)
    out.writerows(rows)


def _plain(result: Mapping[str, Any]) -> Dict[str, Any]:
    """Tensors -> NumPy arrays of the shapes the writers expect."""
    return {"video_id": str(result["video_id"]),
            "segments": np.asarray(result["segments"], dtype=np.float64).reshape(-1, 2),
            "scores": np.asarray(result["scores"], dtype=np.float64).reshape(-1),
            "labels": np.asarray(result["labels"], dtype=np.int64).reshape(-1)}


def _points(result: Mapping[str, Any]) -> Dict[str, Any]:
    return {"video_id": str(result["video_id"]),
            "times": np.asarray(result["times"], dtype=np.float64).reshape(-1),
            "scores": np.asarray(result["scores"], dtype=np.float64).reshape(-1),
            "labels": np.asarray(result["labels"], dtype=np.int64).reshape(-1)}


def write_points_json(results: Sequence[Mapping[str, Any]], path: Path, class_names: Optional[Sequence[str]]) -> None:
    """Spotting models: the point results json (``{"results": {video: [{time, label, score}]}}``)
    that ``actionformer evaluate --task spotting`` reads."""
    from actionformer.engine.results_io import write_results_json

    write_results_json([_points(r) for r in results], path, list(class_names or ()))


def write_points_csv(results: Sequence[Mapping[str, Any]], path: Path, class_names: Optional[Sequence[str]]) -> None:
    """Spotting models: ``video,time,label,score``, one event a row, highest score first per video."""
    from actionformer.engine.results_io import point_class_names

    points = [_points(r) for r in results]
    names = point_class_names(points, list(class_names or ()))
    rows = [[p["video_id"], round(float(p["times"][i]), 4), names[int(p["labels"][i])], round(float(p["scores"][i]), 6)]
            for p in points for i in np.argsort(-p["scores"], kind="stable")]
    with atomic_write(path) as handle:
        _csv_rows(handle, ["video", "time", "label", "score"], rows)


register_writer("segments", ".json", write_segments_json)
register_writer("segments", ".csv", write_segments_csv)
register_writer("points", ".json", write_points_json)
register_writer("points", ".csv", write_points_csv)
