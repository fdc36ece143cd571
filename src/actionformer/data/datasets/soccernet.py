"""SoccerNet-v2 action spotting, read from the folder layout its users have on disk.

::

    <root>/<league>/<season>/<game>/1_<feature_name>.npy    first half, T x D, 2 features / s
                                  /2_<feature_name>.npy    second half
                                  /Labels-v2.json          {"annotations": [{"gameTime": "1 - 05:32",
                                                             "label": "Goal", "position": "332000",
                                                             "visibility": "visible"}, ...]}

Each half is one video, id ``<game>/1`` or ``<game>/2`` (``<game>`` the folder relative to
``root``). ``dataset.split_files`` maps a subset name (``train``, ``valid``, ``test``,
``challenge``) to a text file listing game folders, one per line; ``train_split`` and
``val_split`` name those subsets. An event's time is its ``position`` (ms) in its half;
feature ``i`` sits at ``i / fps`` seconds, SoccerNet's own convention.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from actionformer.config.schema import OURS, Key
from actionformer.config.valuetypes import (
    AnyOf,
    Float,
    ListOf,
    Null,
    Str,
    ValueType,
    show,
)
from actionformer.evaluation.spotting.soccernet import SOCCERNET_V2_CLASSES

from ..annotations import AnnotationDB, VideoRecord
from ..builders import DATASETS
from ..features import FeatureSource, feature_file_shape
from ..report import ERROR, WARNING, DataError, Problem
from .base import ActionDataset

LABELS_FILE = "Labels-v2.json"
HALVES = (1, 2)


class StrMapping(ValueType):
    """A mapping of names to non-empty strings (``{train: splits/train.txt, ...}``)."""

    def check(self, value: object) -> Optional[str]:
        if not isinstance(value, dict) or not value:
            return "expected a non-empty mapping of subset name to file"
        bad = [k for k, v in value.items() if not isinstance(k, str) or not isinstance(v, str) or not v]
        return f"expected a mapping of subset name to file; entry {show(bad[0])} is not" if bad else None

    def describe(self) -> str:
        return "mapping {subset: file}"


class SoccerNetFeatures(FeatureSource):
    """Features of a half: ``<root>/<game>/<half>_<feature_name>.npy`` for video ``<game>/<half>``."""

    def __init__(self, root: str, feature_name: str) -> None:
        super().__init__(root, None, None)
        self.feature_name = feature_name if feature_name.endswith(".npy") else feature_name + ".npy"

    def missing_roots(self) -> List[str]:
        return []  # a missing root is reported by the dataset, as dataset.root

    def paths(self, video_id: str) -> List[str]:
        game, _, half = video_id.rpartition("/")
        return [os.path.join(self.folders[0], game, f"{half}_{self.feature_name}")]


@DATASETS.register("soccernet")
class SoccerNetDataset(ActionDataset):
    """SoccerNet-v2 action spotting (point events), one video per half; see the module doc."""

    title = "SoccerNet-v2"
    single_class_allowed = False
    fewer_classes_allowed = False
    config_keys = (
        Key("dataset.root", AnyOf(Null(), Str()), None,
            "`soccernet`: the folder holding `<league>/<season>/<game>/` game folders.", origin=OURS),
        Key("dataset.feature_name", Str(), "ResNET_TF2_PCA512",
            "`soccernet`: the `<name>` of the feature files `1_<name>.npy` / `2_<name>.npy`.", origin=OURS),
        Key("dataset.split_files", AnyOf(Null(), StrMapping()), None,
            "`soccernet`: subset name -> text file listing game folders relative to `root`, one per "
            "line (relative paths are read from `root`); `train_split` / `val_split` name the subsets.",
            origin=OURS),
        Key("dataset.fps", Float(lo=0, lo_open=True), 2.0,
            "`soccernet`: features per second (feature i sits at i / fps seconds).", origin=OURS),
        Key("dataset.class_names", AnyOf(Null(), ListOf(Str(), min_len=1)), None,
            "`soccernet`: the class names, in label-id order; null = SoccerNet-v2's 17 classes.",
            origin=OURS),
    )

    def __init__(self, is_training: bool, split: Sequence[str], root: Optional[str] = None,
                 feature_name: str = "ResNET_TF2_PCA512", split_files: Optional[Mapping[str, str]] = None,
                 fps: float = 2.0, class_names: Optional[Sequence[str]] = None, **kwargs: Any) -> None:
        if not root:
            raise DataError([Problem(ERROR, "dataset.root", "the soccernet dataset needs dataset.root: the "
                                     "folder holding the <league>/<season>/<game>/ folders")])
        if not split_files:
            raise DataError([Problem(ERROR, "dataset.split_files", "the soccernet dataset needs "
                                     "dataset.split_files: {train: FILE, valid: FILE, ...}, each FILE listing "
                                     "game folders relative to dataset.root")])
        self.root, self.feature_name = str(root), str(feature_name)
        self.split_files = dict(split_files)
        self.class_names = list(class_names) if class_names else list(SOCCERNET_V2_CLASSES)
        # fixed by the layout: one feature per 1 / fps s, feature i at i / fps (no half-window offset)
        for unused in ("json_file", "feat_folder", "feat_stride", "num_frames", "default_fps",
                       "file_prefix", "file_ext", "video_list", "class_list", "force_upsampling"):
            kwargs.pop(unused, None)
        super().__init__(is_training, split, feat_folder=self.root, json_file=self.root, feat_stride=1,
                         num_frames=0, default_fps=float(fps), **kwargs)

    # -- the hooks of the shared dataset ------------------------------------------------------
    def make_feature_source(self, feat_folder: Any, file_prefix: Optional[str],
                            file_ext: Optional[str]) -> FeatureSource:
        return SoccerNetFeatures(self.root, self.feature_name)

    def load_annotation_db(self) -> AnnotationDB:
        problems: List[Problem] = []
        videos: "OrderedDict[str, VideoRecord]" = OrderedDict()
        if not os.path.isdir(self.root):
            problems.append(Problem(ERROR, "dataset.root", "folder not found (it should hold the "
                                    "<league>/<season>/<game>/ folders)", file=self.root))
        for subset, games in self._games_per_subset(problems).items():
            for game in games:
                for rec in self._game_records(game, subset, problems):
                    videos.setdefault(rec.video_id, rec)
        return AnnotationDB(self.root, videos, problems)

    def _make_entry(self, rec: VideoRecord) -> Dict[str, Any]:
        """As the shared one, but a half without events has empty arrays (not None): a spotting
        model trains on it as a negative, and cropping applies to it."""
        entry = super()._make_entry(rec)
        if entry["segments"] is None:
            entry["segments"], entry["labels"] = np.zeros((0, 2), np.float32), np.zeros(0, np.int64)
        return entry

    def _build_label_dict(self, db: AnnotationDB) -> Tuple[Dict[str, int], List[Problem]]:
        twice = sorted({name for name in self.class_names if self.class_names.count(name) > 1})
        problems = [Problem(ERROR, "dataset.class_names", f"class {name!r} is listed more than once: each "
                            "class once, in label-id order") for name in twice]
        return {name: i for i, name in enumerate(self.class_names)}, problems

    def _check_segments(self, rec: VideoRecord) -> List[Problem]:
        """The shared checks, naming the half's ``Labels-v2.json`` (not the root) and, for a label
        not among the classes, what to do."""
        labels_file = os.path.join(self.root, rec.video_id.rpartition("/")[0], LABELS_FILE)
        out = []
        for problem in super()._check_segments(rec):
            message = problem.message
            if problem.field == "label" and message.endswith("is not in the class list"):
                message += " (dataset.class_names, or SoccerNet-v2's 17 when unset): add it there or fix the label"
            out.append(dataclasses.replace(problem, message=message, file=labels_file))
        return out

    # -- reading the layout -------------------------------------------------------------------
    def _games_per_subset(self, problems: List[Problem]) -> Dict[str, List[str]]:
        """Game folders of each subset this dataset reads (its ``split``), from the game lists."""
        out: Dict[str, List[str]] = OrderedDict()
        by_name = {name.lower(): name for name in self.split_files}
        for wanted in self.split:
            if wanted.lower() not in by_name:
                problems.append(Problem(ERROR, "dataset.split_files", f"no game list for the subset {wanted!r} "
                                        f"(the split names it; dataset.split_files has {sorted(self.split_files)})"))
        for subset in (by_name[w.lower()] for w in self.split if w.lower() in by_name):
            path = self.split_files[subset]
            path = path if os.path.isabs(path) else os.path.join(self.root, path)
            try:
                with open(path, "r", encoding="utf-8") as fid:
                    lines = [line.strip().strip("/") for line in fid.read().splitlines()]
            except OSError as exc:
                problems.append(Problem(ERROR, f"dataset.split_files.{subset}", f"cannot read the game list: "
                                        f"{exc.strerror or exc}", file=path))
                continue
            out[subset] = [g for g in lines if g and not g.startswith("#")]
            if not out[subset]:
                problems.append(Problem(ERROR, f"dataset.split_files.{subset}", "the game list names no game: "
                                        "list game folders relative to dataset.root, one per line", file=path))
        return out

    def _game_records(self, game: str, subset: str, problems: List[Problem]) -> List[VideoRecord]:
        folder = os.path.join(self.root, game)
        if not os.path.isdir(folder):
            problems.append(Problem(ERROR, "game folder", f"listed in the {subset} game list but not found",
                                    f"{game}/1", folder))
            return []
        per_half = _read_labels(os.path.join(folder, LABELS_FILE), game, problems)
        records = []
        for half in HALVES:
            vid = f"{game}/{half}"
            times, labels, visible = per_half.get(half, ([], [], []))
            times_arr = np.asarray(times, dtype=np.float64)
            records.append(VideoRecord(
                video_id=vid, subset=subset, duration=self._half_duration(vid), fps=self.default_fps,
                segments=np.stack([times_arr, times_arr], axis=1).reshape(-1, 2), labels=list(labels),
                label_ids=[None] * len(labels), visible=list(visible), is_point=[True] * len(labels)))
        return records

    def _half_duration(self, video_id: str) -> Optional[float]:
        """Seconds covered by a half's features (from the .npy header), None when unreadable."""
        path = self.feature_source.paths(video_id)[0]
        try:
            return float(feature_file_shape(path)[0]) / float(self.default_fps)
        except Exception:  # missing or broken: the feature checks report it, naming the file
            return None


