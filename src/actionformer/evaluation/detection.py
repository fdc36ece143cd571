"""Detection mAP and Recall@kx: the functional API, the result, and the seed's ``ANETdetection``."""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .average_precision import average_precision_per_class
from .ground_truth import GroundTruth, GroundTruthSource, load_ground_truth
from .matching import GroundTruthGroups, class_sorted_order, greedy_match, index_lookup
from .predictions import Predictions, PredictionsLike, to_predictions
from .recall import recall_at_kx


@dataclass
class DetectionResult:
    """Everything one evaluation measured; fractions in [0, 1] (the report prints percent)."""

    tiou_thresholds: np.ndarray  # (T,)
    top_k: Tuple[int, ...]  # (K,)
    class_ids: np.ndarray  # (C,) label ids, sorted
    class_names: List[str]  # (C,)
    ap: np.ndarray  # (T, C)
    recall: np.ndarray  # (T, K, C)
    num_ground_truth: np.ndarray  # (C,) instances per class
    num_predictions: np.ndarray  # (C,) scored predictions per class
    dataset_name: str = "ground truth"
    split: Optional[Tuple[str, ...]] = None
    warnings: List[str] = field(default_factory=list)

    @property
    def mAP(self) -> np.ndarray:  # noqa: N802 (the seed's name)
        """(T,) mean AP over the classes present in the ground truth."""
        return self.ap.mean(axis=1)

    @property
    def average_mAP(self) -> float:  # noqa: N802
        """mAP averaged over the tIoU thresholds (the headline number)."""
        return self.mAP.mean()

    @property
    def mRecall(self) -> np.ndarray:  # noqa: N802
        """(T, K) Recall@kx averaged over classes."""
        return self.recall.mean(axis=2)

    def per_class(self) -> List[Dict[str, Any]]:
        """One entry per class, best average AP (over thresholds) first; ties by name."""
        average = self.ap.mean(axis=0)
        entries = [
            {
                "label_id": int(self.class_ids[c]),
                "label": self.class_names[c],
                "num_ground_truth": int(self.num_ground_truth[c]),
                "num_predictions": int(self.num_predictions[c]),
                "ap": [float(v) for v in self.ap[:, c]],
                "average_ap": float(average[c]),
            }
            for c in range(len(self.class_names))
        ]
        return sorted(entries, key=lambda e: (-e["average_ap"], e["label"]))

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready summary (fractions, not percent)."""
        return {
            "dataset": self.dataset_name,
            "split": list(self.split) if self.split else None,
            "tiou_thresholds": [float(t) for t in self.tiou_thresholds],
            "mAP": [float(v) for v in self.mAP],
            "average_mAP": float(self.average_mAP),
            "recall": {f"{k}x": [float(v) for v in self.mRecall[:, i]] for i, k in enumerate(self.top_k)},
            "num_ground_truth": int(self.num_ground_truth.sum()),
            "num_predictions": int(self.num_predictions.sum()),
            "per_class": self.per_class(),
            "warnings": list(self.warnings),
        }


def _checked_top_k(top_k: Sequence[int]) -> Tuple[int, ...]:
    """``top_k`` as ints; each must be an integer >= 1 (Recall@0x would be a silent 0)."""
    values = tuple(top_k)
    if any(isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1 for k in values):
        raise ValueError(f"top_k must hold integers >= 1 (Recall@kx), got {list(values)!r}")
    return tuple(int(k) for k in values)


def _video_codes(gt: GroundTruth, preds: Predictions) -> Tuple[np.ndarray, int, List[str]]:
    """(video index of each prediction in a space shared with the ground truth, space size, unknown videos)."""
    gt_index = {vid: i for i, vid in enumerate(gt.video_ids)}
    unknown: List[str] = []
    mapping = np.empty(len(preds.videos), dtype=np.int64)
    for i, vid in enumerate(preds.videos):
        code = gt_index.get(vid)
        if code is None:
            code = len(gt.video_ids) + len(unknown)
            unknown.append(vid)
        mapping[i] = code
    return mapping[preds.pred_video], len(gt.video_ids) + len(unknown), unknown


def _input_warnings(gt: GroundTruth, preds: Predictions, pred_video: np.ndarray, unknown: List[str],
                    class_of_pred: np.ndarray) -> List[str]:
    messages = []
    outside = pred_video >= len(gt.video_ids)
    if outside.any():
        where = f" (split {', '.join(gt.split)})" if gt.split else ""
        examples = ", ".join(f"'{v}'" for v in unknown[:3]) + (", ..." if len(unknown) > 3 else "")
        messages.append(
            f"{int(outside.sum())} prediction(s) for {len(unknown)} video(s) not in the ground truth{where} "
            f"were counted as false positives, as the references do: {examples}")
    dropped = class_of_pred < 0
    if dropped.any():
        ids = sorted({int(i) for i in preds.pred_label[dropped]})
        shown = ", ".join(gt.class_name(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
        messages.append(
            f"{int(dropped.sum())} prediction(s) of {len(ids)} class(es) without ground truth in this split "
            f"were ignored ({shown}); the original release would have scored some of them as another class")
    return messages


MS_FACTOR = 10.0  # a segment end this many times past its video's duration is not in seconds


def _unit_warnings(gt: GroundTruth, preds: Predictions, pred_video: np.ndarray) -> List[str]:
    """Predictions in milliseconds (or frames) score ~0 without any error: warn when most
    predictions in videos of known duration end more than MS_FACTOR x past that duration."""
    if gt.durations is None:
        return []
    known = pred_video < len(gt.video_ids)
    duration = np.full(len(preds), np.nan)
    duration[known] = gt.durations[pred_video[known]]
    has_duration = np.isfinite(duration)
    if not has_duration.any():
        return []
    far = has_duration & (preds.pred_end > MS_FACTOR * np.where(has_duration, duration, np.inf))
    if far.sum() * 2 <= has_duration.sum():
        return []
    first = int(np.flatnonzero(far)[0])
    vid = preds.videos[int(preds.pred_video[first])]
    return [f"{preds.source}: {int(far.sum())} of {int(has_duration.sum())} predictions end more than "
            f"{MS_FACTOR:g}x past their video's duration (e.g. video '{vid}': segment [{preds.pred_start[first]:g}, "
            f"{preds.pred_end[first]:g}], duration {duration[first]:g} s): segments must be in seconds; these look "
            "like milliseconds or frames"]


def _score(gt: GroundTruth, p_class: np.ndarray, p_video: np.ndarray, p_start: np.ndarray, p_end: np.ndarray,
           p_score: np.ndarray, num_videos: int, num_classes: int, thresholds: np.ndarray, top_k: Sequence[int],
           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ap (T, C), recall (T, K, C), instances per class (C,), class offsets (C + 1,))."""
    gt_class = np.searchsorted(gt.class_ids, gt.gt_label)
    groups = GroundTruthGroups.build(gt_class, gt.gt_video, num_videos)
    grouped_start, grouped_end = gt.gt_start[groups.order], gt.gt_end[groups.order]
    num_positives = np.bincount(gt_class, minlength=num_classes)
    order, class_offsets = class_sorted_order(p_class, p_score, num_classes)
    pred_group = groups.group_of(p_class.astype(np.int64) * num_videos + p_video)
    tp = greedy_match(groups, grouped_start, grouped_end, pred_group[order], p_start[order], p_end[order], thresholds)
    ap = average_precision_per_class(tp, class_offsets, num_positives)
    recall = recall_at_kx(groups, grouped_start, grouped_end, gt_class, pred_group, p_start, p_end, p_score,
                          thresholds, top_k, num_classes)
    return ap, recall, num_positives, class_offsets


