"""The charts of actionformer analyze."""

import math

from analysis_cases import random_case

from actionformer.analysis import analyze_false_positives, analyze_sensitivity, match_predictions
from actionformer.visualize.error_charts import plot_false_positives, plot_sensitivity


def _matched():
    gt, preds = random_case(0)
    return match_predictions(gt, preds, [0.3, 0.5])


def test_false_positive_chart_stacks_six_types_per_factor_and_a_bar_per_error():
    result = analyze_false_positives(_matched(), max_factor=4)
    profile_ax, impact_ax = plot_false_positives(result).axes[:2]
    assert len(profile_ax.patches) == 6 * 4
    assert len(impact_ax.patches) == 5
    assert impact_ax.get_xticklabels()[0].get_text() == "double\ndetection"


def test_sensitivity_chart_has_a_bar_per_bin_and_marks_empty_bins():
    result = analyze_sensitivity(_matched(), {"length": (0, 5, 10, 1000, math.inf), "coverage": (0, 0.5, 1)})
    figure = plot_sensitivity(result)
    length_ax, coverage_ax = figure.axes
    assert len(length_ax.patches) == 4 and len(coverage_ax.patches) == 2
    assert "no gt" in [t.get_text() for t in length_ax.texts]  # nothing longer than 1000 s
    figure.canvas.draw()
