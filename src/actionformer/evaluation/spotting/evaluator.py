"""The ``spotting`` evaluator: SoccerNet a-mAP (tight, loose, visible / unshown) and the
frame-tolerance mAP of E2E-Spot, for models whose task is ``spotting`` and for
``actionformer evaluate --task spotting GT PRED``."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from actionformer.config.schema import NO_DEFAULT, OURS, Key
from actionformer.config.valuetypes import AnyOf, Float, Int, ListOf, Null, Section, Str

from .average_map import LOOSE_TOLERANCES, TIGHT_TOLERANCES, grid_frames, soccernet_average_map
from .events import SpottingEvents, SpottingPredictions, events_from_dict, predictions_from_list
from .frame_map import frame_tolerance_map, unique_pairs
from .result import HEADLINES, SpottingResult, format_spotting_report

_DEFAULTS = {"metric": "tight", "framerate": 2, "frame_tolerances": [0, 1, 2, 4], "tolerance_unit": "steps",
             "step_fps": None}


class SpottingEvaluator:
    """Scores point predictions (times in seconds) against point events.

    ``evaluate(detections)`` returns (mAP per tolerance of the headline metric, the headline),
    fractions; the headline is ``eval_cfg.metric``: tight a-mAP (default), loose a-mAP, or the
    frame-tolerance mAP averaged over its tolerances.
    """

    task = "spotting"
    config_keys = (
        Key("eval_cfg", Section(), NO_DEFAULT, "How the task's evaluator scores (spotting models).", origin=OURS),
        Key("eval_cfg.metric", Str(choices=list(HEADLINES)), "tight",
            "Headline metric (checkpoint selection, the last line of the table): `tight` = SoccerNet "
            "a-mAP over 1-5 s, `loose` = over 5-60 s, `frame` = the frame-tolerance mAP (E2E-Spot, "
            "T-DEED) averaged over `eval_cfg.frame_tolerances`. All three are always reported.", origin=OURS),
        Key("eval_cfg.framerate", Int(lo=1), 2,
            "Frames per second of the grid the SoccerNet a-mAP snaps events and predictions to "
            "(SoccerNet's `framerate`; the challenge uses 2).", origin=OURS),
        Key("eval_cfg.frame_tolerances", ListOf(Float(lo=0), min_len=1), [0, 1, 2, 4],
            "Tolerances of the frame-tolerance mAP (a prediction matches an event of its class within "
            "± tolerance), in `eval_cfg.tolerance_unit`.", origin=OURS),
        Key("eval_cfg.tolerance_unit", Str(choices=["steps", "seconds"]), "steps",
            "Unit of `eval_cfg.frame_tolerances`: `steps` (times snapped to a grid of "
            "`eval_cfg.step_fps` steps per second) or `seconds`.", origin=OURS),
        Key("eval_cfg.step_fps", AnyOf(Null(), Float(lo=0, lo_open=True)), None,
            "Steps per second of the frame-tolerance grid; null = the features' rate (`dataset.fps`, "
            "else `dataset.default_fps / dataset.feat_stride`), else `eval_cfg.framerate`.", origin=OURS),
    )

    def __init__(self, ground_truth: Mapping[str, Any], metric: str = "tight", framerate: int = 2,
                 frame_tolerances: Sequence[float] = (0, 1, 2, 4), tolerance_unit: str = "steps",
                 step_fps: Optional[float] = None) -> None:
        if metric not in HEADLINES:
            raise ValueError(f"spotting metric must be one of {list(HEADLINES)}, got {metric!r}")
        if tolerance_unit not in ("steps", "seconds"):
            raise ValueError(f"tolerance unit must be 'steps' or 'seconds', got {tolerance_unit!r}")
        self.events: SpottingEvents = events_from_dict(ground_truth)
        self.input_warnings = list(ground_truth.get("warnings", []) if isinstance(ground_truth, Mapping) else [])
        self.metric, self.framerate = metric, int(framerate)
        self.frame_tolerances = [float(t) for t in frame_tolerances]
        self.tolerance_unit = tolerance_unit
        self.step_fps = float(step_fps) if step_fps is not None else float(framerate)
        self.dataset: Any = None  # set by from_dataset: its videos left out when read are not scored
        self.result: Optional[SpottingResult] = None

    @property
    def classes(self) -> List[str]:
        return list(self.events.classes)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dataset(cls, dataset: Any, split: Sequence[str], cfg: Mapping[str, Any]) -> "SpottingEvaluator":
        """The dataset's point events (``to_spotting_ground_truth()``, else the centres of its
        ActivityNet-style segments) with the config's ``eval_cfg``."""
        if hasattr(dataset, "to_spotting_ground_truth"):
            ground_truth = dataset.to_spotting_ground_truth()
        else:
            from .files import point_ground_truth

            ground_truth, _ = point_ground_truth(dataset.to_activitynet_json(), "dataset", _dataset_classes(dataset),
                                                 split)
        options = evaluator_options(cfg)
        if options["step_fps"] is None:
            options["step_fps"] = _feature_rate(cfg, options["framerate"])
        evaluator = cls(ground_truth, **options)
        evaluator.dataset = dataset
        return evaluator

    # ------------------------------------------------------------------ scoring
    def _scored_events(self) -> SpottingEvents:
        """Without the videos the dataset left out when reading them (``on_bad_video: skip``)."""
        skipped = set(getattr(self.dataset, "skipped_videos", None) or ())
        if not skipped:
            return self.events
        keep_videos = [v for v in self.events.videos if v not in skipped]
        remap = {v: i for i, v in enumerate(keep_videos)}
        old_to_new = np.array([remap.get(v, -1) for v in self.events.videos], dtype=np.int64)
        keep = old_to_new[self.events.video] >= 0 if len(self.events) else np.zeros(0, bool)
        e = self.events
        return SpottingEvents(e.classes, keep_videos, old_to_new[e.video[keep]], e.time[keep], e.label[keep],
                              e.visible[keep])

    def _positions(self, times: np.ndarray) -> Tuple[np.ndarray, List[int]]:
        """Integer positions and tolerances of the frame-tolerance mAP (grid steps or microseconds)."""
        if self.tolerance_unit == "steps":
            steps = [int(np.floor(t + 1e-9)) for t in self.frame_tolerances]  # |integer difference| <= t
            return np.rint(times * self.step_fps).astype(np.int64), steps
        return np.rint(times * 1e6).astype(np.int64), [int(np.rint(t * 1e6)) for t in self.frame_tolerances]

    def score(self, events: SpottingEvents, preds: SpottingPredictions) -> SpottingResult:
        tight = soccernet_average_map(events, preds, TIGHT_TOLERANCES, self.framerate)
        loose = soccernet_average_map(events, preds, LOOSE_TOLERANCES, self.framerate)
        event_pos, tolerances = self._positions(events.time)
        pred_pos, _ = self._positions(preds.time)
        frame = frame_tolerance_map(events.video, events.label, event_pos, preds.video, preds.label, pred_pos,
                                    preds.score, len(events.classes), tolerances)
        frame = dataclasses.replace(frame, tolerances=np.asarray(self.frame_tolerances))  # the user's unit
        num_classes = len(events.classes)
        group, _ = unique_pairs(events.video * num_classes + events.label, grid_frames(events.time, self.framerate))
        return SpottingResult(list(events.classes), len(events.videos),
                              np.bincount(group % num_classes, minlength=num_classes),
                              np.bincount(preds.label, minlength=num_classes), tight, loose, frame, self.metric,
                              self.framerate, self.tolerance_unit,
                              self.input_warnings + list(preds.warnings) + _coverage_warnings(events, preds))

    def evaluate(self, detections: Sequence[Mapping[str, Any]], keep_order: bool = False) -> Tuple[np.ndarray, float]:
        """(values per tolerance of the headline metric, the headline), fractions.

        Of several predictions of a class on one grid frame, SoccerNet's metric keeps the last one;
        each video's predictions are first put in ascending score order, so that the best one counts
        (as in the files ``write_soccernet_predictions`` writes). ``keep_order``: the input order
        decides, as SoccerNet's evaluator on a file (``actionformer evaluate``).
        """
        events = self._scored_events()
        preds = predictions_from_list(detections, events)
        if not keep_order:
            order = np.lexsort((preds.score, preds.video))  # stable: equal scores keep their order
            preds = SpottingPredictions(preds.video[order], preds.time[order], preds.label[order],
                                        preds.score[order], preds.warnings)
        self.result = self.score(events, preds)
        return self.result.headline()

    @property
    def warnings(self) -> List[str]:
        return list(self.result.warnings) if self.result is not None else []

    def report(self, per_class: bool = False) -> str:
        return format_spotting_report(self.result, per_class) if self.result is not None else ""

    def metrics(self) -> Dict[str, Any]:
        from ..evaluators import json_ready

        return json_ready(self.result.to_dict()) if self.result is not None else {}

    # ------------------------------------------------------------ actionformer evaluate
    @staticmethod
    def add_file_arguments(group: Any) -> None:
        from .cli_options import add_spotting_file_arguments

        add_spotting_file_arguments(group)

    @classmethod
    def score_files(cls, args: argparse.Namespace) -> Any:
        from .cli_options import score_spotting_files

        return score_spotting_files(cls, args)


