"""Vectorised numpy kernels behind the temporal rules (``constraints.py``).

Every kernel takes one video's detections as numpy arrays ``segments`` (N, 2) seconds,
``scores`` (N,), ``labels`` (N,) and per-detection rule values (NaN = no rule for that
detection's class). They loop only where the rule itself is sequential (greedy suppression
walks the detections in score order) and then only over the *kept* ones, each comparing itself
with all later ones in one vector operation, so 3,000 detections take milliseconds.
"""

from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

Arrays = Tuple[np.ndarray, np.ndarray, np.ndarray]
SMALL = 512  # up to this many detections in a greedy group, its full conflict matrix is cheaper


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


def greedy_keep(conflicts_after: Callable[[int], np.ndarray], n: int) -> np.ndarray:
    """Keep mask over ``n`` items already sorted by descending score: an item is kept unless it
    conflicts with an earlier kept item. ``conflicts_after(i)`` is the (n - i - 1,) bool row of
    item i against the items after it; it is asked only for kept items, so the cost is
    (kept x n) element-wise work and no n x n matrix is ever built."""
    removed = np.zeros(n, dtype=bool)
    for i in range(n):
        if not removed[i]:
            removed[i + 1:] |= conflicts_after(i)
    return ~removed


def min_gap_keep(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray, min_gap: np.ndarray) -> np.ndarray:
    """Keep mask: within each class with a gap rule, walking by descending score, drop a
    detection whose gap to a kept one (start of the later minus end of the earlier; negative
    when they overlap) is below the class's ``min_gap``: max(s_i, s_j) - min(e_i, e_j) < gap,
    i.e. each start lies before the other's end + gap (and before its own)."""
    keep = np.ones(segments.shape[0], dtype=bool)
    ruled = ~np.isnan(min_gap)
    for label in np.unique(labels[ruled]):
        members = np.flatnonzero(labels == label)
        members = members[score_order(scores[members])]
        s, e = segments[members, 0], segments[members, 1]
        reach = e + float(min_gap[members[0]])
        own = s < reach

        if members.size <= SMALL:  # one (n, n) matrix: fewer numpy calls per kept item
            matrix = (s[None, :] < reach[:, None]) & (s[:, None] < reach[None, :]) & own[:, None] & own[None, :]
            keep[members] = greedy_keep(lambda i, m=matrix: m[i, i + 1:], members.size)
            continue

        def closer(i: int, s=s, reach=reach, own=own) -> np.ndarray:
            rest = slice(i + 1, None)
            return (s[rest] < reach[i]) & (s[i] < reach[rest]) & own[rest] & own[i]

        keep[members] = greedy_keep(closer, members.size)
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
    own = s < e  # a zero-length segment overlaps nothing
    if members.size <= SMALL:
        matrix = ((s[None, :] < e[:, None]) & (s[:, None] < e[None, :]) & own[:, None] & own[None, :]
                  & excludes[lab[:, None], lab[None, :]])
        keep[members] = greedy_keep(lambda i: matrix[i, i + 1:], members.size)
        return keep

    def overlaps_excluded(i: int) -> np.ndarray:
        rest = slice(i + 1, None)
        return (s[rest] < e[i]) & (s[i] < e[rest]) & own[rest] & own[i] & excludes[lab[i]][lab[rest]]

    keep[members] = greedy_keep(overlaps_excluded, members.size)
    return keep


def top_k_keep(scores: np.ndarray, k: int) -> np.ndarray:
    """Keep mask of the ``k`` best scores (ties: the earlier detection)."""
    keep = np.zeros(scores.shape[0], dtype=bool)
    keep[score_order(scores)[:k]] = True
    return keep
