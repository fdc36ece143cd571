"""SoccerNet-v2's folder layout: ``<league>/<season>/<game>/Labels-v2.json`` for the ground truth,
``<game>/results_spotting.json`` for predictions. Each half of a game is one video,
``<game>/1`` and ``<game>/2`` (``<game>`` relative to the root, with ``/``).

Times follow SoccerNet's tools: ``position`` in milliseconds (``int(position)``, as the reference
reads it), else the ``gameTime`` "half - mm:ss" at second precision.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ...atomic_files import atomic_write
from ..errors import EvaluationInputError
from ..ground_truth import read_json_file

LABEL_FILE = "Labels-v2.json"
PREDICTION_FILE = "results_spotting.json"

# SoccerNet-v2's 17 classes, in the order of its EVENT_DICTIONARY_V2 (label id = index)
SOCCERNET_V2_CLASSES = [
    "Penalty", "Kick-off", "Goal", "Substitution", "Offside", "Shots on target", "Shots off target",
    "Clearance", "Ball out of play", "Throw-in", "Foul", "Indirect free-kick", "Direct free-kick",
    "Corner", "Yellow card", "Red card", "Yellow->red card",
]


def find_games(root: str, file_name: str) -> List[str]:
    """Game folders (relative to ``root``, ``/``-separated, sorted) holding ``file_name``."""
    games = []
    for folder, _, files in os.walk(root):
        if file_name in files:
            games.append(os.path.relpath(folder, root).replace(os.sep, "/"))
    return sorted(games)


def split_video_id(video_id: str, source: str) -> Tuple[str, int]:
    """``<game>/<half>`` -> (game, half)."""
    game, _, half = str(video_id).rpartition("/")
    if not game or half not in ("1", "2"):
        raise EvaluationInputError(f"{source}: video '{video_id}' is not a SoccerNet half; the SoccerNet "
                                   "layout needs video ids '<game>/1' or '<game>/2'")
    return game, int(half)


def _milliseconds(entry: Mapping[str, Any], where: str) -> int:
    """``position`` (ms) as the reference reads it, else the ``gameTime`` seconds."""
    if "position" in entry:
        try:
            return int(float(entry["position"])) if isinstance(entry["position"], str) else int(entry["position"])
        except (TypeError, ValueError):
            raise EvaluationInputError(f"{where}: 'position' must be milliseconds, got {entry['position']!r}") from None
    clock = _game_time(entry, where)[1]
    return clock * 1000


def _game_time(entry: Mapping[str, Any], where: str) -> Tuple[int, int]:
    """``"2 - 43:07"`` -> (half 2, 2587 s)."""
    text = entry.get("gameTime")
    try:
        half, clock = str(text).split(" - ")
        minutes, seconds = clock.split(":")
        return int(half), int(minutes) * 60 + int(seconds)
    except (AttributeError, ValueError):
        raise EvaluationInputError(f"{where}: 'gameTime' must read 'half - mm:ss', got {text!r}") from None


def _json_list(path: str, what: str, key: str) -> List[Any]:
    """The ``key`` list of the json object in ``path`` (``what`` names the file in errors)."""
    data = read_json_file(path, what)
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        article = "an" if key[0] in "aeiou" else "a"
        raise EvaluationInputError(f"{path}: expected a json object with {article} '{key}' list")
    return entries


def read_labels(root: str, classes: Optional[Sequence[str]] = None,
                label_file: str = LABEL_FILE) -> Tuple[Dict[str, Any], List[str]]:
    """The in-memory ground truth of every game under ``root`` and warnings (events skipped)."""
    classes = list(classes) if classes is not None else list(SOCCERNET_V2_CLASSES)
    index = {name: i for i, name in enumerate(classes)}
    games = find_games(root, label_file)
    if not games:
        raise EvaluationInputError(f"{root}: no '{label_file}' in any folder below it (expected the SoccerNet "
                                   "layout <league>/<season>/<game>/Labels-v2.json)")
    videos: Dict[str, Any] = {}
    unknown: Dict[str, int] = {}
    bad_halves = 0
    for game in games:
        path = os.path.join(root, game, label_file)
        annotations = _json_list(path, "SoccerNet labels", "annotations")
        rows: Dict[int, List[Tuple[float, int, bool]]] = {1: [], 2: []}
        for number, ann in enumerate(annotations):
            where = f"{path}, annotation {number}"
            if not isinstance(ann, Mapping) or "label" not in ann:
                raise EvaluationInputError(f"{where}: expected an object with 'gameTime', 'label', 'position'")
            half = _game_time(ann, where)[0]
            if ann["label"] not in index:
                unknown[str(ann["label"])] = unknown.get(str(ann["label"]), 0) + 1
                continue
            if half not in rows:
                bad_halves += 1
                continue
            ms = _milliseconds(ann, where)
            if ms < 0:
                raise EvaluationInputError(f"{where}: negative 'position' {ms}")
            rows[half].append((ms / 1000, index[ann["label"]], ann.get("visibility") != "not shown"))
        for half, events in rows.items():
            videos[f"{game}/{half}"] = {
                "times": np.array([e[0] for e in events], dtype=np.float64),
                "labels": np.array([e[1] for e in events], dtype=np.int64),
                "visible": np.array([e[2] for e in events], dtype=bool)}
    warnings = [f"{count} event(s) of label '{name}', not one of the classes, were skipped (as SoccerNet's "
                f"evaluator does)" for name, count in sorted(unknown.items())]
    if bad_halves:
        warnings.append(f"{bad_halves} event(s) outside halves 1 and 2 were skipped (as SoccerNet's evaluator does)")
    return {"classes": classes, "videos": videos}, warnings


def read_predictions(root: str, classes: Sequence[str],
                     prediction_file: str = PREDICTION_FILE) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Detections (our in-memory form, file order kept) of every ``<game>/results_spotting.json``."""
    index = {name: i for i, name in enumerate(classes)}
    games = find_games(root, prediction_file)
    if not games:
        raise EvaluationInputError(f"{root}: no '{prediction_file}' in any folder below it (expected "
                                   "<game>/results_spotting.json per game)")
    detections: List[Dict[str, Any]] = []
    unknown: Dict[str, int] = {}
    bad_halves = 0
    for game in games:
        path = os.path.join(root, game, prediction_file)
        entries = _json_list(path, "SoccerNet predictions", "predictions")
        rows: Dict[int, List[Tuple[float, int, float]]] = {1: [], 2: []}
        for number, pred in enumerate(entries):
            where = f"{path}, prediction {number}"
            if not isinstance(pred, Mapping) or not {"label", "half", "confidence"} <= set(pred):
                raise EvaluationInputError(f"{where}: expected an object with 'label', 'position', 'half', "
                                           "'confidence'")
            if pred["label"] not in index:
                unknown[str(pred["label"])] = unknown.get(str(pred["label"]), 0) + 1
                continue
            try:
                half, score = int(pred["half"]), float(pred["confidence"])
            except (TypeError, ValueError):
                raise EvaluationInputError(f"{where}: 'half' must be 1 or 2 and 'confidence' a number") from None
            if not np.isfinite(score):
                raise EvaluationInputError(f"{where}: 'confidence' must be a finite number, got {pred['confidence']!r}")
            if half not in rows:
                bad_halves += 1
                continue
            rows[half].append((_milliseconds(pred, where) / 1000, index[pred["label"]], score))
        for half, preds in rows.items():
            detections.append({"video_id": f"{game}/{half}",
                               "times": np.array([p[0] for p in preds], dtype=np.float64),
                               "labels": np.array([p[1] for p in preds], dtype=np.int64),
                               "scores": np.array([p[2] for p in preds], dtype=np.float64)})
    warnings = [f"{count} prediction(s) of label '{name}', not one of the classes, were ignored"
                for name, count in sorted(unknown.items())]
    if bad_halves:
        warnings.append(f"{bad_halves} prediction(s) outside halves 1 and 2 were ignored")
    return detections, warnings


