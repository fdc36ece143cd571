"""Evaluators, one per task (registry ``EVALUATORS``): detection mAP and spotting (``spotting/``).

A meta-architecture names its task (``task = "detection"``); ``train`` (validation during
training), ``eval`` and ``evaluate`` look the task's evaluator up here, so a new task brings its
metric as one registered class. An evaluator:

- ``from_dataset(dataset, split, cfg)``: the ground truth of a validation split;
- ``evaluate(detections) -> (per-threshold values, headline)`` (fractions), then ``report()``
  (the printed table, ending with its headline line), ``metrics()`` (JSON-ready) and
  ``warnings`` (messages about the inputs);
- ``add_file_arguments(group)`` and ``score_files(args) -> FileScore``: ``actionformer evaluate``
  on a ground-truth file and a prediction file.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from actionformer.registry import Registry

EVALUATORS: Registry = Registry("evaluator (task)", builtins="actionformer.evaluation.evaluators")


@dataclass
class FileScore:
    """What ``actionformer evaluate`` prints and writes for one prediction file."""

    report: str
    payload: Dict[str, Any]
    notes: List[str] = field(default_factory=list)  # how defaults were chosen (stderr)
    warnings: List[str] = field(default_factory=list)


def json_ready(metrics: Any) -> Any:
    """numpy values turned to Python ones and NaN / inf to None (valid JSON)."""
    if isinstance(metrics, Mapping):
        return {str(k): json_ready(v) for k, v in metrics.items()}
    if isinstance(metrics, (list, tuple, np.ndarray)):
        return [json_ready(v) for v in list(metrics)]
    if isinstance(metrics, np.generic):
        metrics = metrics.item()
    if isinstance(metrics, float) and not math.isfinite(metrics):
        return None
    return metrics


@EVALUATORS.register("detection")
class DetectionEvaluator:
    """Temporal action detection: mAP per tIoU threshold and their average (ActivityNet's
    evaluator, as the original release), with Recall@kx."""

    task = "detection"

    def __init__(self, ground_truth: Any, split: Sequence[str], tiou_thresholds: Sequence[float],
                 dataset_name: Optional[str] = None) -> None:
        from .detection import ANETdetection

        self.split, self.dataset_name = list(split), dataset_name
        self.detector = ANETdetection(ground_truth, split=self.split,
                                      tiou_thresholds=np.asarray(tiou_thresholds, dtype=np.float64),
                                      dataset_name=dataset_name)
        self.result: Any = None
        self.dataset: Any = None  # set by from_dataset: its videos left out when read are not scored
        self._dropped: frozenset = frozenset()

    @classmethod
    def from_dataset(cls, dataset: Any, split: Sequence[str], cfg: Mapping[str, Any]) -> "DetectionEvaluator":
        """The dataset's ground truth; thresholds from the dataset, else the benchmark's defaults."""
        from .thresholds import default_tiou_thresholds

        attrs = dataset.get_attributes() if hasattr(dataset, "get_attributes") else {}
        name = attrs.get("dataset_name") or cfg.get("dataset_name")
        thresholds = attrs.get("tiou_thresholds")
        if thresholds is None:
            thresholds = default_tiou_thresholds(cfg.get("dataset_name") or "thumos")
        evaluator = cls(dataset.to_activitynet_json(), split, thresholds, name)
        evaluator.dataset = dataset
        return evaluator

    def _drop_skipped_videos(self) -> None:
        """Videos the dataset left out when reading them (``on_bad_video: skip``) have no
        detections: score without their ground truth rather than count them as missed."""
        skipped = frozenset(getattr(self.dataset, "skipped_videos", None) or ())
        if not skipped <= self._dropped:
            from .detection import ANETdetection

            self.detector = ANETdetection(self.dataset.to_activitynet_json(), split=self.split,
                                          tiou_thresholds=self.detector.tiou_thresholds,
                                          dataset_name=self.dataset_name)
            self._dropped = skipped

    @property
    def warnings(self) -> List[str]:
        return list(self.result.warnings) if self.result is not None else []

    def evaluate(self, detections: Any) -> Tuple[Any, float]:
        self._drop_skipped_videos()
        mean_aps, average, _ = self.detector.evaluate(detections, verbose=False)
        self.result = self.detector.result
        return mean_aps, float(average)

    def report(self) -> str:
        from .report import format_report

        return format_report(self.result) if self.result is not None else ""

    def metrics(self) -> Dict[str, Any]:
        return json_ready(self.result.to_dict()) if self.result is not None else {}

    # ------------------------------------------------------------ actionformer evaluate
    @staticmethod
    def add_file_arguments(group: Any) -> None:
        group.add_argument("--split", nargs="+", default=None, metavar="SUBSET",
                           help="subset(s) of the ground truth to score against, any case (e.g. test, "
                                "validation); default: the one subset the predicted videos belong to")
        group.add_argument("--tiou", nargs="+", type=float, default=None, metavar="T",
                           help="tIoU thresholds (default: the dataset's, see --dataset)")
        group.add_argument("--dataset", default=None, metavar="NAME",
                           help="thumos, anet, epic or ego4d: picks the default thresholds (default: the "
                                "config's dataset_name, else guessed from the ground-truth file name, else "
                                "anet's 0.5:0.05:0.95)")
        group.add_argument("--top-k", nargs="+", type=int, default=[1, 5], metavar="K",
                           help="Recall@kx for these k (default: 1 5)")
        group.add_argument("--per-class", action="store_true", help="also print AP per class, best first")
        group.add_argument("--keep-duplicates", action="store_true",
                           help="keep duplicate and shorter-than-1e-3 s ground-truth instances, as the "
                                "official ActivityNet script does (the original release removes them; default)")

    @classmethod
    def score_files(cls, args: argparse.Namespace) -> FileScore:
        from .detection import evaluate_detection
        from .errors import EvaluationInputError
        from .ground_truth import load_ground_truth, read_json_file, split_of_predicted_videos
        from .predictions import to_predictions
        from .report import format_report
        from .thresholds import tiou_thresholds_from_arguments

        notes: List[str] = []
        thresholds = tiou_thresholds_from_arguments(args, notes)
        if any(k < 1 for k in args.top_k):
            raise ValueError(f"--top-k values must be positive integers, got {args.top_k}")
        data = read_json_file(args.ground_truth, "ground-truth")
        if not isinstance(data, dict):
            raise EvaluationInputError(f"{args.ground_truth}: expected a json object with a 'database' mapping")
        everything = load_ground_truth(data, split=None, source_name=args.ground_truth)
        preds = to_predictions(args.predictions, everything.label_to_id)
        if len(preds) == 0:
            raise EvaluationInputError(f"{args.predictions}: the file holds no predictions")
        split = args.split if args.split is not None else split_of_predicted_videos(data["database"], preds.videos, notes)
        ground_truth = load_ground_truth(data, split=split, remove_duplicates=not args.keep_duplicates,
                                         source_name=args.ground_truth)
        result = evaluate_detection(ground_truth, preds, thresholds, args.top_k)
        return FileScore(format_report(result, per_class=args.per_class), result.to_dict(), notes,
                         list(result.warnings))


# registered here so that importing this module (the registry's builtins) registers every task
from .spotting.evaluator import SpottingEvaluator  # noqa: E402

EVALUATORS.register("spotting")(SpottingEvaluator)
