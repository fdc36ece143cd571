"""Detections and metrics as JSON (never pickle).

Detections use the ActivityNet submission layout, plus the numeric label id:
``{"version": ..., "results": {video_id: [{"segment": [t0, t1], "label": name,
"label_id": id, "score": s}, ...]}, "external_data": {}}`` with times in seconds. Point events
(spotting results, ``times`` instead of ``segments``) use the spotting evaluator's point layout.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

import numpy as np

from actionformer.atomic_files import atomic_write

FORMAT_VERSION = "actionformer-detections-1"


def detections_to_json_dict(detections: List[Dict[str, Any]],
                            label_names: Optional[Mapping[int, str]] = None) -> Dict[str, Any]:
    results: Dict[str, List[Dict[str, Any]]] = {}
    for det in detections:
        rows = results.setdefault(str(det["video_id"]), [])
        order = np.argsort(-np.asarray(det["scores"]), kind="stable")
        for i in order:
            label_id = int(det["labels"][i])
            rows.append({
                "segment": [round(float(det["segments"][i][0]), 4), round(float(det["segments"][i][1]), 4)],
                "label": (label_names or {}).get(label_id, str(label_id)),
                "label_id": label_id,
                "score": round(float(det["scores"][i]), 6),
            })
    return {"version": FORMAT_VERSION, "results": results, "external_data": {}}


def write_json_atomic(obj: Any, path: Union[str, os.PathLike], indent: Optional[int] = 1) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        json.dump(obj, handle, indent=indent, allow_nan=False, default=_json_default)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_detections_json(detections: List[Dict[str, Any]], path: Union[str, os.PathLike],
                          label_names: Optional[Mapping[int, str]] = None) -> Path:
    return write_json_atomic(detections_to_json_dict(detections, label_names), path, indent=None)


def holds_points(results: List[Mapping[str, Any]]) -> bool:
    """Whether results are point events (``times``) rather than segments."""
    return any("times" in r for r in results)


def point_class_names(results: List[Mapping[str, Any]], class_names: Optional[List[str]] = None) -> List[str]:
    """Class names by label id for point results: the known names, then ids as text for labels
    past them (a point file names every label)."""
    names = [str(n) for n in class_names or ()]
    top = max((int(np.max(r["labels"])) for r in results if len(r["labels"])), default=-1)
    return names + [str(i) for i in range(len(names), top + 1)]


def write_results_json(results: List[Dict[str, Any]], path: Union[str, os.PathLike],
                       class_names: Optional[List[str]] = None) -> None:
    """Per-video results as JSON, by what they hold: segments in the detection layout above,
    point events (``times``) in the spotting evaluator's point layout; ``class_names`` by label
    id (ids as names where missing). A run's own output: an earlier file is replaced."""
    if holds_points(results):
        from actionformer.evaluation.spotting import write_point_predictions

        write_point_predictions(path, results, point_class_names(results, class_names), overwrite=True)
        return
    write_detections_json(results, path, dict(enumerate(class_names or ())))
