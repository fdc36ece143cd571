"""The text tables of actionformer analyze."""

from analysis_cases import make_ground_truth, make_predictions

from actionformer.analysis import (
    analyze_false_positives,
    analyze_sensitivity,
    default_bins,
    format_false_positives,
    format_sensitivity,
    match_predictions,
)


def _matched():
    gt = make_ground_truth({"v": [(0, 2, 0), (10, 20, 1)]})
    preds = make_predictions([("v", 0, 2, 0, 0.9), ("v", 50, 60, 1, 0.8), ("v", 10, 20, 1, 0.7)])
    return match_predictions(gt, preds, [0.5])


def test_false_positive_table_has_a_row_per_factor_and_a_gain_per_type():
    text = format_false_positives(analyze_false_positives(_matched(), max_factor=3, normalize=False))
    lines = text.splitlines()
    assert "mean over tIoU 0.50" in lines[0]
    assert lines[2].split()[:3] == ["1G", "2", "50.0"]  # each class's first prediction: c0's TP, c1's FP
    assert any(line.startswith("background") and "+25.00" in line for line in lines)  # c1: AP 0.5 -> 1
    assert "average-mAP 75.00" in text  # c0 AP 1, c1 AP 0.5; plain AP


def test_sensitivity_table_marks_empty_bins_and_names_the_metric():
    text = format_sensitivity(analyze_sensitivity(_matched(), default_bins("thumos")))
    assert text.startswith("Sensitivity (DETAD): average-mAP_N per bin")
    assert "(0 s, 3 s]" in text and "(18 s, inf]" in text
    xl_line = next(line for line in text.splitlines() if line.startswith("XL") and "inf" in line)
    assert xl_line.split()[-1] == "-"  # no instance longer than 18 s
