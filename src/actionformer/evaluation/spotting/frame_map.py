"""Frame-tolerance mAP, as E2E-Spot (Hong et al., ECCV 2022) and T-DEED report it.

Per class, predictions of every video are ranked by score (ties keep input order); each one in
turn takes the nearest not-yet-matched ground-truth event of its class and video (ties: the
earlier event) and is a true positive when that event lies within ``tolerance``. AP is the sum,
over true positives, of the interpolated precision (the running maximum from the lowest score
up), divided by the number of events; mAP is the mean over the classes that have events.
E2E-Spot's one quirk is kept: events of a class at the same position of a video are matched once
but counted as many times as they appear.

Positions are integers here (grid frames, or microseconds when tolerances are in seconds), so
``|difference| <= tolerance`` is exact. An event cluster (events of a group whose tolerance
windows chain together) with a single event is matched in one vectorised step: the best-ranked
prediction in its window takes it. Only clusters of several events, rare at the small tolerances
this metric is used with, run the sequential rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np


@dataclass(frozen=True)
class FrameMapResult:
    tolerances: np.ndarray  # (K,) in the caller's unit
    mAP: np.ndarray  # (K,) fractions
    ap: np.ndarray  # (K, C); NaN for a class without events (left out of the mean)


def _sequential_cluster(event_pos: np.ndarray, candidates: np.ndarray, pred_pos: np.ndarray,
                        tolerance: int, tp: np.ndarray) -> None:
    """E2E-Spot's rule inside one cluster: ``candidates`` (prediction indices, best rank first)."""
    taken = np.zeros(len(event_pos), dtype=bool)
    for p in candidates:
        distance = np.where(taken, np.iinfo(np.int64).max, np.abs(event_pos - pred_pos[p]))
        nearest = int(np.argmin(distance))  # first of equal distances = the earlier event
        if distance[nearest] <= tolerance:
            taken[nearest] = True
            tp[p] = True


def _true_positives(event_group: np.ndarray, event_pos: np.ndarray, pred_group: np.ndarray,
                    pred_pos: np.ndarray, tolerance: int) -> np.ndarray:
    """(P,) bool for predictions given in rank order; events unique and sorted by (group, position)."""
    tp = np.zeros(len(pred_pos), dtype=bool)
    if len(event_pos) == 0 or len(pred_pos) == 0:
        return tp
    span = int(max(event_pos.max(), pred_pos.max())) + 2 * tolerance + 2
    event_key, pred_key = event_group * span + event_pos, pred_group * span + pred_pos
    lo = np.searchsorted(event_key, pred_key - tolerance, side="left")
    hi = np.searchsorted(event_key, pred_key + tolerance, side="right")
    is_candidate = hi > lo
    # clusters: consecutive events of a group at most 2 * tolerance apart share predictions
    new_cluster = np.ones(len(event_key), dtype=bool)
    new_cluster[1:] = (event_group[1:] != event_group[:-1]) | (event_pos[1:] - event_pos[:-1] > 2 * tolerance)
    cluster = np.cumsum(new_cluster) - 1
    cluster_size = np.bincount(cluster)
    cand = np.flatnonzero(is_candidate)  # already in rank order
    cand_cluster = cluster[lo[cand]]
    single = cluster_size[cand_cluster] == 1
    _, first = np.unique(cand_cluster[single], return_index=True)  # best-ranked candidate per event
    tp[cand[single][first]] = True
    for c in np.unique(cand_cluster[~single]):
        members = np.flatnonzero(cluster == c)
        _sequential_cluster(event_pos[members], cand[cand_cluster == c], pred_pos, tolerance, tp)
    return tp


def unique_pairs(first: np.ndarray, second: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Distinct (first, second) pairs sorted by first then second (``np.unique(axis=1)``, faster)."""
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


def _average_precision(tp: np.ndarray, num_events: int) -> float:
    ranks = np.flatnonzero(tp) + 1
    precision = np.arange(1, len(ranks) + 1) / ranks
    interpolated = np.maximum.accumulate(precision[::-1])[::-1]
    return float(interpolated.sum() / num_events)


def frame_tolerance_map(event_video: np.ndarray, event_label: np.ndarray, event_pos: np.ndarray,
                        pred_video: np.ndarray, pred_label: np.ndarray, pred_pos: np.ndarray,
                        pred_score: np.ndarray, num_classes: int, tolerances: Sequence[int]) -> FrameMapResult:
    """mAP at each tolerance; positions and tolerances are integers in one unit (frames or µs)."""
    tolerances = np.asarray(tolerances, dtype=np.int64)
    ap = np.full((len(tolerances), num_classes), np.nan)
    for c in range(num_classes):
        mine = event_label == c
        if not mine.any():
            continue
        num_events = int(mine.sum())
        pair_video, pair_pos = unique_pairs(event_video[mine], event_pos[mine])
        preds = np.flatnonzero(pred_label == c)
        preds = preds[np.argsort(-pred_score[preds], kind="stable")]
        for k, tol in enumerate(tolerances):
            tp = _true_positives(pair_video, pair_pos, pred_video[preds], pred_pos[preds], int(tol))
            ap[k, c] = _average_precision(tp, num_events)
    with np.errstate(invalid="ignore"):
        maps = np.array([np.nanmean(row) if np.isfinite(row).any() else 0.0 for row in ap])
    return FrameMapResult(tolerances.astype(np.float64), maps, ap)
