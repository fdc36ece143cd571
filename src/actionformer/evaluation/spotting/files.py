"""Spotting files: ours (json) and SoccerNet's (a folder per game), read and written.

Our point ground truth: ``{"database": {video: {"subset", "duration", "annotations": [{"time": s,
"label": name, "visibility": "visible" | "not shown" (optional)}]}}}``; an annotation with
``"segment": [a, b]`` instead of ``"time"`` stands for its centre. Our point predictions:
``{"results": {video: [{"time": s, "label": name, "score": p}]}}``.

A path that is a folder is read as the SoccerNet layout (see ``soccernet.py``).
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import EvaluationInputError
from ..ground_truth import read_json_file
from . import soccernet
from .events import as_numpy

PathLike = Union[str, "os.PathLike[str]"]


class LoadedPredictions(list):
    """The detections read from a file (a list of per-video dicts) and warnings about the file."""

    def __init__(self, detections: Sequence[Dict[str, Any]], warnings: Sequence[str] = ()) -> None:
        super().__init__(detections)
        self.warnings = list(warnings)


def _event_time(ann: Mapping[str, Any], where: str) -> float:
    """``time``, else the centre of ``segment`` (the seed's point data has start = end)."""
    try:
        if "time" in ann:
            time = float(ann["time"])
        else:
            start, end = ann["segment"]
            time = (float(start) + float(end)) / 2
    except (KeyError, TypeError, ValueError):
        raise EvaluationInputError(f"{where}: needs 'time' (seconds) or 'segment' [start, end]") from None
    if not np.isfinite(time):
        raise EvaluationInputError(f"{where}: the time must be finite (seconds), got {time}")
    return time


def _classes_of(database: Mapping[str, Any]) -> List[str]:
    """Classes ordered by ``label_id`` when every annotation has one, else by name."""
    by_id: Dict[int, str] = {}
    names = set()
    has_ids = True
    for video in database.values():
        for ann in (video.get("annotations") or []) if isinstance(video, Mapping) else []:
            names.add(str(ann.get("label")))
            if "label_id" in ann:
                by_id.setdefault(int(ann["label_id"]), str(ann.get("label")))
            else:
                has_ids = False
    if has_ids and by_id and len(by_id) == len(names):
        return [by_id[i] for i in sorted(by_id)]
    return sorted(names)


def point_ground_truth(data: Any, source: str, classes: Optional[Sequence[str]] = None,
                       split: Optional[Sequence[str]] = None) -> Tuple[Dict[str, Any], List[str]]:
    """Our point json (loaded) -> the in-memory ground truth; ``split``: keep these subsets only."""
    database = data.get("database") if isinstance(data, Mapping) else None
    if not isinstance(database, Mapping):
        raise EvaluationInputError(f"{source}: expected a json object with a 'database' mapping")
    wanted = {s.lower() for s in split} if split else None
    classes = list(classes) if classes is not None else _classes_of(database)
    index = {name: i for i, name in enumerate(classes)}
    videos: Dict[str, Any] = {}
    skipped = 0
    for vid, video in database.items():
        if not isinstance(video, Mapping):
            raise EvaluationInputError(f"{source}, video '{vid}': expected an object with 'annotations'")
        if wanted is not None and str(video.get("subset", "")).lower() not in wanted:
            continue
        times, labels, visible = [], [], []
        for number, ann in enumerate(video.get("annotations") or []):
            where = f"{source}, video '{vid}', annotation {number}"
            if not isinstance(ann, Mapping) or str(ann.get("label")) not in index:
                skipped += 1
                continue
            times.append(_event_time(ann, where))
            labels.append(index[str(ann["label"])])
            visible.append(ann.get("visibility", "visible") != "not shown")
        videos[str(vid)] = {"times": np.array(times, dtype=np.float64), "labels": np.array(labels, dtype=np.int64),
                            "visible": np.array(visible, dtype=bool)}
    if not videos:
        raise EvaluationInputError(f"{source}: no video in subset(s) {sorted(wanted or [])}")
    warnings = [f"{skipped} annotation(s) with a label not among the classes were skipped"] if skipped else []
    return {"classes": classes, "videos": videos}, warnings


def point_predictions(data: Any, source: str, classes: Sequence[str]) -> LoadedPredictions:
    """Our point prediction json (loaded) -> detections (file order kept)."""
    results = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(results, Mapping):
        raise EvaluationInputError(f"{source}: expected a json object with a 'results' mapping "
                                   "({video: [{time, label, score}]})")
    index = {name: i for i, name in enumerate(classes)}
    detections, unknown = [], 0
    for vid, preds in results.items():
        times, labels, scores = [], [], []
        for number, pred in enumerate(preds or []):
            where = f"{source}, video '{vid}', prediction {number}"
            if not isinstance(pred, Mapping) or "score" not in pred:
                raise EvaluationInputError(f"{where}: expected an object with 'time', 'label', 'score'")
            if str(pred.get("label")) not in index:
                unknown += 1
                continue
            times.append(_event_time(pred, where))
            labels.append(index[str(pred["label"])])
            try:
                scores.append(float(pred["score"]))
            except (TypeError, ValueError):
                raise EvaluationInputError(f"{where}: 'score' must be a number, got {pred['score']!r}") from None
            if not np.isfinite(scores[-1]):
                raise EvaluationInputError(f"{where}: 'score' must be a finite number, got {pred['score']!r}")
        detections.append({"video_id": str(vid), "times": np.array(times, dtype=np.float64),
                           "labels": np.array(labels, dtype=np.int64), "scores": np.array(scores, dtype=np.float64)})
    warnings = [f"{unknown} prediction(s) with a label not among the classes were ignored"] if unknown else []
    return LoadedPredictions(detections, warnings)


def load_spotting_ground_truth(path_or_root: PathLike, classes: Optional[Sequence[str]] = None,
                               split: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Our point json, or a SoccerNet labels root (a folder): the in-memory ground truth
    ``{"classes", "videos"}``, with ``"warnings"`` (events skipped) added."""
    path = os.fspath(path_or_root)
    if os.path.isdir(path):
        ground_truth, warnings = soccernet.read_labels(path, classes)
    else:
        ground_truth, warnings = point_ground_truth(read_json_file(path, "ground-truth"), path, classes, split)
    ground_truth["warnings"] = warnings
    return ground_truth


def load_spotting_predictions(path_or_root: PathLike, classes: Sequence[str]) -> LoadedPredictions:
    """Our point prediction json, or a SoccerNet predictions root (``<game>/results_spotting.json``)."""
    path = os.fspath(path_or_root)
    if os.path.isdir(path):
        detections, warnings = soccernet.read_predictions(path, classes)
        return LoadedPredictions(detections, warnings)
    return point_predictions(read_json_file(path, "prediction"), path, classes)


def _refuse_existing(paths: Sequence[str], overwrite: bool) -> None:
    existing = [p for p in paths if os.path.exists(p)]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists ({len(existing)} file(s) would be replaced); pass "
                              "overwrite=True (--overwrite) to replace them")


def write_point_predictions(path: PathLike, detections: Sequence[Mapping[str, Any]], classes: Sequence[str],
                            overwrite: bool = False) -> str:
    """Our point prediction json; each video's predictions by ascending score (the SoccerNet metric
    keeps the last one written on a grid frame, so the best one counts)."""
    path = os.fspath(path)
    _refuse_existing([path], overwrite)
    results: Dict[str, List[Dict[str, Any]]] = {}
    for entry in detections:
        times = as_numpy(entry["times"]).astype(np.float64).reshape(-1)
        labels = as_numpy(entry["labels"]).astype(np.int64).reshape(-1)
        scores = as_numpy(entry["scores"]).astype(np.float64).reshape(-1)
        order = np.argsort(scores, kind="stable")
        results[str(entry["video_id"])] = [{"time": float(times[i]), "label": classes[int(labels[i])],
                                            "score": float(scores[i])} for i in order]
    soccernet.write_json(path, {"results": results})
    return path


def write_soccernet_predictions(root: PathLike, detections: Sequence[Mapping[str, Any]], classes: Sequence[str],
                                overwrite: bool = False) -> List[str]:
    """``<root>/<game>/results_spotting.json`` per game (video ids ``<game>/1``, ``<game>/2``), the
    files SoccerNet's own evaluator and challenge server read. Returns the paths written."""
    root = os.fspath(root)
    files = soccernet.soccernet_files(detections, classes)
    paths = {game: os.path.join(root, *game.split("/"), soccernet.PREDICTION_FILE) for game in files}
    _refuse_existing(list(paths.values()), overwrite)
    for game, payload in files.items():
        soccernet.write_json(paths[game], payload)
    return sorted(paths.values())