def _game_clock(ms: int) -> str:
    return f"{ms // 60000:02d}:{(ms // 1000) % 60:02d}"


def soccernet_files(detections: Sequence[Mapping[str, Any]], classes: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    """``{game: results_spotting.json content}``; each game's predictions by ascending confidence, so
    that SoccerNet's evaluator, which keeps the last prediction written on a frame, keeps the best.
    ``position`` is a string of milliseconds, as in SoccerNet's own files."""
    from .events import as_numpy

    games: Dict[str, List[Tuple[int, int, int, float]]] = {}
    for entry in detections:
        game, half = split_video_id(entry["video_id"], "detections")
        times = as_numpy(entry["times"]).astype(np.float64).reshape(-1)
        labels = as_numpy(entry["labels"]).astype(np.int64).reshape(-1)
        scores = as_numpy(entry["scores"]).astype(np.float64).reshape(-1)
        rows = games.setdefault(game, [])
        rows += [(half, int(np.rint(t * 1000)), int(lab), float(s)) for t, lab, s in zip(times, labels, scores)]
    out = {}
    for game, rows in games.items():
        rows.sort(key=lambda row: row[3])  # stable: equal scores keep their order
        out[game] = {"UrlLocal": game, "predictions": [
            {"gameTime": f"{half} - {_game_clock(ms)}", "label": classes[label], "position": str(ms), "half": half,
             "confidence": score} for half, ms, label, score in rows]}
    return out


def write_json(path: str, payload: Any) -> None:
    """Write atomically (a temporary file renamed over the target)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_write(Path(path)) as handle:
        json.dump(payload, handle, indent=1, allow_nan=False)
