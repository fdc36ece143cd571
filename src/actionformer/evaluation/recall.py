"""Recall@kx: per video and class, the top k × (instances of the class in the video) predictions.

The original release reports it for Ego4D (Recall@1x, Recall@5x): a ground-truth instance counts
as recalled at a threshold when any of those top predictions reaches that tIoU with it (no
one-to-one matching); the recall of a class divides by all its instances.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .matching import GroundTruthGroups, ragged_arange, run_starts, segment_tiou, stable_argsort


def _score_ranks(scores: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Rank of each element inside its run by the reversed default argsort (the references' order).

    Elements outside the given runs get the largest int64. Runs of equal size are ranked together, one 2-D argsort per distinct size.
    """
    rank = np.full(scores.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    for m in np.unique(sizes):
        cols = starts[sizes == m][:, None] + np.arange(m)  # (S, m)
        order = np.argsort(scores[cols], axis=1)[:, ::-1]  # order[i, r]: member with rank r
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.broadcast_to(np.arange(m), order.shape), axis=1)
        rank[cols] = ranks
    return rank


def recall_at_kx(
    gt_groups: GroundTruthGroups,
    gt_start: np.ndarray,
    gt_end: np.ndarray,
    gt_class: np.ndarray,
    pred_group: np.ndarray,
    pred_start: np.ndarray,
    pred_end: np.ndarray,
    pred_score: np.ndarray,
    tiou_thresholds: np.ndarray,
    top_k: Sequence[int],
    num_classes: int,
) -> np.ndarray:
    """(T, K, C) Recall@kx. Ground truth in grouped order; predictions in input order, with
    their (class, video) ground-truth group (-1 for none)."""
    thresholds = np.asarray(tiou_thresholds, dtype=np.float64)
    top_k = [int(k) for k in top_k]
    num_thr, num_gt = thresholds.shape[0], gt_start.shape[0]
    num_positives = np.bincount(gt_class, minlength=num_classes).astype(np.float64)
    recall = np.zeros((num_thr, len(top_k), num_classes))
    members = np.flatnonzero(pred_group >= 0)
    if members.shape[0] == 0 or not top_k:
        return recall
    by_group = members[stable_argsort(pred_group[members])]  # input order kept inside a group
    group = pred_group[by_group]
    starts, run = run_starts(group)
    sizes = np.diff(np.append(starts, group.shape[0]))
    rank = _score_ranks(pred_score[by_group], starts, sizes)
    member_n = gt_groups.counts[group]
    kept = np.flatnonzero(rank < max(top_k) * member_n)
    _, entry_row, entry_pos = ragged_arange(member_n[kept])
    entry_pred = by_group[kept][entry_row]
    entry_gt = gt_groups.starts[group[kept]][entry_row] + entry_pos  # (E,) grouped ground-truth position
    entry_rank = rank[kept][entry_row]
    tiou = segment_tiou(pred_start[entry_pred], pred_end[entry_pred], gt_start[entry_gt], gt_end[entry_gt])

    # best (smallest) score rank among the predictions reaching each threshold with each instance
    best_rank = np.full((num_thr, num_gt), np.iinfo(np.int64).max, dtype=np.int64)
    for t in range(num_thr):
        hit = tiou >= thresholds[t]
        np.minimum.at(best_rank[t], entry_gt[hit], entry_rank[hit])
    gt_n = np.repeat(gt_groups.counts, gt_groups.counts)  # (G,) instances in each instance's group
    grouped_class = gt_class[gt_groups.order]
    for ki, k in enumerate(top_k):
        covered = best_rank < k * gt_n[None, :]  # (T, G)
        for t in range(num_thr):
            hits = np.bincount(grouped_class, weights=covered[t], minlength=num_classes)
            recall[t, ki] = hits / num_positives
    return recall
