"""Sensitivity of mAP to action length and coverage (DETAD, Alwassel et al., ECCV 2018).

Ground-truth instances are put into bins by a characteristic: **length** (seconds) or
**coverage** (length / video duration). For each bin, as DETAD does, AP is computed per class
with only that bin's instances as positives, from the class's predictions minus those that
matched (at any threshold) an instance outside the bin; false positives all stay. The mean
over the classes that have instances in the bin, and over the thresholds, is the bin's
average-mAP. DETAD uses normalized AP (AP_N) here: a small bin would otherwise be swamped by
every false positive of the class, and its mAP would say more about its size than about the
detector.

Default bins, DETAD's: ActivityNet length (0, 30, 60, 120, 180, ∞] s, coverage (0, .2, .4, .6,
.8, 1]; THUMOS14 (also used for EPIC-Kitchens and Ego4D) length (0, 3, 6, 12, 18, ∞] s,
coverage (0, .02, .04, .06, .08, 1]. Intervals
are closed on the right, the first also on the left; instances outside every bin (coverage > 1,
an unknown duration) are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .matched import MatchedPredictions, average_precision, matched_instances

BIN_NAMES = ("XS", "S", "M", "L", "XL")
DEFAULT_BINS: Dict[str, Dict[str, Tuple[float, ...]]] = {
    "anet": {"length": (0, 30, 60, 120, 180, math.inf), "coverage": (0, 0.2, 0.4, 0.6, 0.8, 1.0)},
    "thumos": {"length": (0, 3, 6, 12, 18, math.inf), "coverage": (0, 0.02, 0.04, 0.06, 0.08, 1.0)},
}


@dataclass
class BinResult:
    """One bin of one characteristic."""

    name: str
    low: float
    high: float
    num_instances: int
    average_map: float  # NaN when the bin is empty


@dataclass
class SensitivityAnalysis:
    """Average-mAP(_N) per bin, per characteristic; the overall value for reference."""

    base_average_map: float
    characteristics: Dict[str, List[BinResult]]
    normalized: bool
    left_out: Dict[str, int]  # characteristic -> instances in no bin

    def to_dict(self) -> Dict[str, object]:
        """JSON-ready (fractions; NaN as None)."""
        def clean(value: float) -> Optional[float]:
            return None if math.isnan(value) else float(value)

        return {
            "normalized_ap": self.normalized,
            "base_average_mAP": clean(self.base_average_map),
            "left_out": dict(self.left_out),
            "characteristics": {
                name: [{"bin": b.name, "low": b.low if math.isfinite(b.low) else None,
                        "high": b.high if math.isfinite(b.high) else None,
                        "num_instances": b.num_instances, "average_mAP": clean(b.average_map)} for b in bins]
                for name, bins in self.characteristics.items()},
        }


def instance_characteristics(matched: MatchedPredictions) -> Dict[str, np.ndarray]:
    """(G,) length in seconds and coverage (length / duration; NaN without a duration) per instance."""
    gt = matched.gt
    length = gt.gt_end - gt.gt_start
    durations = gt.durations if gt.durations is not None else np.full(len(gt.video_ids), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = length / durations[gt.gt_video]
    return {"length": length, "coverage": coverage}


def assign_bins(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """(G,) bin index of each value, right-closed intervals, the first closed; -1 outside / NaN."""
    edges_array = np.asarray(edges, dtype=np.float64)
    if edges_array.ndim != 1 or edges_array.size < 2 or np.any(np.diff(edges_array) <= 0):
        raise ValueError(f"bin edges must be at least two increasing numbers, got {list(edges)}")
    index = np.searchsorted(edges_array, values, side="left") - 1
    index[values == edges_array[0]] = 0
    index[(index < 0) | (index >= edges_array.size - 1) | np.isnan(values)] = -1
    return index


def analyze_sensitivity(matched: MatchedPredictions, bins: Dict[str, Sequence[float]],
                        normalize: bool = True) -> SensitivityAnalysis:
    """Average-mAP per bin of each characteristic in ``bins`` ({"length": edges, "coverage": edges})."""
    values = instance_characteristics(matched)
    unknown = sorted(set(bins) - set(values))
    if unknown:
        raise ValueError(f"unknown characteristic(s) {unknown}; known: {sorted(values)}")
    taken = matched_instances(matched)  # (T, N)
    num_classes = len(matched.class_ids)
    base = float(np.nanmean(average_precision(matched, normalize=normalize)))
    results: Dict[str, List[BinResult]] = {}
    left_out: Dict[str, int] = {}
    for name, edges in bins.items():
        index = assign_bins(values[name], edges)
        left_out[name] = int((index < 0).sum())
        results[name] = []
        for b in range(len(edges) - 1):
            in_bin = index == b
            # predictions that took an instance outside the bin at any threshold are left out
            outside = ((taken >= 0) & ~in_bin[np.maximum(taken, 0)]).any(axis=0)
            tp = (taken >= 0) & ~outside[None, :]
            npos = np.bincount(matched.gt_class[in_bin], minlength=num_classes)
            ap = average_precision(matched, ~outside, num_positives=npos, tp=tp, normalize=normalize)
            value = float(np.nanmean(ap)) if npos.any() else math.nan
            label = BIN_NAMES[b] if len(edges) - 1 == len(BIN_NAMES) else f"B{b + 1}"  # custom bins
            results[name].append(BinResult(label, float(edges[b]), float(edges[b + 1]), int(in_bin.sum()), value))
    return SensitivityAnalysis(base, results, normalize, left_out)


SHORT_ACTION_DATASETS = ("thumos", "epic", "ego4d")  # short actions in long videos


def default_bins(dataset: str) -> Dict[str, Tuple[float, ...]]:
    """DETAD's THUMOS14 bins for THUMOS14, EPIC-Kitchens and Ego4D (short actions in long videos:
    ActivityNet's bins would put nearly all of them in XS); ActivityNet's for the others."""
    return dict(DEFAULT_BINS["thumos" if dataset in SHORT_ACTION_DATASETS else "anet"])