def evaluator_options(cfg: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The evaluator's keyword arguments from a config's ``eval_cfg`` (defaults where unset)."""
    section = dict((cfg or {}).get("eval_cfg") or {})
    return {name: section.get(name, default) for name, default in _DEFAULTS.items()}


def _feature_rate(cfg: Mapping[str, Any], fallback: float) -> float:
    """Features per second of the config's dataset, for tolerances in feature steps."""
    data = cfg.get("dataset") or {}
    if data.get("fps"):
        return float(data["fps"])
    if data.get("default_fps") and data.get("feat_stride"):
        return float(data["default_fps"]) / float(data["feat_stride"])
    return float(fallback)


def _dataset_classes(dataset: Any) -> Optional[List[str]]:
    """Class names by label id from a dataset's ``label_dict`` (ids without a name get 'class<i>')."""
    label_dict = getattr(dataset, "label_dict", None)
    if not label_dict:
        return None
    names = {int(i): str(n) for n, i in label_dict.items()}
    return [names.get(i, f"class{i}") for i in range(max(names) + 1)]


def _coverage_warnings(events: SpottingEvents, preds: SpottingPredictions) -> List[str]:
    """Scored videos without any prediction: often a wrong prediction root or video id format."""
    predicted = set(np.unique(preds.video).tolist())
    missing = len(events.videos) - len(predicted)
    if missing <= 0:
        return []
    example = next(v for i, v in enumerate(events.videos) if i not in predicted)
    return [f"{missing} of the {len(events.videos)} ground-truth videos have no prediction (e.g. '{example}'); "
            "they count as all missed"]
