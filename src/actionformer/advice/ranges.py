"""Regression ranges and pyramid depth from the distribution of action half-spans.

Level ``l`` of the pyramid (stride ``s_l = scale_factor ** l``) learns the actions whose
half-span ``h`` (feature steps; what the model compares with the range) falls in its range.

- ``method="octave"`` (default): the original release's rule, ``[c * s_l, c * s_{l+1}]`` with
  ``c = 2`` (so ``h / s_l`` in [2, 4] on every level: each level sees its actions at the same
  scale, in strides). The data decide how many levels are needed (``suggest_num_levels``: the
  long actions must fit the top level's band) and, through each video's fps / stride, what a
  step is. On THUMOS14 this gives the original's ranges exactly.
- ``method="quantile"``: boundaries at the quantiles that give every level the same share of
  training actions, floored at ``min_stride_ratio * s_l`` (the seed fork's idea, corrected to
  half-spans). Kept for comparison: on synthetic data it lost 12 to 17 mAP points to the
  octave rule in four use cases of six (it puts long actions on fine levels, ``h / s`` of 20+),
  tied in one and won 4 in one; see docs/use_cases.md.

The top range ends at 10000 (the original's "unbounded").
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .stats import ActionStats, GridSpec, collect_stats

TOP = 10000.0
Annotations = Union[str, Any, ActionStats, Sequence[float], np.ndarray]


def _half_spans(annotations: Annotations, grid: Optional[GridSpec], train_split: Optional[Sequence[str]]) -> np.ndarray:
    """Positive half-spans (feature steps) from stats, an annotation file / db, or numbers."""
    if isinstance(annotations, ActionStats):
        spans = annotations.half_spans
    elif isinstance(annotations, (list, tuple, np.ndarray)):
        spans = np.asarray(annotations, dtype=np.float64).reshape(-1)
    else:
        spans = collect_stats(annotations, grid or GridSpec(), train_split).half_spans
    spans = spans[np.isfinite(spans) & (spans > 0)]
    if spans.size == 0:
        raise ValueError("compute_adaptive_ranges: no action with a positive length in the training split")
    return spans


def compute_adaptive_ranges(
    annotations: Annotations,
    num_levels: int,
    *,
    feat_stride: float = 16.0,
    default_fps: Optional[float] = None,
    train_split: Optional[Sequence[str]] = None,
    scale_factor: int = 2,
    fpn_start_level: int = 0,
    min_stride_ratio: float = 1.0,
    grid: Optional[GridSpec] = None,
    method: str = "octave",
    octave_ratio: float = 2.0,
) -> List[List[float]]:
    """``num_levels`` regression ranges ``[[lo, hi], ...]`` in feature steps (see the module doc).

    ``annotations``: an annotation file path or ``AnnotationDB`` (read with each video's fps,
    or ``default_fps``, and ``feat_stride``; training split only: ``train_split``, by default
    'training', or 'validation' in a file whose only subsets are Validation/Test as THUMOS14's),
    an ``ActionStats``, or the half-spans themselves.
    """
    if num_levels < 1:
        raise ValueError(f"compute_adaptive_ranges: num_levels must be >= 1, got {num_levels}")
    if method not in ("octave", "quantile"):
        raise ValueError(f"compute_adaptive_ranges: method must be 'octave' or 'quantile', got {method!r}")
    grid = grid or GridSpec(feat_stride=feat_stride, default_fps=default_fps)
    spans = _half_spans(annotations, grid, train_split)
    strides = [float(scale_factor) ** (level + fpn_start_level) for level in range(num_levels)]
    if method == "octave":
        bounds = [0.0] + [octave_ratio * strides[level] for level in range(1, num_levels)]
        bounds.append(max(TOP, math.ceil(float(spans.max())) + 1.0))
        return [[bounds[i], bounds[i + 1]] for i in range(num_levels)]
    bounds = [0.0]
    for level in range(1, num_levels):
        share = float(np.quantile(spans, level / num_levels))
        bound = max(round(max(share, min_stride_ratio * strides[level])), bounds[-1] + 1)
        bounds.append(float(bound))
    bounds.append(max(TOP, math.ceil(float(spans.max())) + 1.0))
    return [[bounds[i], bounds[i + 1]] for i in range(num_levels)]


def suggest_num_levels(half_spans: np.ndarray, scale_factor: int = 2, max_ratio: float = 4.0,
                       min_levels: int = 2, max_levels: int = 8) -> int:
    """Fewest levels whose top stride sees the long actions (99th percentile) at most
    ``max_ratio`` strides of half-span, as the original's levels do (``h / s`` in [2, 4])."""
    long_action = float(np.quantile(half_spans, 0.99)) if half_spans.size else 1.0
    levels = min_levels
    while levels < max_levels and long_action / scale_factor ** (levels - 1) > max_ratio:
        levels += 1
    return levels


def level_shares(half_spans: np.ndarray, ranges: Sequence[Sequence[float]]) -> List[float]:
    """Fraction of actions whose half-span lies in each range (as the assigner compares: lo <= h <= hi)."""
    total = max(half_spans.size, 1)
    return [float(((half_spans >= lo) & (half_spans <= hi)).sum()) / total for lo, hi in ranges]


@dataclasses.dataclass
class RangeAdvice:
    num_levels: int
    regression_range: List[List[float]]
    shares: List[float]  # of training actions per level, suggested ranges
    current_shares: Optional[List[float]]  # the same for the config's ranges, when given
    half_span_quantiles: Dict[str, float]

    def as_config(self, backbone_arch: Sequence[int] = (2, 2, 5)) -> Dict[str, Any]:
        arch = list(backbone_arch[:2]) + [self.num_levels - 1]
        return {"model": {"backbone_arch": arch, "regression_range": self.regression_range}}


def suggest_config_ranges(
    annotations: Annotations,
    *,
    num_levels: Optional[int] = None,
    current_ranges: Optional[Sequence[Sequence[float]]] = None,
    feat_stride: float = 16.0,
    default_fps: Optional[float] = None,
    train_split: Optional[Sequence[str]] = None,
    scale_factor: int = 2,
    grid: Optional[GridSpec] = None,
    method: str = "octave",
) -> RangeAdvice:
    """Number of levels (unless given) and their ranges, with the share of actions per level."""
    grid = grid or GridSpec(feat_stride=feat_stride, default_fps=default_fps)
    spans = _half_spans(annotations, grid, train_split)
    levels = num_levels or suggest_num_levels(spans, scale_factor)
    ranges = compute_adaptive_ranges(spans, levels, scale_factor=scale_factor, method=method)
    quantiles = {f"p{int(q * 100)}": float(np.quantile(spans, q)) for q in (0.01, 0.1, 0.5, 0.9, 0.99)}
    return RangeAdvice(
        num_levels=levels,
        regression_range=ranges,
        shares=level_shares(spans, ranges),
        current_shares=level_shares(spans, current_ranges) if current_ranges is not None else None,
        half_span_quantiles=quantiles,
    )
