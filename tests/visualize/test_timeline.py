"""The timeline of one video: rows, lanes, the figure, and unknown video ids."""

import pytest
from analysis_cases import make_ground_truth, make_predictions

from actionformer.evaluation import EvaluationInputError
from actionformer.visualize.timeline import _pack_lanes, plot_timeline, timeline_rows

GT = make_ground_truth({"video_a": [(10, 20, 0), (30, 40, 1)], "video_b": [(0, 5, 2)]}, duration=60.0)
PREDS = make_predictions([
    ("video_a", 10, 20, 0, 0.9), ("video_a", 12, 22, 0, 0.5), ("video_a", 25, 28, 0, 0.4),
    ("video_a", 30, 40, 1, 0.8), ("video_a", 50, 55, 2, 0.95), ("video_a", 0, 3, 0, 0.01),
    ("video_only_predicted", 1, 2, 0, 0.3),
])


def test_overlapping_predictions_take_separate_lanes():
    packed = _pack_lanes([(10, 20, 0.9), (12, 22, 0.5), (25, 28, 0.4), (20, 24, 0.3)])
    lanes = {(start, end): lane for start, end, _, lane in packed}
    assert lanes == {(10, 20): 0, (12, 22): 1, (20, 24): 0, (25, 28): 0}


def test_rows_put_classes_with_ground_truth_first_and_keep_the_top_k():
    rows, left_out, duration = timeline_rows(GT, PREDS, "video_a", top_k=2)
    assert [r.label_id for r in rows] == [0, 1, 2]  # c2 has only a prediction: last despite its score
    assert [p[2] for p in rows[0].preds] == [0.9, 0.5]  # top 2 of c0 by score, in time order
    assert rows[0].gt == [(10.0, 20.0)] and rows[2].gt == []
    assert left_out == 0 and duration == 60.0


def test_max_classes_and_min_score():
    rows, left_out, _ = timeline_rows(GT, PREDS, "video_a", max_classes=1, min_score=0.45)
    assert [r.label_id for r in rows] == [0] and left_out == 2
    assert [p[2] for p in rows[0].preds] == [0.9, 0.5]


def test_a_video_only_in_the_predictions_is_drawn_without_ground_truth():
    rows, _, duration = timeline_rows(GT, PREDS, "video_only_predicted")
    assert rows[0].gt == [] and duration == 2.0  # no duration known: up to the last end


def test_unknown_video_names_close_ids():
    with pytest.raises(EvaluationInputError, match="did you mean: video_a"):
        timeline_rows(GT, PREDS, "video_aa")
    with pytest.raises(EvaluationInputError, match="videos there include: video_a, video_b"):
        timeline_rows(GT, PREDS, "zzz")


def test_figure_has_a_bar_per_instance_and_prediction():
    figure = plot_timeline(GT, PREDS, "video_a", top_k=5)
    ax = figure.axes[0]
    assert len(ax.patches) == 2 + 6  # 2 instances, 6 predictions
    assert "video_a" in ax.get_title(loc="left")
    opacities = sorted(p.get_facecolor()[3] for p in ax.patches)
    assert opacities[-1] == pytest.approx(1.0)  # ground truth, and the best prediction
    assert opacities[0] == pytest.approx(0.08)  # a score near 0 keeps a faint bar
    figure.canvas.draw()  # renders without error


def test_empty_video_draws_a_message():
    gt = make_ground_truth({"v": [(0, 1, 0)], "empty": []})
    figure = plot_timeline(gt, make_predictions([("v", 0, 1, 0, 0.5)]), "empty")
    assert any("no ground truth" in t.get_text() for t in figure.axes[0].texts)
