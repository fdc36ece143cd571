"""Greedy matching of score-sorted predictions to ground truth, vectorized.

What the references (the official ActivityNet evaluator and the original release) do, one
prediction at a time: sort a class's predictions with numpy's default ``argsort`` of the scores,
reversed; for each prediction, walk the ground truth of its video in the order of the reversed
default ``argsort`` of the tIoUs and take the first one that is unmatched, stopping at the first
tIoU below the threshold.

Here the same decisions are taken in rounds: only predictions of the same (class, video) group
interact, so round ``j`` matches the ``j``-th prediction of every group at once, for every
threshold at once. Tie orders come from the very same numpy ``argsort`` calls on arrays of the
same values and lengths (a 2-D ``argsort`` along the last axis sorts each row exactly as a 1-D
call on that row would), so results are identical to the references to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np


def segment_tiou(pred_start: np.ndarray, pred_end: np.ndarray, gt_start: np.ndarray, gt_end: np.ndarray) -> np.ndarray:
    """Elementwise temporal IoU, with the references' operation order (bit-identical values)."""
    intersection = (np.minimum(pred_end, gt_end) - np.maximum(pred_start, gt_start)).clip(0)
    union = (gt_end - gt_start) + (pred_end - pred_start) - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        return intersection / union


def run_starts(sorted_keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(index where each run of equal keys starts, run number of every element)."""
    change = np.ones(sorted_keys.shape[0], dtype=bool)
    change[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return np.flatnonzero(change), np.cumsum(change) - 1


@dataclass(frozen=True)
class GroundTruthGroups:
    """Ground truth grouped by (class, video); database order kept inside a group."""

    order: np.ndarray  # (G,) ground-truth index at each grouped position
    keys: np.ndarray  # (M,) sorted group keys: class * num_videos + video
    starts: np.ndarray  # (M,) first grouped position of each group
    counts: np.ndarray  # (M,) instances per group

    @classmethod
    def build(cls, gt_class: np.ndarray, gt_video: np.ndarray, num_videos: int) -> "GroundTruthGroups":
        keys = gt_class.astype(np.int64) * num_videos + gt_video
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts, _ = run_starts(sorted_keys)
        counts = np.diff(np.append(starts, sorted_keys.shape[0]))
        return cls(order, sorted_keys[starts], starts, counts)

    def lookup(self, keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(instances in each key's group, 0 when none; first grouped position of the group)."""
        if self.keys.shape[0] == 0:
            zeros = np.zeros(keys.shape[0], dtype=np.int64)
            return zeros, zeros
        pos = np.minimum(np.searchsorted(self.keys, keys), self.keys.shape[0] - 1)
        found = self.keys[pos] == keys
        return np.where(found, self.counts[pos], 0), np.where(found, self.starts[pos], 0)


def class_sorted_order(pred_class: np.ndarray, pred_score: np.ndarray, num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """(prediction indices, class by class, each class by decreasing score; (C+1,) class offsets).

    Within a class the predictions keep input order before numpy's default (not stable)
    ``argsort``, reversed: the references' tie order.
    """
    by_class = np.argsort(pred_class, kind="stable")
    offsets = np.zeros(num_classes + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(pred_class, minlength=num_classes))
    order = np.empty_like(by_class)
    for c in range(num_classes):
        a, b = offsets[c], offsets[c + 1]
        if b > a:
            idx = by_class[a:b]
            order[a:b] = idx[np.argsort(pred_score[idx])[::-1]]
    return order, offsets


def _rank_within_groups(keys: np.ndarray) -> np.ndarray:
    """Position of each element among the earlier elements with the same key."""
    order = np.argsort(keys, kind="stable")
    starts, run = run_starts(keys[order])
    rank = np.empty(keys.shape[0], dtype=np.int64)
    rank[order] = np.arange(keys.shape[0]) - starts[run]
    return rank


def _ragged_arange(counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets (R+1,), row of each entry (E,), position of each entry inside its row (E,))."""
    offsets = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    row = np.repeat(np.arange(counts.shape[0]), counts)
    return offsets, row, np.arange(offsets[-1]) - offsets[row]


def greedy_match(
    gt_groups: GroundTruthGroups,
    gt_start: np.ndarray,
    gt_end: np.ndarray,
    pred_key: np.ndarray,
    pred_start: np.ndarray,
    pred_end: np.ndarray,
    tiou_thresholds: np.ndarray,
) -> np.ndarray:
    """(T, N) bool true positives of predictions given in class-sorted, score-sorted order.

    ``pred_key`` is ``class * num_videos + video``; ``gt_start`` / ``gt_end`` are in grouped order.
    """
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64)
    num_thr, num_pred = thresholds.shape[0], pred_key.shape[0]
    tp = np.zeros((num_thr, num_pred), dtype=bool)
    n_gt, first_gt = gt_groups.lookup(pred_key)
    candidates = np.flatnonzero(n_gt > 0)  # predictions whose group has ground truth
    if candidates.shape[0] == 0:
        return tp
    rank = _rank_within_groups(pred_key[candidates])
    by_round = np.argsort(rank, kind="stable")
    rows, rows_rank = candidates[by_round], rank[by_round]
    rows_n = n_gt[rows]
    offsets, entry_row, entry_pos = _ragged_arange(rows_n)
    entry_gt = first_gt[rows][entry_row] + entry_pos  # grouped ground-truth position, (E,)
    tiou = segment_tiou(pred_start[rows][entry_row], pred_end[rows][entry_row], gt_start[entry_gt], gt_end[entry_gt])
    _sort_rows_like_reference(tiou, entry_gt, offsets, rows_n)

    locked = np.zeros((num_thr, gt_start.shape[0]), dtype=bool)
    round_bounds = np.searchsorted(rows_rank, np.arange(rows_rank[-1] + 2))
    for a, b in zip(round_bounds[:-1], round_bounds[1:]):
        ea, eb = offsets[a], offsets[b]
        round_tiou, round_gt = tiou[ea:eb], entry_gt[ea:eb]
        # "not below" rather than ">=": a NaN tIoU passes the references' `tiou < thr` test too
        ok = ~(round_tiou[None, :] < thresholds[:, None]) & ~locked[:, round_gt]  # (T, E_j)
        width = eb - ea
        first = np.minimum.reduceat(np.where(ok, np.arange(width), width), offsets[a:b] - ea, axis=1)  # (T, R_j)
        hit = first < width
        tp[:, rows[a:b]] = hit
        thr_idx, row_idx = np.nonzero(hit)
        locked[thr_idx, round_gt[first[thr_idx, row_idx]]] = True
    return tp


def _sort_rows_like_reference(tiou: np.ndarray, entry_gt: np.ndarray, offsets: np.ndarray, rows_n: np.ndarray) -> None:
    """Reorder each row's entries by the reversed default argsort of its tIoUs, in place.

    Rows of equal length are sorted together: one 2-D argsort per distinct length.
    """
    for n in np.unique(rows_n):
        cols = offsets[:-1][rows_n == n][:, None] + np.arange(n)  # (S, n)
        row_tiou = tiou[cols]
        order = np.argsort(row_tiou, axis=1)[:, ::-1]
        tiou[cols] = np.take_along_axis(row_tiou, order, axis=1)
        entry_gt[cols] = np.take_along_axis(entry_gt[cols], order, axis=1)
