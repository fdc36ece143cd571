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

_DENSE_LIMIT = 1 << 24  # largest key for which a lookup table replaces a binary search


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


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative integers; 16-bit keys take numpy's radix sort."""
    if values.shape[0] and values.max() < 1 << 16 and values.min() >= 0:
        return np.argsort(values.astype(np.uint16), kind="stable")
    return np.argsort(values, kind="stable")


def index_lookup(table_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Position of each key in the sorted unique ``table_keys``, or -1 where absent."""
    if table_keys.shape[0] == 0 or keys.shape[0] == 0:
        return np.full(keys.shape[0], -1, dtype=np.int64)
    top = int(table_keys[-1])
    if 0 <= int(table_keys[0]) and top < _DENSE_LIMIT:  # a dense table beats a binary search
        dense = np.full(top + 2, -1, dtype=np.int64)
        dense[table_keys] = np.arange(table_keys.shape[0])
        return dense[np.clip(keys, -1, top + 1)]
    pos = np.minimum(np.searchsorted(table_keys, keys), table_keys.shape[0] - 1)
    return np.where(table_keys[pos] == keys, pos, -1)


@dataclass(frozen=True)
class GroundTruthGroups:
    """Ground truth grouped by (class, video); database order kept inside a group."""

    order: np.ndarray  # (G,) ground-truth index at each grouped position
    keys: np.ndarray  # (M,) sorted group keys: class * num_videos + video
    starts: np.ndarray  # (M,) first grouped position of each group
    counts: np.ndarray  # (M,) instances per group

    @classmethod
    def build(cls, gt_class: np.ndarray, gt_video: np.ndarray, num_videos: int) -> "GroundTruthGroups":
        """Group instances by (class index, video index); both (N,) int arrays."""
        keys = gt_class.astype(np.int64) * num_videos + gt_video
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts, _ = run_starts(sorted_keys)
        counts = np.diff(np.append(starts, sorted_keys.shape[0]))
        return cls(order, sorted_keys[starts], starts, counts)

    def group_of(self, keys: np.ndarray) -> np.ndarray:
        """(N,) group index of each (class, video) key, -1 for a group without ground truth."""
        return index_lookup(self.keys, keys)


def class_sorted_order(pred_class: np.ndarray, pred_score: np.ndarray, num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """(prediction indices, class by class, each class by decreasing score; (C+1,) class offsets).

    Within a class the predictions keep input order before numpy's default (not stable)
    ``argsort``, reversed: the references' tie order.
    """
    by_class = stable_argsort(pred_class)
    offsets = np.zeros(num_classes + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(pred_class, minlength=num_classes))
    order = np.empty_like(by_class)
    for c in range(num_classes):
        a, b = offsets[c], offsets[c + 1]
        if b > a:
            idx = by_class[a:b]
            order[a:b] = idx[np.argsort(pred_score[idx])[::-1]]
    return order, offsets


def _rank_within_groups(group: np.ndarray) -> np.ndarray:
    """Position of each element among the earlier elements of the same group."""
    order = stable_argsort(group)
    starts, run = run_starts(group[order])
    rank = np.empty(group.shape[0], dtype=np.int64)
    rank[order] = np.arange(group.shape[0]) - starts[run]
    return rank


def ragged_arange(counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets (R+1,), row of each entry (E,), position of each entry inside its row (E,))."""
    offsets = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    row = np.repeat(np.arange(counts.shape[0]), counts)
    return offsets, row, np.arange(offsets[-1]) - offsets[row]


@dataclass(frozen=True)
class _Candidates:
    """Predictions that can match, by round, with their ground-truth entries in preference order."""

    rows: np.ndarray  # (R,) prediction index, sorted by round (= rank inside the group)
    rows_rank: np.ndarray  # (R,)
    offsets: np.ndarray  # (R + 1,) each row's entries: offsets[r]:offsets[r + 1]
    tiou: np.ndarray  # (E,)
    entry_gt: np.ndarray  # (E,) grouped ground-truth position


def _candidates(gt_groups: GroundTruthGroups, gt_start: np.ndarray, gt_end: np.ndarray, pred_group: np.ndarray,
                pred_start: np.ndarray, pred_end: np.ndarray, lowest: float) -> _Candidates:
    candidates = np.flatnonzero(pred_group >= 0)  # predictions whose group has ground truth
    group = pred_group[candidates]
    rank = _rank_within_groups(group)
    by_round = stable_argsort(rank)
    rows, rows_rank, rows_group = candidates[by_round], rank[by_round], group[by_round]
    rows_n = gt_groups.counts[rows_group]
    # (prediction, instance) pairs are built a chunk of rows at a time, to bound memory
    row_ends = np.cumsum(rows_n)
    bounds = np.unique(np.concatenate([[0], np.searchsorted(row_ends, np.arange(_CHUNK, row_ends[-1], _CHUNK)),
                                       [rows.shape[0]]])) if rows.shape[0] else np.zeros(1, dtype=np.int64)
    kept_n, tious, gts = [], [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        n_eligible, tiou, entry_gt = _eligible_entries(gt_groups, gt_start, gt_end, rows[a:b], rows_group[a:b],
                                                       rows_n[a:b], pred_start, pred_end, lowest)
        kept_n.append(n_eligible)
        tious.append(tiou)
        gts.append(entry_gt)
    n_eligible = np.concatenate(kept_n) if kept_n else np.zeros(0, dtype=np.int64)
    keep = n_eligible > 0
    offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(n_eligible[keep])
    empty = np.zeros(0)
    return _Candidates(rows[keep], rows_rank[keep], offsets, np.concatenate(tious) if tious else empty,
                       np.concatenate(gts) if gts else empty.astype(np.int64))


_CHUNK = 1 << 22  # (prediction, instance) pairs per chunk


def _eligible_entries(gt_groups: GroundTruthGroups, gt_start: np.ndarray, gt_end: np.ndarray, rows: np.ndarray,
                      rows_group: np.ndarray, rows_n: np.ndarray, pred_start: np.ndarray, pred_end: np.ndarray,
                      lowest: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eligible entries per row, their tIoUs and grouped instances, row by row in preference order).

    An entry below the lowest threshold can never match ("not below" rather than ">=": a NaN tIoU
    passes the references' `tiou < thr` test). Only the order among the other entries of a row
    matters, and only rows with two or more of them need the references' argsort of the row.
    """
    offsets, entry_row, entry_pos = ragged_arange(rows_n)
    entry_gt = gt_groups.starts[rows_group][entry_row] + entry_pos  # (E,)
    entry_pred = rows[entry_row]
    tiou = segment_tiou(pred_start[entry_pred], pred_end[entry_pred], gt_start[entry_gt], gt_end[entry_gt])
    eligible = ~(tiou < lowest)
    n_eligible = np.bincount(entry_row, weights=eligible, minlength=rows.shape[0]).astype(np.int64)
    _sort_rows_like_reference(tiou, entry_gt, offsets, rows_n, n_eligible >= 2)
    eligible = ~(tiou < lowest)
    return n_eligible, tiou[eligible], entry_gt[eligible]


def greedy_match(
    gt_groups: GroundTruthGroups,
    gt_start: np.ndarray,
    gt_end: np.ndarray,
    pred_group: np.ndarray,
    pred_start: np.ndarray,
    pred_end: np.ndarray,
    tiou_thresholds: np.ndarray,
) -> np.ndarray:
    """(T, N) bool true positives of predictions given in class-sorted, score-sorted order.

    ``pred_group``: each prediction's (class, video) ground-truth group, -1 for none;
    ``gt_start`` / ``gt_end`` are in grouped order.
    """
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64)
    num_thr, num_gt = thresholds.shape[0], gt_start.shape[0]
    tp = np.zeros((num_thr, pred_group.shape[0]), dtype=bool)
    cand = _candidates(gt_groups, gt_start, gt_end, pred_group, pred_start, pred_end, thresholds.min())
    if cand.rows.shape[0] == 0:
        return tp
    locked = np.zeros((num_thr, num_gt + 1), dtype=bool)  # last column: a sink for misses
    round_bounds = np.flatnonzero(np.diff(cand.rows_rank, prepend=-1, append=cand.rows_rank[-1] + 1))
    for a, b in zip(round_bounds[:-1], round_bounds[1:]):
        ea, eb = cand.offsets[a], cand.offsets[b]
        round_tiou, round_gt = cand.tiou[ea:eb], cand.entry_gt[ea:eb]
        ok = ~(round_tiou[None, :] < thresholds[:, None])  # (T, E_j)
        if a > 0:  # in the first round nothing is matched yet
            ok &= ~locked[:, round_gt]
        width = eb - ea
        position = np.where(ok, np.arange(width, dtype=np.int32), np.int32(width))  # (T, E_j)
        first = np.minimum.reduceat(position, cand.offsets[a:b] - ea, axis=1)  # (T, R_j)
        hit = first < width
        tp[:, cand.rows[a:b]] = hit
        # the instance each hit takes; misses write into the sink column
        taken = np.where(hit, round_gt[np.minimum(first, width - 1)], num_gt)  # (T, R_j)
        locked[np.arange(num_thr)[:, None], taken] = True
    return tp


def _sort_rows_like_reference(tiou: np.ndarray, entry_gt: np.ndarray, offsets: np.ndarray, rows_n: np.ndarray,
                              selected: np.ndarray) -> None:
    """Reorder the selected rows' entries by the reversed default argsort of their tIoUs, in place.

    The argsort sees the whole row, as in the references; rows of equal length are sorted
    together, one 2-D argsort per distinct length.
    """
    for n in np.unique(rows_n[selected]):
        cols = offsets[:-1][selected & (rows_n == n)][:, None] + np.arange(n)  # (S, n)
        row_tiou = tiou[cols]
        order = np.argsort(row_tiou, axis=1)[:, ::-1]
        tiou[cols] = np.take_along_axis(row_tiou, order, axis=1)
        entry_gt[cols] = np.take_along_axis(entry_gt[cols], order, axis=1)