def evaluate_detection(
    ground_truth: Union[GroundTruthSource, GroundTruth],
    predictions: PredictionsLike,
    tiou_thresholds: Sequence[float] = tuple(np.linspace(0.5, 0.95, 10)),
    top_k: Sequence[int] = (1, 5),
    split: Union[None, str, Sequence[str]] = None,
    remove_duplicates: bool = True,
    dataset_name: Optional[str] = None,
) -> DetectionResult:
    """Score predictions against ground truth: AP per class and threshold, mAP, Recall@kx.

    ``ground_truth``: a json path, a loaded json dict or a :class:`GroundTruth` (``split`` and
    ``remove_duplicates`` apply when it is loaded here). ``predictions``: any form
    :func:`~actionformer.evaluation.predictions.to_predictions` accepts.
    """
    top_k = _checked_top_k(top_k)
    gt = load_ground_truth(ground_truth, split=split, remove_duplicates=remove_duplicates)
    preds = to_predictions(predictions, gt.label_to_id)
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64).reshape(-1)
    if thresholds.size == 0 or np.any(~np.isfinite(thresholds)):
        raise ValueError(f"tIoU thresholds must be a non-empty list of numbers, got {tiou_thresholds!r}")
    class_ids = gt.class_ids
    num_classes = class_ids.shape[0]

    pred_video, num_videos, unknown = _video_codes(gt, preds)
    # ground-truth class index of each prediction; -1 for classes absent from this split's ground truth
    class_of_pred = index_lookup(class_ids, preds.pred_label)
    messages = list(preds.warnings) + _input_warnings(gt, preds, pred_video, unknown, class_of_pred)
    messages += _unit_warnings(gt, preds, pred_video)
    if len(preds) == 0:
        messages.append("no predictions were given: every AP is 0")
    scored = class_of_pred >= 0
    ap, recall, num_positives, class_offsets = _score(
        gt, class_of_pred[scored], pred_video[scored], preds.pred_start[scored], preds.pred_end[scored],
        preds.pred_score[scored], num_videos, num_classes, thresholds, top_k)
    num_predictions = np.diff(class_offsets)
    missing = [gt.class_name(class_ids[c]) for c in np.flatnonzero(num_predictions == 0)]
    if missing and len(preds):
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        messages.append(f"no predictions for {len(missing)} of {num_classes} classes (AP 0): {shown}")
    return DetectionResult(
        tiou_thresholds=thresholds,
        top_k=top_k,
        class_ids=class_ids,
        class_names=[gt.class_name(i) for i in class_ids],
        ap=ap,
        recall=recall,
        num_ground_truth=num_positives,
        num_predictions=num_predictions,
        dataset_name=dataset_name or _dataset_name(gt.source),
        split=gt.split,
        warnings=messages,
    )


