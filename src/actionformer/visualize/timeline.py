"""One video on one time axis: its ground truth and the top predictions of each class.

Per class, a ground-truth lane (solid bars) and below it the class's highest-scoring
predictions, packed into as few lanes as their overlaps allow; a prediction's opacity is its
score, and its score is written on it where it fits.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from actionformer.evaluation.errors import EvaluationInputError
from actionformer.evaluation.ground_truth import GroundTruth
from actionformer.evaluation.predictions import Predictions

from ._matplotlib import colormap, new_figure

LANE_HEIGHT = 0.72  # of a lane's 1.0
MIN_OPACITY = 0.08  # a prediction of score ~0 still shows as a faint bar with an outline


@dataclass
class _ClassRows:
    """What one class shows: its instances and its predictions, each prediction with a lane."""

    label_id: int
    name: str
    gt: List[Tuple[float, float]]
    preds: List[Tuple[float, float, float, int]]  # start, end, score, lane
    num_lanes: int


def _video_index(video_id: str, gt: GroundTruth, preds: Predictions) -> Tuple[Optional[int], Optional[int]]:
    """(index in gt.video_ids, index in preds.videos); an error naming valid ids when in neither."""
    in_gt = gt.video_ids.index(video_id) if video_id in gt.video_ids else None
    in_preds = preds.videos.index(video_id) if video_id in preds.videos else None
    if in_gt is None and in_preds is None:
        known = list(dict.fromkeys(gt.video_ids + preds.videos))
        close = difflib.get_close_matches(video_id, known, n=3)
        shown = ", ".join(close or known[:5]) + ("" if close or len(known) <= 5 else ", ...")
        raise EvaluationInputError(
            f"video '{video_id}' is in neither {gt.source} (split {', '.join(gt.split or ('all',))}) nor "
            f"{preds.source}; {'did you mean' if close else 'videos there include'}: {shown}")
    return in_gt, in_preds


def _pack_lanes(segments: List[Tuple[float, float, float]]) -> List[Tuple[float, float, float, int]]:
    """Give each (start, end, score) the first lane where it overlaps nothing (interval colouring)."""
    lane_ends: List[float] = []
    packed = []
    for start, end, score in sorted(segments):
        lane = next((i for i, last in enumerate(lane_ends) if last <= start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        packed.append((start, end, score, lane))
    return packed


def timeline_rows(gt: GroundTruth, preds: Predictions, video_id: str, top_k: int = 5, max_classes: int = 8,
                  min_score: float = 0.0) -> Tuple[List[_ClassRows], int, float]:
    """(rows per class to draw, classes left out, video duration in seconds)."""
    gt_index, pred_index = _video_index(video_id, gt, preds)
    instances: Dict[int, List[Tuple[float, float]]] = {}
    if gt_index is not None:
        for i in np.flatnonzero(gt.gt_video == gt_index):
            instances.setdefault(int(gt.gt_label[i]), []).append((float(gt.gt_start[i]), float(gt.gt_end[i])))
    predicted: Dict[int, List[Tuple[float, float, float]]] = {}
    if pred_index is not None:
        mine = np.flatnonzero((preds.pred_video == pred_index) & (preds.pred_score >= min_score))
        for i in mine[np.argsort(-preds.pred_score[mine], kind="stable")]:
            kept = predicted.setdefault(int(preds.pred_label[i]), [])
            if len(kept) < top_k:
                kept.append((float(preds.pred_start[i]), float(preds.pred_end[i]), float(preds.pred_score[i])))
    # classes with ground truth first (by their first instance), then by their best score
    order = sorted(set(instances) | set(predicted), key=lambda c: (
        c not in instances, min(instances[c])[0] if c in instances else -max(p[2] for p in predicted[c])))
    rows = []
    for label in order[:max_classes]:
        packed = _pack_lanes(predicted.get(label, []))
        rows.append(_ClassRows(label, gt.class_name(label), sorted(instances.get(label, [])), packed,
                               max([p[3] for p in packed], default=-1) + 1))
    ends = [e for r in rows for _, e in r.gt] + [p[1] for r in rows for p in r.preds]
    duration = math.nan
    if gt_index is not None and gt.durations is not None:
        duration = float(gt.durations[gt_index])
    if not math.isfinite(duration):
        duration = max(ends, default=1.0)
    return rows, max(len(order) - max_classes, 0), duration


def plot_timeline(gt: GroundTruth, preds: Predictions, video_id: str, top_k: int = 5, max_classes: int = 8,
                  min_score: float = 0.0) -> Any:
    """A ``matplotlib.figure.Figure``: ground truth and the top ``top_k`` predictions per class."""
    rows, left_out, duration = timeline_rows(gt, preds, video_id, top_k, max_classes, min_score)
    num_lanes = sum(1 + max(r.num_lanes, 1) for r in rows)
    figure = new_figure(11.0, 1.6 + 0.34 * max(num_lanes, 2))
    ax = figure.add_subplot()
    palette = colormap("tab10")
    top_score = max([p[2] for r in rows for p in r.preds if p[2] > 0], default=1.0)
    ticks, tick_labels = [], []
    y = 0.0
    for index, row in enumerate(rows):
        color = tuple(palette(index % 10))
        ticks.append(y)
        tick_labels.append(f"{row.name}  ground truth")
        for start, end in row.gt:
            ax.barh(y, end - start, left=start, height=LANE_HEIGHT, color=color, edgecolor="black", linewidth=0.8)
        for lane in range(max(row.num_lanes, 1)):
            ticks.append(y + 1 + lane)
            tick_labels.append("predictions" if lane == 0 else "")
        for start, end, score, lane in row.preds:
            _prediction_bar(ax, y + 1 + lane, start, end, score / top_score, score, color, duration)
        y += 1 + max(row.num_lanes, 1)
        if index < len(rows) - 1:
            ax.axhline(y - 0.5, color="0.75", linewidth=0.8)
    if not rows:
        ax.text(0.5, 0.5, "no ground truth and no prediction in this video", transform=ax.transAxes,
                ha="center", va="center", color="0.4")
    ax.set_yticks(ticks, tick_labels, fontsize=9)
    ax.set_ylim(max(y - 0.5, 1.5), -0.6)  # first class on top
    ax.set_xlim(0, duration)
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    extra = f"; {left_out} more class(es) not shown" if left_out else ""
    ax.set_title(f"{video_id} ({duration:.1f} s): ground truth and the top {top_k} predictions per class, "
                 f"opacity = score / {top_score:.2f}{extra}", fontsize=10, loc="left")
    _legend(ax, top_score)
    return figure


def _prediction_bar(ax: Any, y: float, start: float, end: float, opacity: float, score: float,
                    color: Tuple[float, ...], duration: float) -> None:
    opacity = min(max(opacity, MIN_OPACITY), 1.0)
    ax.barh(y, end - start, left=start, height=LANE_HEIGHT, color=(*color[:3], opacity),
            edgecolor=(*color[:3], 1.0), linewidth=0.8)
    if (end - start) / max(duration, 1e-9) > 0.035:  # wide enough for "0.34"
        ax.text((start + end) / 2, y, f"{score:.2f}", ha="center", va="center", fontsize=7,
                color="white" if opacity > 0.6 else "black")


def _legend(ax: Any, top_score: float) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor="0.45", edgecolor="black", label="ground truth")]
    handles += [Patch(facecolor=(0.45, 0.45, 0.45, s), edgecolor="0.45", label=f"prediction, score {s * top_score:.2f}")
                for s in (1.0, 0.5, 0.2)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 if ax.figure.get_figheight() > 3 else -0.3),
              ncol=4, fontsize=8, frameon=False)
