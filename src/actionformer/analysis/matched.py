"""Predictions matched to ground truth once, in the evaluator's order, for every analysis and chart.

The matching is the evaluator's own (``evaluation.matching.greedy_match``), so a true positive
here is a true positive of ``actionformer evaluate``. What the analyses need on top of it:

- every prediction in the evaluator's order (class by class, each class by decreasing score),
  with its rank inside its class (DETAD's "top k x G" limits count that rank);
- AP from any subset of those predictions, optionally *normalized* (Hoiem et al., ECCV 2012:
  precision computed as if every class had the same number of instances, which DETAD uses so
  that classes and bins of different sizes compare);
- which ground-truth instance each true positive took (the sensitivity analysis drops
  predictions that matched instances outside a bin).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from actionformer.evaluation.average_precision import interpolated_average_precision
from actionformer.evaluation.ground_truth import GroundTruth
from actionformer.evaluation.matching import (
    GroundTruthGroups,
    class_sorted_order,
    greedy_match,
    index_lookup,
    segment_tiou,
)
from actionformer.evaluation.predictions import Predictions


@dataclass(frozen=True)
class MatchedPredictions:
    """Predictions of the classes present in the ground truth, in the evaluator's order.

    Every per-prediction array is (N,) in that order; ``tp`` is (T, N).
    """

    gt: GroundTruth
    tiou_thresholds: np.ndarray  # (T,)
    class_ids: np.ndarray  # (C,) label ids present in the ground truth, sorted
    class_names: List[str]  # (C,)
    class_offsets: np.ndarray  # (C + 1,) class c owns positions class_offsets[c]:class_offsets[c + 1]
    num_positives: np.ndarray  # (C,) ground-truth instances per class
    gt_class: np.ndarray  # (G,) class index of every ground-truth instance
    video: np.ndarray  # (N,) index into gt.video_ids; >= len(gt.video_ids) for videos not in the ground truth
    start: np.ndarray  # (N,) seconds
    end: np.ndarray  # (N,)
    score: np.ndarray  # (N,)
    pred_class: np.ndarray  # (N,) class index
    tp: np.ndarray  # (T, N) bool
    num_ignored: int  # predictions of classes without ground truth (the evaluator ignores them too)

    @property
    def rank_in_class(self) -> np.ndarray:
        """(N,) 0-based position of each prediction among its class's predictions, by score."""
        return np.arange(self.pred_class.shape[0]) - self.class_offsets[self.pred_class]

    @property
    def average_instances_per_class(self) -> float:
        """The N of normalized precision: ground-truth instances divided by classes."""
        return float(self.num_positives.sum()) / max(len(self.class_ids), 1)


def _shared_video_codes(gt: GroundTruth, preds: Predictions) -> np.ndarray:
    """(N,) each prediction's video as an index into ``gt.video_ids``, unknown videos after them."""
    index: Dict[str, int] = {vid: i for i, vid in enumerate(gt.video_ids)}
    codes = np.empty(len(preds.videos), dtype=np.int64)
    for i, vid in enumerate(preds.videos):
        codes[i] = index.setdefault(vid, len(index))
    return codes[preds.pred_video]


def match_predictions(gt: GroundTruth, preds: Predictions, tiou_thresholds: Sequence[float]) -> MatchedPredictions:
    """Match ``preds`` to ``gt`` at every threshold, exactly as ``evaluate_detection`` does."""
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64).reshape(-1)
    class_ids = gt.class_ids
    num_classes = class_ids.shape[0]
    video = _shared_video_codes(gt, preds)
    num_videos = max(int(video.max()) + 1 if video.size else 0, len(gt.video_ids))
    class_of_pred = index_lookup(class_ids, preds.pred_label)
    scored = class_of_pred >= 0
    p_class, p_video = class_of_pred[scored], video[scored]
    p_start, p_end, p_score = preds.pred_start[scored], preds.pred_end[scored], preds.pred_score[scored]

    gt_class = np.searchsorted(class_ids, gt.gt_label)
    groups = GroundTruthGroups.build(gt_class, gt.gt_video, num_videos)
    order, class_offsets = class_sorted_order(p_class, p_score, num_classes)
    pred_group = groups.group_of(p_class.astype(np.int64) * num_videos + p_video)
    tp = greedy_match(groups, gt.gt_start[groups.order], gt.gt_end[groups.order], pred_group[order],
                      p_start[order], p_end[order], thresholds)
    return MatchedPredictions(
        gt=gt, tiou_thresholds=thresholds, class_ids=class_ids,
        class_names=[gt.class_name(i) for i in class_ids], class_offsets=class_offsets,
        num_positives=np.bincount(gt_class, minlength=num_classes), gt_class=gt_class,
        video=p_video[order], start=p_start[order], end=p_end[order], score=p_score[order],
        pred_class=p_class[order], tp=tp, num_ignored=int((~scored).sum()))


