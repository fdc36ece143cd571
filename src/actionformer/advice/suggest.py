"""Recommendations for a config from its training data, each with its evidence.

Rules (docs/use_cases.md says why):
- pyramid levels: the config's, or more when the long actions need them (never fewer: fewer
  levels also means fewer backbone blocks); regression ranges: ``ranges.py``;
- ``max_seq_len``: the 75th percentile of the training videos' lengths (so three in four train
  uncropped), rounded up to the multiple the model needs, at most 4608 (memory); not changed
  with force_upsampling;
- local attention window: the config's, except a local window (19) where it asks for global
  attention (-1) on long videos (p75 > 2304 steps);
- flags: point events (most actions at most one feature step long), very short actions (over
  10% shorter than two steps), heavy overlap (over 30% of actions overlap another), few actions.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .ranges import RangeAdvice, suggest_config_ranges, suggest_num_levels
from .stats import ActionStats

MAX_SEQ_CAP = 4608


@dataclasses.dataclass
class Recommendation:
    key: str  # config path, or a topic for advice that is not one key
    current: Any
    suggested: Any
    evidence: str


@dataclasses.dataclass
class Advice:
    recommendations: List[Recommendation]
    notes: List[str]  # flags and what could not be checked
    ranges: RangeAdvice
    patch: Dict[str, Any]  # the suggested keys, nested as in a config


def _set(patch: Dict[str, Any], path: str, value: Any) -> None:
    node = patch
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def max_div_factor(num_levels: int, scale_factor: int, window: Any) -> int:
    """The multiple ``max_seq_len`` must be of (LocPointTransformer's rule)."""
    windows = window if isinstance(window, (list, tuple)) else [window] * num_levels
    factor = 1
    for level in range(num_levels):
        stride = scale_factor ** level
        w = int(windows[min(level, len(windows) - 1)])
        factor = max(factor, stride * (w // 2) * 2 if w > 1 else stride)
    return factor


def suggest_max_seq_len(stats: ActionStats, divisor: int) -> int:
    lengths = stats.video_lengths
    want = float(np.quantile(lengths, 0.75)) if lengths.size else 0.0
    capped = min(max(want, divisor), MAX_SEQ_CAP)
    return max(int(math.ceil(capped / divisor)) * divisor, divisor)


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else 0.0


def suggest(stats: ActionStats, cfg: Dict[str, Any]) -> Advice:
    """Recommendations for ``cfg`` (a resolved config) from the training split's statistics."""
    model, data = cfg.get("model") or {}, cfg.get("dataset") or {}
    scale = int(model.get("scale_factor", 2))
    arch = list(model.get("backbone_arch", [2, 2, 5]))
    current_ranges = model.get("regression_range")
    current_levels = arch[2] + 1 - int(model.get("fpn_start_level", 0))
    needed = suggest_num_levels(stats.half_spans[stats.half_spans > 0], scale)
    # never fewer levels than the config has: backbone_arch[2] is also the number of downsampling
    # transformer blocks, so fewer levels would also make the model shallower (bench: worse)
    levels = max(needed, current_levels)
    ranges = suggest_config_ranges(stats, num_levels=levels, current_ranges=current_ranges, scale_factor=scale)
    recs: List[Recommendation] = []
    patch: Dict[str, Any] = {}
    notes: List[str] = []
    q = ranges.half_span_quantiles

    new_arch = arch[:2] + [ranges.num_levels - 1]
    why = (f"p99 half-span {q['p99']:.1f} steps needs {needed} levels (<= 4 strides of the top level); "
           f"{'kept' if levels == current_levels else 'more than'} the config's {current_levels}")
    recs.append(Recommendation("model.backbone_arch", arch, new_arch, why))
    shares = ", ".join(f"{s:.0%}" for s in ranges.shares)
    evidence = f"h / stride in [2, 4] per level (the original's rule); share of training actions per level: {shares}"
    if ranges.current_shares is not None and ranges.regression_range != current_ranges:
        evidence += "; with the current ranges: " + ", ".join(f"{s:.0%}" for s in ranges.current_shares)
    recs.append(Recommendation("model.regression_range", current_ranges, ranges.regression_range, evidence))
    _set(patch, "model.backbone_arch", new_arch)
    _set(patch, "model.regression_range", ranges.regression_range)

    window = _suggest_window(stats, model, data, recs, patch, ranges.num_levels, scale)
    if not data.get("force_upsampling"):
        divisor = max_div_factor(ranges.num_levels, scale, window)
        seq = suggest_max_seq_len(stats, divisor)
        fit = _share(stats.video_lengths <= seq)
        source = "feature files" if stats.lengths_from_features else "duration x fps / feat_stride"
        recs.append(Recommendation("dataset.max_seq_len", data.get("max_seq_len"), seq,
                                   f"p75 video length {np.quantile(stats.video_lengths, 0.75):.0f} steps ({source}); "
                                   f"{fit:.0%} of training videos fit uncropped; multiple of {divisor}"))
        _set(patch, "dataset.max_seq_len", seq)
    else:
        notes.append("dataset.force_upsampling: every video is resized to max_seq_len; its value is kept")
    notes += _flags(stats)
    return Advice(recs, notes, ranges, patch)


def _suggest_window(stats: ActionStats, model: Dict[str, Any], data: Dict[str, Any], recs: List[Recommendation],
                    patch: Dict[str, Any], num_levels: int, scale: int) -> Any:
    current = model.get("n_mha_win_size", -1)
    lengths = stats.video_lengths
    long_videos = not data.get("force_upsampling") and lengths.size > 0 and float(np.quantile(lengths, 0.75)) > 2304
    median_len = 2 * float(np.median(stats.half_spans)) if stats.half_spans.size else 0.0
    context = (f"median action {median_len:.0f} steps at level 0, {median_len / scale ** (num_levels - 1):.1f} "
               "at the top")
    if current in (-1, None) and long_videos:
        suggested = 19
        why = f"p75 video > 2304 steps: global attention is costly; local (the original's THUMOS 19); {context}"
    else:
        suggested, why = current, f"kept (the annotations say nothing against it); {context}"
    recs.append(Recommendation("model.n_mha_win_size", current, suggested, why))
    _set(patch, "model.n_mha_win_size", suggested)
    return suggested


def _flags(stats: ActionStats) -> List[str]:
    full = 2 * stats.half_spans
    notes = []
    if _share(full <= 1.0) > 0.5:
        notes.append(f"point events: {_share(full <= 1.0):.0%} of actions last at most one feature step; "
                     "a point-event model (SnapFormer) and a spotting metric fit better than segments")
    elif _share(full < 2.0) > 0.1:
        notes.append(f"very short actions: {_share(full < 2.0):.0%} are shorter than two feature steps; denser "
                     "features (smaller feat_stride) or test_cfg.duration_thresh below 0.05 keep them")
    if stats.overlap_fraction > 0.3:
        notes.append(f"heavy overlap: {stats.overlap_fraction:.0%} of actions overlap another; keep "
                     "test_cfg.multiclass_nms true and do not add exclusive constraints between those classes")
    if stats.num_instances < 500:
        notes.append(f"small dataset: {stats.num_instances} training actions; results vary a lot between seeds: "
                     "compare settings over several (docs/use_cases.md)")
    if stats.skipped:
        notes.append(f"{len(stats.skipped)} training videos skipped ({stats.skipped[0]}, ...)")
    return notes


def histogram(half_spans: np.ndarray, ranges: Sequence[Sequence[float]], width: int = 40) -> List[str]:
    """Text histogram of half-spans on log2 bins, each bin marked with the level that learns it."""
    if half_spans.size == 0:
        return ["(no actions)"]
    lo_exp = int(math.floor(math.log2(max(float(half_spans.min()), 1e-3))))
    hi_exp = int(math.ceil(math.log2(float(half_spans.max()) + 1e-9)))
    edges = [2.0 ** e for e in range(lo_exp, max(hi_exp, lo_exp + 1) + 1)]
    counts, _ = np.histogram(half_spans, bins=edges)
    peak = max(int(counts.max()), 1)
    lines = ["half-span (steps)   count  level  histogram"]
    for (a, b), count in zip(zip(edges[:-1], edges[1:]), counts):
        levels = [i for i, (lo, hi) in enumerate(ranges) if lo < b and hi >= a]  # levels the bin touches
        level = "-" if not levels else str(levels[0]) if len(levels) == 1 else f"{levels[0]}-{levels[-1]}"
        bar = "#" * int(round(width * count / peak))
        lines.append(f"[{a:7.2f}, {b:7.2f})  {count:6d}  {level:>5}  {bar}")
    return lines


def format_table(recs: Sequence[Recommendation]) -> List[str]:
    rows = [("key", "current", "suggested", "evidence")] + [
        (r.key, _short(r.current), _short(r.suggested), r.evidence) for r in recs]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows]


def _short(value: Any) -> str:
    text = "-" if value is None else str(value).replace(".0,", ",").replace(".0]", "]")
    return text if len(text) <= 60 else text[:57] + "..."


def describe_stats(stats: ActionStats, extra: Optional[str] = None) -> List[str]:
    q = np.quantile(stats.durations_s, [0.1, 0.5, 0.9]) if stats.durations_s.size else [0, 0, 0]
    lines = [f"training split: {stats.num_videos} videos, {stats.num_instances} actions, "
             f"{len(set(stats.labels))} classes; durations p10/p50/p90 {q[0]:.2f}/{q[1]:.2f}/{q[2]:.2f} s; "
             f"{stats.overlap_fraction:.0%} overlap another action"]
    if extra:
        lines.append(extra)
    return lines
