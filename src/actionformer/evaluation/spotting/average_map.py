"""SoccerNet-v2 action-spotting average-mAP, number for number as ``SoccerNet.Evaluation.ActionSpotting``.

The reference's rules, which this module reproduces (tests compare it with stored outputs of
the reference, to 1e-9):

- Events and predictions are snapped to a grid of ``framerate`` frames per second: a time in
  milliseconds ``ms`` falls on frame ``int(framerate * ms / 1000)``. One ground-truth event and
  one prediction per (video, class, frame): the last one written wins.
- For a tolerance ``delta`` (seconds; ``d = delta * framerate`` frames), ground-truth events are
  taken in time order; each takes the highest-scoring unmatched prediction of its class and video
  with ``|frame difference| <= d / 2`` (score ties: the earlier frame).
- Per class, precision and recall at 200 confidence thresholds ``linspace(0, 1, 200)``
  (``score >= threshold``), then 11-point interpolated AP; mAP is the mean over *all* classes (a
  class without events scores 0).
- Visible / unshown variants: a prediction belongs to the variant of the ground-truth event
  nearest to it on its class's timeline (the boundary between two events is the floor of their
  midpoint; in a video without events of the class, every prediction is "unshown").
- a-mAP: trapezoidal average of mAP over the tolerances (tight 1..5 s, loose 5..60 s); the unshown
  a-mAP is multiplied by 17/13 as the reference does (13 of SoccerNet-v2's 17 classes have unshown
  events).

Two differences, both outside what SoccerNet data can contain: the reference clamps every frame to
a 2-hour grid (14400 frames at 2 fps) and wraps negative frames around it; here frames are kept
as they are (videos may be longer) and predictions at negative times are dropped by the caller.

Instead of the reference's Python loops over events, predictions and thresholds, matching runs as
rounds (round k processes the k-th event of every (tolerance, video, class) at once) and the
threshold counts are suffix sums of one bincount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from .events import SpottingEvents, SpottingPredictions

TIGHT_TOLERANCES = np.arange(5) * 1 + 1  # seconds, SoccerNet-v3 / challenge "tight"
LOOSE_TOLERANCES = np.arange(12) * 5 + 5  # seconds, SoccerNet-v1/v2 "loose"
_THRESHOLDS = np.linspace(0, 1, 200)
_RECALL_POINTS = np.arange(11) / 10
_UNSHOWN_SCALE = 17 / 13  # the reference's constant


@dataclass(frozen=True)
class AverageMapResult:
    """mAP per tolerance (fractions), per class, for all / visible / unshown events, and their averages."""

    tolerances: np.ndarray  # (K,) seconds
    mAP: np.ndarray  # (K,)
    mAP_visible: np.ndarray  # (K,)
    mAP_unshown: np.ndarray  # (K,)
    ap: np.ndarray  # (K, C)
    ap_visible: np.ndarray  # (K, C)
    ap_unshown: np.ndarray  # (K, C)
    a_mAP: float
    a_mAP_visible: float
    a_mAP_unshown: float  # x 17/13 when several tolerances, as the reference
    a_mAP_per_class: np.ndarray  # (C,)
    a_mAP_per_class_visible: np.ndarray  # (C,)
    a_mAP_per_class_unshown: np.ndarray  # (C,)


def grid_frames(time_s: np.ndarray, framerate: int) -> np.ndarray:
    """Frame on the ``framerate`` grid of times in seconds: milliseconds first (rounded, as a
    SoccerNet results file stores them), then ``int(framerate * ms / 1000)`` as the reference."""
    ms = np.rint(np.asarray(time_s, dtype=np.float64) * 1000.0)
    return np.trunc(framerate * (ms / 1000.0)).astype(np.int64)


def _last_per_cell(group: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Indices (sorted by group, then frame) of the last entry written on each (group, frame)."""
    order = np.lexsort((np.arange(len(group)), frame, group))
    g, f = group[order], frame[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (g[1:] != g[:-1]) | (f[1:] != f[:-1])
    return order[last]


def _closest_visibility(gt_group: np.ndarray, gt_frame: np.ndarray, gt_value: np.ndarray,
                        pred_group: np.ndarray, pred_frame: np.ndarray, span: int) -> np.ndarray:
    """+1 / -1: visibility of the ground-truth event owning each prediction's frame (-1 where the
    group has no event). Event i owns frames from ``(g[i-1] + g[i]) // 2`` (0 for the first)."""
    first = np.ones(len(gt_group), dtype=bool)
    first[1:] = gt_group[1:] != gt_group[:-1]
    start = np.zeros(len(gt_group), dtype=np.int64)
    start[~first] = (gt_frame[:-1][~first[1:]] + gt_frame[1:][~first[1:]]) // 2
    owner = np.searchsorted(gt_group * span + start, pred_group * span + pred_frame, side="right") - 1
    safe = np.clip(owner, 0, max(len(gt_group) - 1, 0))
    found = (owner >= 0) & (gt_group[safe] == pred_group) if len(gt_group) else np.zeros(len(owner), bool)
    return np.where(found, gt_value[safe] if len(gt_group) else 0, -1)


def _match(gt_key: np.ndarray, gt_rank: np.ndarray, pred_key: np.ndarray, pred_score: np.ndarray,
           radii: np.ndarray) -> np.ndarray:
    """(K, P) bool: prediction matched at tolerance k. Keys are ``group * span + frame``, both
    sorted; events of a group are taken in frame order, one round per rank within the group."""
    num_pred = len(pred_key)
    lo = np.searchsorted(pred_key, gt_key[None, :] - radii[:, None], side="left")  # (K, G)
    hi = np.searchsorted(pred_key, gt_key[None, :] + radii[:, None], side="right")
    matched = np.zeros(len(radii) * num_pred, dtype=bool)
    tol_index = np.broadcast_to(np.arange(len(radii))[:, None], lo.shape)
    for rank in range(int(gt_rank.max()) + 1 if len(gt_rank) else 0):
        sel = (gt_rank == rank)[None, :] & (hi > lo)
        if not sel.any():
            continue
        start, length = lo[sel], (hi - lo)[sel]
        base = tol_index[sel] * num_pred + start  # flat index of each window's first prediction
        seg_start = np.cumsum(length) - length
        flat = np.arange(int(length.sum())) - np.repeat(seg_start - base, length)
        score = np.where(matched[flat], -np.inf, pred_score[flat % num_pred])
        best = np.repeat(np.maximum.reduceat(score, seg_start), length)
        hit = np.flatnonzero((score == best) & (score > -np.inf))
        segment = np.repeat(np.arange(len(length)), length)[hit]
        _, first = np.unique(segment, return_index=True)  # earliest frame among equal scores
        matched[flat[hit[first]]] = True
    return matched.reshape(len(radii), num_pred)


def _counts_at_thresholds(label: np.ndarray, score: np.ndarray, weight: np.ndarray, num_classes: int) -> np.ndarray:
    """(..., C, 200): sum of ``weight`` over predictions of each class with score >= each threshold."""
    passed = np.searchsorted(_THRESHOLDS, score, side="right")  # thresholds at or below the score
    bins = len(_THRESHOLDS) + 1
    lead = weight.shape[:-1]
    flat_w = weight.reshape(int(np.prod(lead)), weight.shape[-1])  # explicit: P may be 0
    cells = label * bins + passed
    hist = np.stack([np.bincount(cells, weights=w, minlength=num_classes * bins) for w in flat_w])
    hist = hist.reshape(len(flat_w), num_classes, bins)
    at_least = np.cumsum(hist[..., ::-1], axis=-1)[..., ::-1]  # (·, C, bins): passed >= b
    return at_least[..., 1:].reshape(*lead, num_classes, len(_THRESHOLDS))


def _interpolated_ap(tp: np.ndarray, num_pred: np.ndarray, num_gt: np.ndarray) -> np.ndarray:
    """(K, C) 11-point interpolated AP from true-positive and prediction counts at each threshold."""
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(tp / num_pred)
        recall = np.nan_to_num(tp / num_gt[..., None])
    ap = np.zeros(tp.shape[:-1])
    for point in _RECALL_POINTS:
        ap += np.where(recall >= point, precision, 0.0).max(axis=-1)
    return ap / 11


def _trapezoid(values: Sequence[float]) -> float:
    if len(values) == 1:
        return float(values[0])
    integral = 0.0
    for i in range(len(values) - 1):
        integral += (values[i] + values[i + 1]) / 2
    return integral / (len(values) - 1)


def _prepare(events: SpottingEvents, preds: SpottingPredictions, framerate: int) -> Tuple[np.ndarray, ...]:
    """Events and predictions on the grid, one per (video, class, frame), sorted by group then frame."""
    num_classes = len(events.classes)
    gt_group = events.video * num_classes + events.label
    gt_frame = grid_frames(events.time, framerate)
    keep = _last_per_cell(gt_group, gt_frame)
    gt_group, gt_frame, gt_value = gt_group[keep], gt_frame[keep], np.where(events.visible[keep], 1, -1)
    pred_group = preds.video * num_classes + preds.label
    pred_frame = grid_frames(preds.time, framerate)
    keep = _last_per_cell(pred_group, pred_frame)
    pred_group, pred_frame, pred_score = pred_group[keep], pred_frame[keep], preds.score[keep]
    valid = pred_score >= 0  # the reference's "no prediction" value is -1
    return gt_group, gt_frame, gt_value, pred_group[valid], pred_frame[valid], pred_score[valid]


def soccernet_average_map(events: SpottingEvents, preds: SpottingPredictions,
                          tolerances: Sequence[float] = TIGHT_TOLERANCES, framerate: int = 2) -> AverageMapResult:
    """SoccerNet's average-mAP over ``tolerances`` (seconds) on a ``framerate`` grid."""
    num_classes = len(events.classes)
    gt_group, gt_frame, gt_value, pred_group, pred_frame, pred_score = _prepare(events, preds, framerate)
    tolerances = np.asarray(tolerances)
    radii = np.floor(tolerances * framerate / 2).astype(np.int64)  # |frame diff| integer: <= d/2
    top = max(int(gt_frame.max(initial=0)), int(pred_frame.max(initial=0)))
    span = top + 2 * int(radii.max(initial=0)) + 2  # keys of two groups never interleave
    gt_key, pred_key = gt_group * span + gt_frame, pred_group * span + pred_frame
    first = np.searchsorted(gt_group, gt_group, side="left")
    matched = _match(gt_key, np.arange(len(gt_group)) - first, pred_key, pred_score, radii)

    closest = _closest_visibility(gt_group, gt_frame, gt_value, pred_group, pred_frame, span)
    label = pred_group % num_classes
    masks = np.stack([np.ones(len(label), bool), closest > 0, closest < 0]).astype(np.float64)  # (3, P)
    num_pred = _counts_at_thresholds(label, pred_score, masks, num_classes)  # (3, C, T)
    tp = _counts_at_thresholds(label, pred_score, masks[:, None, :] * matched[None], num_classes)  # (3, K, C, T)
    gt_label = gt_group % num_classes
    visible_gt = np.bincount(gt_label[gt_value > 0], minlength=num_classes).astype(np.float64)
    unshown_gt = np.bincount(gt_label[gt_value < 0], minlength=num_classes).astype(np.float64)
    num_gt = np.stack([visible_gt + unshown_gt, visible_gt, unshown_gt])
    ap = [_interpolated_ap(tp[v], num_pred[v][None], num_gt[v][None]) for v in range(3)]  # 3 x (K, C)
    maps = [np.array([np.mean(a[k]) for k in range(len(tolerances))]) for a in ap]
    per_class = [np.array([_trapezoid(a[:, c]) for c in range(num_classes)]) for a in ap]
    unshown = _trapezoid(maps[2]) * (_UNSHOWN_SCALE if len(tolerances) > 1 else 1.0)
    return AverageMapResult(tolerances.astype(np.float64), maps[0], maps[1], maps[2], ap[0], ap[1], ap[2],
                            _trapezoid(maps[0]), _trapezoid(maps[1]), unshown, *per_class)