def _read_labels(path: str, game: str, problems: List[Problem]) -> Dict[int, Tuple[List[float], List[str], List[bool]]]:
    """Events per half of a Labels-v2.json: (times in s, label names, visible). A game without
    the file (SoccerNet's challenge set) has no events, with a warning."""
    try:
        with open(path, "r", encoding="utf-8") as fid:
            data = json.load(fid)
    except FileNotFoundError:
        problems.append(Problem(WARNING, "labels", f"no {LABELS_FILE}: the game has no events (fine for "
                                "the challenge set, not for training)", f"{game}/1", path))
        return {}
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(ERROR, "labels", f"not valid json: {exc}", f"{game}/1", path))
        return {}
    acts = data.get("annotations") if isinstance(data, dict) else None
    if not isinstance(acts, list):
        problems.append(Problem(ERROR, "annotations", "expected a list of annotations", f"{game}/1", path))
        return {}
    out: Dict[int, Tuple[List[float], List[str], List[bool]]] = {h: ([], [], []) for h in HALVES}
    for i, act in enumerate(acts):
        parsed = _parse_event(act)
        if isinstance(parsed, str):
            problems.append(Problem(ERROR, f"annotations[{i}]", parsed, f"{game}/1", path))
            continue
        half, seconds, label, visible = parsed
        times, labels, shown = out[half]
        times.append(seconds)
        labels.append(label)
        shown.append(visible)
    return out


def _parse_event(act: Any):
    """(half, seconds, label, visible) of one annotation, or why it cannot be read."""
    if not isinstance(act, dict):
        return f"expected an object, got {type(act).__name__}"
    game_time = str(act.get("gameTime", ""))
    half_text = game_time.split("-")[0].strip()
    if half_text not in ("1", "2"):
        return f"gameTime {act.get('gameTime')!r}: expected 'half - mm:ss' with half 1 or 2"
    try:
        seconds = float(act["position"]) / 1000.0
    except (KeyError, TypeError, ValueError):
        return f"position {act.get('position')!r}: expected milliseconds into the half"
    if "label" not in act:
        return "missing label"
    return int(half_text), seconds, str(act["label"]), str(act.get("visibility", "visible")) != "not shown"