def average_precision(matched: MatchedPredictions, keep: Optional[np.ndarray] = None,
                      num_positives: Optional[np.ndarray] = None, tp: Optional[np.ndarray] = None,
                      normalize: bool = False) -> np.ndarray:
    """(T, C) AP of the kept predictions (``keep``: (T, N) or (N,) bool, default all).

    ``num_positives`` (C,) overrides the recall denominators (a bin's instances); a class with
    none gets NaN. ``tp`` overrides the true positives. With ``normalize``, precision is
    ``R·N / (R·N + FP)`` with N the average instances per class (DETAD's AP_N); otherwise it is
    the evaluator's TP / (TP + FP), and the values equal ``evaluate``'s to rounding.

    A prediction left out repeats the point before it (same recall, same precision), which
    adds no term to the area, so every threshold is handled at once without compacting.
    """
    tp = matched.tp if tp is None else tp
    num_thr, num_pred = tp.shape
    keep = np.ones((num_thr, num_pred), dtype=bool) if keep is None else np.broadcast_to(keep, (num_thr, num_pred))
    npos = matched.num_positives if num_positives is None else num_positives
    norm = matched.average_instances_per_class
    offsets = matched.class_offsets
    ap = np.full((num_thr, len(matched.class_ids)), np.nan)
    for c in np.flatnonzero(npos > 0):
        a, b = offsets[c], offsets[c + 1]
        kept_any = np.flatnonzero(keep[:, a:b].any(axis=0))
        if kept_any.size == 0:
            ap[:, c] = 0.0
            continue
        b = a + kept_any[-1] + 1  # what follows the last kept prediction adds nothing
        hits, kept = tp[:, a:b], keep[:, a:b]  # (T, n)
        tp_count = np.cumsum(hits & kept, axis=1, dtype=np.float64)
        fp_count = np.cumsum(~hits & kept, axis=1, dtype=np.float64)
        recall = tp_count / npos[c]
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 before the first kept prediction
            precision = (recall * norm / (recall * norm + fp_count)) if normalize else tp_count / (tp_count + fp_count)
        ap[:, c] = interpolated_average_precision(np.nan_to_num(precision, nan=0.0), recall)
    return ap


def _preference_order(tiou: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(R, K) column order of each row: the reversed default ``argsort`` of its first ``lengths[r]``
    tIoUs (the references' order, ties included: rows of one length are sorted together, as
    the evaluator does), then the padding."""
    order = np.tile(np.arange(tiou.shape[1]), (tiou.shape[0], 1))
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        order[rows, :n] = np.argsort(tiou[rows, :n], axis=1)[:, ::-1]
    return order


def matched_instances(matched: MatchedPredictions) -> np.ndarray:
    """(T, N) ground-truth index (into ``gt``'s arrays) each true positive took, -1 for false positives.

    ``greedy_match`` decides *whether* a prediction matches; which instance it takes follows
    from the same rule, replayed here for the true positives only (false positives lock
    nothing): in score order, the first instance in the reversed default ``argsort`` of the
    tIoUs that is not taken and reaches the threshold. Groups (class, video) are independent,
    so round r handles the r-th true positive of every group at once.
    """
    gt = matched.gt
    num_thr, num_pred = matched.tp.shape
    taken = np.full((num_thr, num_pred), -1, dtype=np.int64)
    rows = np.flatnonzero(matched.tp.any(axis=0))  # (R,) in score order within each class
    if rows.size == 0:
        return taken
    num_videos = max(len(gt.video_ids), int(matched.video.max()) + 1)
    groups = GroundTruthGroups.build(matched.gt_class, gt.gt_video, num_videos)
    group = groups.group_of(matched.pred_class[rows].astype(np.int64) * num_videos + matched.video[rows])
    lengths = groups.counts[group]  # (R,) every true positive has a group
    width = int(lengths.max())
    slot = np.arange(width)
    valid = slot[None, :] < lengths[:, None]  # (R, K)
    candidates = np.where(valid, groups.order[np.minimum(groups.starts[group][:, None] + slot, len(gt) - 1)], -1)
    tiou = np.where(valid, segment_tiou(matched.start[rows, None], matched.end[rows, None],
                                        gt.gt_start[candidates], gt.gt_end[candidates]), -np.inf)
    order = _preference_order(tiou, lengths)
    candidates = np.take_along_axis(candidates, order, axis=1)
    tiou = np.take_along_axis(tiou, order, axis=1)
    reaches = ~(tiou[None] < matched.tiou_thresholds[:, None, None]) & valid[None]  # (T, R, K), NaN passes
    locked = np.zeros((num_thr, len(gt) + 1), dtype=bool)  # last column: padding
    round_of = np.empty(rows.size, dtype=np.int64)  # rank of each row inside its group
    by_group = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[by_group], group[by_group])
    round_of[by_group] = np.arange(rows.size) - starts
    thr_index = np.arange(num_thr)[:, None]
    for r in range(int(round_of.max()) + 1):
        these = np.flatnonzero(round_of == r)
        cand = candidates[these]  # (S, K); the groups of one round are disjoint
        free = reaches[:, these] & ~locked[:, cand]  # (T, S, K)
        first = np.argmax(free, axis=2)  # (T, S)
        hit = matched.tp[:, rows[these]]  # (T, S): the evaluator's verdict
        choice = np.where(hit, cand[np.arange(these.size)[None, :], first], -1)
        taken[:, rows[these]] = choice
        locked[thr_index, np.where(hit, choice, len(gt))] = True
    return taken
