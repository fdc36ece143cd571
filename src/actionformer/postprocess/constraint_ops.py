"""Vectorised numpy kernels behind the temporal rules (``constraints.py``).

Every kernel takes one video's detections as numpy arrays ``segments`` (N, 2) seconds,
``scores`` (N,), ``labels`` (N,) and per-detection rule values (NaN = no rule for that
detection's class). They loop only where the rule itself is sequential (greedy suppression
walks the detections in score order), over conflict pairs found without any n x n matrix
(``interval_greedy_keep``), so 3,000 detections take milliseconds.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

Arrays = Tuple[np.ndarray, np.ndarray, np.ndarray]
DENSE_PAIRS = 16  # conflict pairs per detection above which the walk compares rows instead


def score_order(scores: np.ndarray) -> np.ndarray:
    """Indices by descending score; ties keep the input order (so results are deterministic)."""
    return np.argsort(-scores, kind="stable")


def merge_runs(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray, merge_gap: np.ndarray) -> Arrays:
    """Merge same-class detections whose start is at most ``merge_gap`` after the furthest end
    seen so far in that class (the running maximum, so an event nested in a long one does not
    hide the long one's end). A merged detection spans its members and keeps their best score.
    Detections whose class has no gap (NaN) are never merged. Output in no particular order."""
    if segments.shape[0] == 0:
        return segments, scores, labels
    order = np.lexsort((segments[:, 1], segments[:, 0], labels))  # by class, then start
    segs, sc, lab, gap = segments[order], scores[order], labels[order], merge_gap[order]
    # running max of the end within each class, exactly: one cumulative max over integer keys
    # (class rank * n + rank of the end value) never carries across a class boundary
    n = segs.shape[0]
    sorted_ends = np.sort(segs[:, 1])
    end_rank = np.searchsorted(sorted_ends, segs[:, 1])
    class_rank = np.concatenate(([0], np.cumsum(lab[1:] != lab[:-1])))
    running_key = np.maximum.accumulate(class_rank * n + end_rank)
    running_end = sorted_ends[running_key - class_rank * n]
    previous_end = np.concatenate(([-np.inf], running_end[:-1]))
    same_class = np.concatenate(([False], lab[1:] == lab[:-1]))
    with np.errstate(invalid="ignore"):
        joins = same_class & ~np.isnan(gap) & (segs[:, 0] - previous_end <= gap)
    starts = np.flatnonzero(~joins)  # the first member of every merged run
    return (
        np.stack((np.minimum.reduceat(segs[:, 0], starts), np.maximum.reduceat(segs[:, 1], starts)), axis=1),
        np.maximum.reduceat(sc, starts),
        lab[starts],
    )


def duration_mask(segments: np.ndarray, min_duration: np.ndarray, max_duration: np.ndarray) -> np.ndarray:
    """True where the duration lies within [min, max] of its class (NaN bounds do not apply)."""
    duration = segments[:, 1] - segments[:, 0]
    with np.errstate(invalid="ignore"):
        too_short = duration < min_duration
        too_long = duration > max_duration
    return ~(too_short | too_long)


def interval_greedy_keep(s: np.ndarray, reach: np.ndarray, block: Optional[np.ndarray] = None,
                         labels: Optional[np.ndarray] = None, excludes: Optional[np.ndarray] = None) -> np.ndarray:
    """Keep mask over items sorted by descending score: an item is dropped when it conflicts with
    an earlier kept one. Items i, j conflict when ``s_j < reach_i`` and ``s_i < reach_j`` (each
    starts before the other's reach: its end, or end + min_gap), each ``s < reach`` itself, they
    are in the same ``block`` (the class, for min_gap) and, with ``excludes``, their labels
    exclude each other.

    Sorted by (block, start), the items that conflict with item a and start after it are exactly
    those of its block whose start is below reach_a: a contiguous run found by one searchsorted
    (on exact integer keys: block and the rank of the value). So the conflict pairs come out
    vectorised for all blocks at once; the walk in score order then touches each kept item's
    neighbours once. When the pairs are too many (dense overlaps), few items are kept, and each
    kept item is compared with all later ones in one vector operation instead."""
    n = s.shape[0]
    block = np.zeros(n, dtype=np.int64) if block is None else block
    own = s < reach
    values, ranks = np.unique(np.concatenate((s, reach)), return_inverse=True)  # exact order, ties equal
    width = values.shape[0] + 1
    start_key, reach_key = block * width + ranks[:n], block * width + ranks[n:]
    by_start = np.argsort(start_key, kind="stable")
    ends = np.searchsorted(start_key[by_start], reach_key[by_start], side="left")
    counts = np.maximum(ends - np.arange(n) - 1, 0)
    if counts.sum() > DENSE_PAIRS * max(n, 1):
        return _greedy_rows(s, reach, own, block, labels, excludes)
    first = np.repeat(np.arange(n), counts)  # positions in (block, start) order
    second = first + 1 + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    a, b = by_start[first], by_start[second]  # score-order indices
    valid = own[a] & own[b]
    if excludes is not None:
        valid &= excludes[labels[a], labels[b]]
    a, b = a[valid], b[valid]
    source, target = np.concatenate((a, b)), np.concatenate((b, a))
    # grouping by source needs no stable order; int16 keys get numpy's radix sort (several x faster)
    order = np.argsort(source.astype(np.int16), kind="stable") if n < 2 ** 15 else np.argsort(source)
    source, target = source[order], target[order]
    bounds = np.searchsorted(source, np.arange(n + 1)).tolist()
    removed = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(np.diff(bounds) > 0).tolist():  # only items with conflicts matter
        if not removed[i]:  # a kept item removes its later conflicts
            removed[target[bounds[i]:bounds[i + 1]]] = True
    return ~removed


def _greedy_rows(s: np.ndarray, reach: np.ndarray, own: np.ndarray, block: np.ndarray,
                 labels: Optional[np.ndarray], excludes: Optional[np.ndarray]) -> np.ndarray:
    """The same walk for dense conflicts: each kept item against all later ones at once."""
    n = s.shape[0]
    removed = np.zeros(n, dtype=bool)
    for i in range(n):
        if removed[i] or not own[i]:
            continue
        rest = slice(i + 1, None)
        hits = (s[rest] < reach[i]) & (s[i] < reach[rest]) & own[rest] & (block[rest] == block[i])
        if excludes is not None:
            hits &= excludes[labels[i]][labels[rest]]
        removed[rest] |= hits
    return ~removed


def min_gap_keep(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray, min_gap: np.ndarray) -> np.ndarray:
    """Keep mask: within each class with a gap rule, walking by descending score, drop a
    detection whose gap to a kept one (start of the later minus end of the earlier; negative
    when they overlap) is below the class's ``min_gap``: max(s_i, s_j) - min(e_i, e_j) < gap,
    i.e. each start lies before the other's end + gap (and before its own). All classes at once."""
    keep = np.ones(segments.shape[0], dtype=bool)
    members = np.flatnonzero(~np.isnan(min_gap))
    if members.size < 2:
        return keep
    members = members[score_order(scores[members])]
    reach = segments[members, 1] + min_gap[members]
    keep[members] = interval_greedy_keep(segments[members, 0], reach, block=labels[members])
    return keep


def exclusive_keep(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                   excludes: np.ndarray) -> np.ndarray:
    """Keep mask: walking by descending score, drop a detection that overlaps (positive
    intersection: min(e) - max(s) > 0) a kept detection of a class it excludes. ``excludes``
    (C, C) bool: which class pairs cannot overlap (False on the diagonal)."""
    keep = np.ones(segments.shape[0], dtype=bool)
    num_classes = excludes.shape[0]
    in_range = (labels >= 0) & (labels < num_classes)
    involved = np.zeros(segments.shape[0], dtype=bool)
    involved[in_range] = excludes[labels[in_range]].any(axis=1)
    members = np.flatnonzero(involved)
    if members.size < 2:
        return keep
    members = members[score_order(scores[members])]
    s, e, lab = segments[members, 0], segments[members, 1], labels[members]
    keep[members] = interval_greedy_keep(s, e, labels=lab, excludes=excludes)
    return keep


def top_k_keep(scores: np.ndarray, k: int) -> np.ndarray:
    """Keep mask of the ``k`` best scores (ties: the earlier detection)."""
    keep = np.zeros(scores.shape[0], dtype=bool)
    keep[score_order(scores)[:k]] = True
    return keep
