"""False-positive analysis of Alwassel et al., "Diagnosing Error in Temporal Action Detectors"
(DETAD, ECCV 2018), on the evaluator's own matching.

At a tIoU threshold α, a prediction that is not a true positive is, by the ground-truth
instance of its video (any class) with which it has the highest tIoU:

- **double detection**: tIoU ≥ α and the same label (the instance was already taken by a
  higher-scoring prediction);
- **wrong label**: tIoU ≥ α, another label;
- **localization error**: 0.1 ≤ tIoU < α, the same label;
- **confusion**: 0.1 ≤ tIoU < α, another label;
- **background**: tIoU < 0.1 with every instance (or a video without any).

As in DETAD's code, only the instance of highest tIoU decides the label comparison, and the
predictions analysed are each class's top ``k x G_c`` by score (G_c: the class's instances;
DETAD uses k up to 10). The *profile* gives the share of each type among the top ``k x G``
predictions for k = 1..K, averaged over the thresholds; the *impact* is the average-mAP
gained when the predictions of one type are removed (at each threshold, the ones of that type
at that threshold), from the top ``K x G``. DETAD reports both with normalized AP (AP_N).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

import numpy as np

from actionformer.evaluation.matching import segment_tiou

from .matched import MatchedPredictions, average_precision

TRUE_POSITIVE = 0
DOUBLE_DETECTION = 1
WRONG_LABEL = 2
LOCALIZATION = 3
CONFUSION = 4
BACKGROUND = 5
ERROR_NAMES = ("true positive", "double detection", "wrong label", "localization", "confusion", "background")
MIN_TIOU = 0.1  # DETAD: below this tIoU with every instance, a prediction is background


@dataclass
class FalsePositiveAnalysis:
    """What ``analyze_false_positives`` measured; shares and mAPs are fractions."""

    tiou_thresholds: np.ndarray  # (T,)
    top_factors: List[int]  # k = 1..K
    profile: np.ndarray  # (K, 6) share of each type (ERROR_NAMES order) among the top k x G, mean over T
    band_profile: np.ndarray  # (K, 6) the same for ranks ((k-1) x G, k x G] only (DETAD's chart bins)
    num_analysed: np.ndarray  # (K,) predictions in the top k x G
    base_average_map: float  # average-mAP(_N) of the top K x G predictions
    average_map_gain: Dict[str, float]  # error type -> average-mAP gained by removing it
    normalized: bool

    def to_dict(self) -> Dict[str, object]:
        """JSON-ready (fractions)."""
        return {
            "tiou_thresholds": [float(t) for t in self.tiou_thresholds],
            "normalized_ap": self.normalized,
            "profile": {f"{k}G": dict(zip(ERROR_NAMES, map(float, row))) for k, row in zip(self.top_factors, self.profile)},
            "band_profile": {f"{k}G": dict(zip(ERROR_NAMES, map(float, row)))
                             for k, row in zip(self.top_factors, self.band_profile)},
            "num_analysed": {f"{k}G": int(n) for k, n in zip(self.top_factors, self.num_analysed)},
            "base_average_mAP": float(self.base_average_map),
            "average_mAP_gain": {name: float(v) for name, v in self.average_map_gain.items()},
        }


def best_overlaps(matched: MatchedPredictions) -> tuple:
    """((N,) highest tIoU of each prediction with any instance of its video, (N,) whether that
    instance has the prediction's label). The first instance (database order) wins a tie."""
    gt = matched.gt
    best_tiou = np.zeros(matched.start.shape[0])
    same_label = np.zeros(matched.start.shape[0], dtype=bool)
    gt_order = np.argsort(gt.gt_video, kind="stable")
    gt_bounds = np.searchsorted(gt.gt_video[gt_order], np.arange(len(gt.video_ids) + 1))
    pred_order = np.argsort(matched.video, kind="stable")
    pred_bounds = np.searchsorted(matched.video[pred_order], np.arange(len(gt.video_ids) + 1))
    for v in range(len(gt.video_ids)):
        instances = gt_order[gt_bounds[v]:gt_bounds[v + 1]]
        preds = pred_order[pred_bounds[v]:pred_bounds[v + 1]]
        if instances.size == 0 or preds.size == 0:
            continue  # no instance: tIoU 0, background
        tiou = segment_tiou(matched.start[preds, None], matched.end[preds, None],
                            gt.gt_start[None, instances], gt.gt_end[None, instances])  # (P, I)
        best = np.argmax(tiou, axis=1)
        best_tiou[preds] = tiou[np.arange(preds.size), best]
        same_label[preds] = matched.gt_class[instances[best]] == matched.pred_class[preds]
    return best_tiou, same_label


def error_types(matched: MatchedPredictions, min_tiou: float = MIN_TIOU) -> np.ndarray:
    """(T, N) type code of every prediction at every threshold (TRUE_POSITIVE ... BACKGROUND)."""
    best_tiou, same_label = best_overlaps(matched)
    thresholds = matched.tiou_thresholds[:, None]  # (T, 1)
    overlapping = best_tiou[None, :] >= thresholds
    near = ~overlapping & (best_tiou[None, :] >= min_tiou)
    types = np.full(matched.tp.shape, BACKGROUND, dtype=np.int64)
    types[overlapping] = np.where(np.broadcast_to(same_label, types.shape)[overlapping], DOUBLE_DETECTION, WRONG_LABEL)
    types[near] = np.where(np.broadcast_to(same_label, types.shape)[near], LOCALIZATION, CONFUSION)
    types[matched.tp] = TRUE_POSITIVE
    return types


def _shares(types: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """(6,) mean over thresholds of each type's share among the selected predictions."""
    if not selected.any():
        return np.zeros(len(ERROR_NAMES))
    counts = np.stack([np.bincount(row[selected], minlength=len(ERROR_NAMES)) for row in types])  # (T, 6)
    return counts.mean(axis=0) / selected.sum()


def analyze_false_positives(matched: MatchedPredictions, max_factor: int = 10, normalize: bool = True,
                            min_tiou: float = MIN_TIOU) -> FalsePositiveAnalysis:
    """DETAD's false-positive profile (k = 1..``max_factor``) and the impact of removing each type."""
    if max_factor < 1:
        raise ValueError(f"max_factor must be >= 1, got {max_factor}")
    types = error_types(matched, min_tiou)
    rank = matched.rank_in_class
    group_size = matched.num_positives[matched.pred_class]  # G_c of each prediction's class
    factors = list(range(1, max_factor + 1))
    profile, bands, counts = [], [], []
    for k in factors:
        top = rank < k * group_size
        profile.append(_shares(types, top))
        bands.append(_shares(types, top & (rank >= (k - 1) * group_size)))
        counts.append(int(top.sum()))
    analysed = rank < max_factor * group_size
    base = float(np.nanmean(average_precision(matched, analysed, normalize=normalize)))
    gains = {}
    for code in range(DOUBLE_DETECTION, BACKGROUND + 1):
        keep = analysed[None, :] & (types != code)
        gains[ERROR_NAMES[code]] = float(np.nanmean(average_precision(matched, keep, normalize=normalize))) - base
    return FalsePositiveAnalysis(matched.tiou_thresholds, factors, np.asarray(profile), np.asarray(bands),
                                 np.asarray(counts), base, gains, normalize)
