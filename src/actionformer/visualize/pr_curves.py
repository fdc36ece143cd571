"""Precision-recall curves per tIoU threshold, from the evaluator's matching.

A class's curve is its interpolated precision (the precision envelope AP integrates: the best
precision at this recall or above) on a grid of recall values; the mean curve averages the
classes point by point (as COCO does), so its area is close to, though not exactly, the mAP,
which the legend gives exactly.
"""

from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from actionformer.analysis.matched import MatchedPredictions, average_precision

from ._matplotlib import colormap, new_figure

RECALL_POINTS = 101
MAX_CLASS_PANELS = 36


def interpolated_curves(matched: MatchedPredictions, recall_points: int = RECALL_POINTS) -> Tuple[np.ndarray, np.ndarray]:
    """(recall grid (R,), interpolated precision (T, C, R)); 0 beyond a class's highest recall."""
    grid = np.linspace(0.0, 1.0, recall_points)
    num_thr = matched.tp.shape[0]
    curves = np.zeros((num_thr, len(matched.class_ids), recall_points))
    for c in range(len(matched.class_ids)):
        a, b = matched.class_offsets[c], matched.class_offsets[c + 1]
        if b == a:
            continue
        for t in range(num_thr):
            hits = matched.tp[t, a:b]
            tp_count = np.cumsum(hits, dtype=np.float64)
            recall = tp_count / matched.num_positives[c]
            precision = tp_count / np.arange(1, b - a + 1)
            envelope = np.maximum.accumulate(precision[::-1])[::-1]
            first = np.searchsorted(recall, grid, side="left")  # first point reaching each recall
            reached = first < recall.shape[0]
            curves[t, c, reached] = envelope[first[reached]]
    return grid, curves


def _threshold_colors(count: int) -> List[Any]:
    palette = colormap("viridis")
    return [palette(0.9 * i / max(count - 1, 1)) for i in range(count)]


def _draw_curves(ax: Any, grid: np.ndarray, curves: np.ndarray, thresholds: np.ndarray, aps: np.ndarray,
                 label_metric: Optional[str]) -> None:
    """One line per threshold; ``curves`` (T, R), ``aps`` (T,); lines labelled when ``label_metric``."""
    for t, color in enumerate(_threshold_colors(len(thresholds))):
        label = f"tIoU {thresholds[t]:.2f}: {label_metric} {aps[t] * 100:.1f}" if label_metric else None
        ax.plot(grid, curves[t], color=color, linewidth=1.6, label=label, drawstyle="steps-pre")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(color="0.9", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def plot_pr_curves(matched: MatchedPredictions) -> Any:
    """A ``Figure``: the mean precision-recall curve over classes, one line per threshold."""
    grid, curves = interpolated_curves(matched)
    ap = average_precision(matched)  # (T, C)
    figure = new_figure(7.0, 5.2)
    ax = figure.add_subplot()
    _draw_curves(ax, grid, curves.mean(axis=1), matched.tiou_thresholds, ap.mean(axis=1), label_metric="mAP")
    ax.set_xlabel("recall")
    ax.set_ylabel("interpolated precision, mean over classes")
    ax.set_title(f"Precision-recall, {len(matched.class_ids)} classes, average mAP {np.mean(ap) * 100:.2f}",
                 fontsize=11, loc="left")
    ax.legend(loc="lower left", fontsize=8, frameon=True, framealpha=0.9)
    return figure


def select_classes(matched: MatchedPredictions, names: Optional[Sequence[str]],
                   max_panels: int = MAX_CLASS_PANELS) -> Tuple[List[int], List[str]]:
    """(class indices to draw, notes). ``names`` chooses them (unknown ones are an error naming
    the known classes); without it, every class up to ``max_panels``."""
    if names:
        lookup = {name: c for c, name in enumerate(matched.class_names)}
        unknown = [n for n in names if n not in lookup]
        if unknown:
            shown = ", ".join(matched.class_names[:8]) + (", ..." if len(matched.class_names) > 8 else "")
            raise ValueError(f"unknown class(es) {unknown} in --classes; the ground truth's classes are: {shown}")
        return [lookup[n] for n in names], []
    chosen = list(range(len(matched.class_ids)))
    if len(chosen) <= max_panels:
        return chosen, []
    note = (f"{len(chosen)} classes: drew the first {max_panels} by name; choose others with --classes")
    by_name = sorted(chosen, key=lambda c: matched.class_names[c])
    return by_name[:max_panels], [note]


def plot_pr_curves_per_class(matched: MatchedPredictions, classes: Sequence[int]) -> Any:
    """A ``Figure``: the mean curve first, then one panel per class in ``classes``."""
    grid, curves = interpolated_curves(matched)
    ap = average_precision(matched)
    panels = len(classes) + 1
    columns = min(4, panels)
    rows = math.ceil(panels / columns)
    figure = new_figure(3.1 * columns, 2.6 * rows + 0.7)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    thresholds = matched.tiou_thresholds
    _draw_curves(axes[0, 0], grid, curves.mean(axis=1), thresholds, ap.mean(axis=1), label_metric="mAP")
    axes[0, 0].set_title(f"all classes: mAP {np.mean(ap) * 100:.1f}", fontsize=9)
    for panel, c in enumerate(classes, start=1):
        ax = axes[panel // columns, panel % columns]
        _draw_curves(ax, grid, curves[:, c], thresholds, ap[:, c], label_metric=None)
        ax.set_title(f"{matched.class_names[c]}: AP {ap[:, c].mean() * 100:.1f} "
                     f"({matched.num_positives[c]} gt)", fontsize=9)
    for panel in range(panels, rows * columns):
        axes[panel // columns, panel % columns].set_visible(False)
    axes[0, 0].set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "", "0.5", "", "1"])  # shared: no clash between panels
    for column in range(columns):  # the lowest visible panel of each column carries the recall axis
        lowest = axes[max(r for r in range(rows) if r * columns + column < panels), column]
        lowest.xaxis.set_tick_params(labelbottom=True)
        lowest.set_xlabel("recall", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("precision", fontsize=8)
    axes[0, 0].legend(loc="lower left", fontsize=7, frameon=True, framealpha=0.9)
    figure.suptitle("Precision-recall per class (interpolated precision), AP averaged over the thresholds",
                    fontsize=10)
    return figure