def _dataset_name(source: str) -> str:
    return os.path.basename(source).replace(".json", "") if not source.startswith("<") else "ground truth"


class ANETdetection:
    """The seed's evaluator: ground truth loaded once, ``evaluate(preds)`` per set of predictions.

    Same arguments and return values as the original release's class. ``num_workers`` is
    accepted and unused (the evaluation is vectorized, not parallel); ``label_offset`` (composite
    labels) is not supported. ``ant_file`` may be a path or a loaded json dict.
    """

    def __init__(
        self,
        ant_file: Union[GroundTruthSource, GroundTruth],
        split: Union[None, str, Sequence[str]] = None,
        tiou_thresholds: Sequence[float] = tuple(np.linspace(0.1, 0.5, 5)),
        top_k: Sequence[int] = (1, 5),
        label: str = "label_id",
        label_offset: int = 0,
        num_workers: int = 8,
        dataset_name: Optional[str] = None,
        remove_duplicates: bool = True,
    ) -> None:
        if label_offset:
            raise ValueError("label_offset (composite labels) is not supported; give each class one integer id")
        self.tiou_thresholds = np.asarray(tiou_thresholds, dtype=np.float64)
        self.top_k = _checked_top_k(top_k)
        self.num_workers = num_workers
        self.ground_truth = load_ground_truth(ant_file, split=split, label_field=label,
                                              remove_duplicates=remove_duplicates)
        self.split = self.ground_truth.split
        self.dataset_name = dataset_name or _dataset_name(self.ground_truth.source)
        # label id -> column of `ap`, as the original's activity_index
        self.activity_index = {int(j): i for i, j in enumerate(self.ground_truth.class_ids)}
        self.ap: Optional[np.ndarray] = None
        self.recall: Optional[np.ndarray] = None
        self.result: Optional[DetectionResult] = None

    @property
    def label_to_id(self) -> Dict[str, int]:
        """Class name -> label id over the whole ground-truth file (a copy)."""
        return dict(self.ground_truth.label_to_id)

    @property
    def id_to_label(self) -> Dict[int, str]:
        """Label id -> class name (a copy)."""
        return dict(self.ground_truth.id_to_label)

    def evaluate(self, preds: PredictionsLike, verbose: bool = True) -> Tuple[np.ndarray, float, np.ndarray]:
        """(mAP (T,), average mAP, Recall@kx (T, K)); prints the original's table when verbose."""
        from .report import format_report

        self.ap = self.recall = self.result = None
        result = evaluate_detection(self.ground_truth, preds, self.tiou_thresholds, self.top_k,
                                    dataset_name=self.dataset_name)
        self.result, self.ap, self.recall = result, result.ap, result.recall
        if verbose:
            for message in result.warnings:
                print(f"Warning: {message}")
            print(format_report(result))
        return result.mAP, result.average_mAP, result.mRecall
