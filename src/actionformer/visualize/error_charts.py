"""The charts of ``actionformer analyze``: DETAD's false-positive profile and removal impact,
and the sensitivity of mAP to action length and coverage."""

from __future__ import annotations

import math
from typing import Any, List

import numpy as np

from actionformer.analysis.false_positives import ERROR_NAMES, FalsePositiveAnalysis
from actionformer.analysis.sensitivity import SensitivityAnalysis

from ._matplotlib import new_figure

# DETAD's colours: true positive green, then the five error types
ERROR_COLORS = ("#33a02c", "#b2df8a", "#1f78b4", "#fb9a99", "#e31a1c", "#a6cee3")
CHARACTERISTIC_COLORS = ("#386cb0", "#f0027f", "#bf5b17", "#7fc97f")


def _clean_axes(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.yaxis.grid(True, color="0.88", linewidth=0.6)
    ax.set_axisbelow(True)


def _metric(normalized: bool) -> str:
    return "average-mAP$_N$" if normalized else "average-mAP"


def plot_false_positives(result: FalsePositiveAnalysis) -> Any:
    """Left: share of each type among the top k x G predictions; right: mAP gained by removing each."""
    figure = new_figure(12.0, 4.6)
    grid = figure.add_gridspec(1, 5)
    profile_ax = figure.add_subplot(grid[0, :3])
    impact_ax = figure.add_subplot(grid[0, 3:])

    positions = np.arange(len(result.top_factors))
    bottom = np.zeros(len(positions))
    for code, (name, color) in enumerate(zip(ERROR_NAMES, ERROR_COLORS)):
        share = result.profile[:, code] * 100
        profile_ax.bar(positions, share, bottom=bottom, color=color, width=0.8, label=name, edgecolor="white",
                       linewidth=0.5)
        bottom += share
    profile_ax.set_xticks(positions, [f"{k}G" for k in result.top_factors])
    profile_ax.set_ylim(0, 100)
    profile_ax.set_ylabel("share of the predictions (%)")
    profile_ax.set_xlabel("top predictions per class (G = its ground-truth instances)")
    profile_ax.set_title("False-positive profile", fontsize=11, loc="left")
    handles, labels = profile_ax.get_legend_handles_labels()  # listed top to bottom, as stacked
    profile_ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                      frameon=False)
    _clean_axes(profile_ax)

    names = list(result.average_map_gain)
    gains = np.array([result.average_map_gain[n] for n in names]) * 100
    bars = impact_ax.bar(np.arange(len(names)), gains, color=list(ERROR_COLORS[1:]), width=0.7)
    for bar, gain in zip(bars, gains):
        impact_ax.annotate(f"{gain:.1f}", (bar.get_x() + bar.get_width() / 2, max(gain, 0)), ha="center",
                           va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
    impact_ax.set_xticks(np.arange(len(names)), [n.replace(" ", "\n") for n in names], fontsize=8)
    impact_ax.set_ylim(min(0.0, gains.min() * 1.2), max(1.0, gains.max() * 1.2))
    impact_ax.axhline(0, color="black", linewidth=0.8)
    impact_ax.set_ylabel(f"{_metric(result.normalized)} gain (points)")
    impact_ax.set_title(f"Removing each error type\n(from the top {result.top_factors[-1]}G: "
                        f"{_metric(result.normalized)} {result.base_average_map * 100:.1f})", fontsize=11, loc="left")
    _clean_axes(impact_ax)
    return figure


def _bin_label(name: str, low: float, high: float, unit: str, count: int) -> str:
    high_text = "∞" if math.isinf(high) else f"{high:g}"
    return f"{name}\n({low:g}, {high_text}]{unit}\n{count} gt"


def plot_sensitivity(result: SensitivityAnalysis) -> Any:
    """One group of bars per characteristic (a bar per bin, its value on top); dashed: all instances."""
    characteristics = list(result.characteristics)
    figure = new_figure(5.2 * max(len(characteristics), 1), 4.4)
    axes: List[Any] = list(figure.subplots(1, max(len(characteristics), 1), sharey=True, squeeze=False)[0])
    base = result.base_average_map * 100
    for index, (ax, name) in enumerate(zip(axes, characteristics)):
        bins = result.characteristics[name]
        values = np.array([b.average_map * 100 for b in bins])
        positions = np.arange(len(bins))
        color = CHARACTERISTIC_COLORS[index % len(CHARACTERISTIC_COLORS)]
        bars = ax.bar(positions, np.nan_to_num(values), color=color, width=0.7)
        for bar, value in zip(bars, values):
            text = "no gt" if math.isnan(value) else f"{value:.1f}"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, 0 if math.isnan(value) else value),
                        ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points",
                        color="0.5" if math.isnan(value) else "black",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})  # readable over the dashed line
        ax.axhline(base, color="black", linestyle="--", linewidth=1, label=f"all instances: {base:.1f}")
        unit = " s" if name == "length" else ""
        ax.set_xticks(positions, [_bin_label(b.name, b.low, b.high, unit, b.num_instances) for b in bins], fontsize=8)
        ax.set_title(f"{name}" + (" (seconds)" if name == "length" else " (length / video duration)"),
                     fontsize=11, loc="left")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        _clean_axes(ax)
    axes[0].set_ylabel(f"{_metric(result.normalized)} (%)")
    axes[0].set_ylim(0, 105)
    return figure
