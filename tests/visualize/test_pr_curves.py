"""Precision-recall curves: interpolated precision on hand cases, the figures."""

import numpy as np
import pytest
from analysis_cases import make_ground_truth, make_predictions, random_case

from actionformer.analysis.matched import match_predictions
from actionformer.visualize.pr_curves import (
    interpolated_curves,
    plot_pr_curves,
    plot_pr_curves_per_class,
    select_classes,
)


def test_interpolated_precision_is_the_envelope():
    # class c0, 2 instances: TP, FP, TP -> (recall, precision) (.5, 1), (.5, .5), (1, 2/3)
    gt = make_ground_truth({"v": [(0, 10, 0), (20, 30, 0)]})
    preds = make_predictions([("v", 0, 10, 0, 0.9), ("v", 50, 60, 0, 0.8), ("v", 20, 30, 0, 0.7)])
    grid, curves = interpolated_curves(match_predictions(gt, preds, [0.5]), recall_points=5)
    assert grid.tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    np.testing.assert_allclose(curves[0, 0], [1, 1, 1, 2 / 3, 2 / 3])


def test_precision_is_zero_past_the_highest_recall():
    gt = make_ground_truth({"v": [(0, 10, 0), (20, 30, 0)]})
    preds = make_predictions([("v", 50, 60, 0, 0.9), ("v", 0, 10, 0, 0.8)])
    _, curves = interpolated_curves(match_predictions(gt, preds, [0.5]), recall_points=5)
    np.testing.assert_allclose(curves[0, 0], [0.5, 0.5, 0.5, 0, 0])


def test_mean_figure_has_a_line_per_threshold_labelled_with_its_map():
    gt, preds = random_case(0)
    matched = match_predictions(gt, preds, [0.3, 0.5, 0.7])
    ax = plot_pr_curves(matched).axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert len(labels) == 3 and labels[0].startswith("tIoU 0.30: mAP ")


def test_per_class_figure_has_a_panel_per_class_plus_the_mean():
    gt, preds = random_case(1)
    matched = match_predictions(gt, preds, [0.5])
    figure = plot_pr_curves_per_class(matched, [0, 1])
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == 3
    assert visible[1].get_title().startswith(matched.class_names[0])
    figure.canvas.draw()


def test_class_selection_by_name_and_its_errors():
    gt, preds = random_case(2)
    matched = match_predictions(gt, preds, [0.5])
    assert select_classes(matched, ["c1"]) == ([matched.class_names.index("c1")], [])
    with pytest.raises(ValueError, match="unknown class"):
        select_classes(matched, ["nope"])
    chosen, notes = select_classes(matched, None, max_panels=1)
    assert len(chosen) == 1 and "choose others with --classes" in notes[0]
