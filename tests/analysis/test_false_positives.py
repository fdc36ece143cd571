"""DETAD's false-positive types, profile and removal impact on hand-built cases."""

import numpy as np
import pytest
from analysis_cases import make_ground_truth, make_predictions, random_case

from actionformer.analysis.false_positives import (
    BACKGROUND,
    CONFUSION,
    DOUBLE_DETECTION,
    ERROR_NAMES,
    LOCALIZATION,
    TRUE_POSITIVE,
    WRONG_LABEL,
    analyze_false_positives,
    error_types,
)
from actionformer.analysis.matched import match_predictions

# video v: c0 at [10, 20], c1 at [40, 50]; every prediction is of class c0
GT = {"v": [(10, 20, 0), (40, 50, 1)]}
ROWS = [
    ("v", 40, 50, 0, 0.95),  # tIoU 1 with the c1 instance: wrong label
    ("v", 10, 20, 0, 0.90),  # true positive
    ("v", 10, 19, 0, 0.80),  # tIoU 0.9 with the taken c0 instance: double detection
    ("v", 10, 35, 0, 0.60),  # tIoU 0.4 with c0: localization error at 0.5
    ("v", 40, 65, 0, 0.50),  # tIoU 0.4 with c1: confusion at 0.5
    ("v", 70, 80, 0, 0.40),  # overlaps nothing: background
    ("other", 10, 20, 0, 0.30),  # a video without ground truth: background
]
EXPECTED_AT_05 = [WRONG_LABEL, TRUE_POSITIVE, DOUBLE_DETECTION, LOCALIZATION, CONFUSION, BACKGROUND, BACKGROUND]


def _matched(thresholds=(0.5,), rows=ROWS, gt=GT):
    return match_predictions(make_ground_truth(gt), make_predictions(rows), thresholds)


def test_each_type_on_a_known_case():
    assert error_types(_matched()).tolist() == [EXPECTED_AT_05]


def test_types_depend_on_the_threshold():
    types = error_types(_matched((0.3, 0.5)))
    # at 0.3, the tIoU-0.4 predictions overlap enough: double detection and wrong label
    assert types[0].tolist() == [WRONG_LABEL, TRUE_POSITIVE, DOUBLE_DETECTION, DOUBLE_DETECTION, WRONG_LABEL,
                                 BACKGROUND, BACKGROUND]
    assert types[1].tolist() == EXPECTED_AT_05


def test_min_tiou_boundary_is_localization():
    # [10, 110] with [10, 20]: intersection 10, union 100 -> tIoU 0.1 exactly: localization, not background
    matched = _matched(rows=[("v", 10, 20, 0, 0.9), ("v", 10, 110, 0, 0.8)], gt={"v": [(10, 20, 0)]})
    assert error_types(matched)[0].tolist() == [TRUE_POSITIVE, LOCALIZATION]


def test_the_highest_overlap_decides_the_label():
    # overlaps c0 at tIoU 0.5 but c1 at tIoU 1: DETAD's rule makes it a wrong-label error
    gt = {"v": [(0, 10, 0), (5, 10, 1)]}
    rows = [("v", 0, 10, 0, 0.9), ("v", 5, 10, 0, 0.8)]
    assert error_types(_matched(rows=rows, gt=gt))[0].tolist() == [TRUE_POSITIVE, WRONG_LABEL]


def test_profile_counts_the_top_k_g_predictions_of_each_class():
    result = analyze_false_positives(_matched(), max_factor=7, normalize=False)
    # class c0 has G = 1 instance: the top 1G is the wrong-label prediction, the top 7G all seven
    assert result.num_analysed.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert result.profile[0].tolist() == [0, 0, 1, 0, 0, 0]
    np.testing.assert_allclose(result.profile[-1], np.array([1, 1, 1, 1, 1, 2]) / 7)
    assert result.band_profile[2].tolist() == [0, 1, 0, 0, 0, 0]  # rank 3 alone: the double detection
    np.testing.assert_allclose(result.profile.sum(axis=1), 1.0)


def test_removing_an_error_type_gains_what_it_cost():
    result = analyze_false_positives(_matched(), normalize=False)
    # c0: the wrong-label FP precedes the TP: AP 0.5; c1 has no prediction: AP 0 -> mAP 0.25
    assert result.base_average_map == pytest.approx(0.25)
    assert result.average_map_gain["wrong label"] == pytest.approx(0.25)  # c0 AP -> 1
    for name in ERROR_NAMES[2:]:  # the others all rank below the true positive
        if name != "wrong label":
            assert result.average_map_gain[name] == pytest.approx(0.0)


def test_only_the_top_factor_predictions_are_analysed():
    result = analyze_false_positives(_matched(), max_factor=1, normalize=False)
    assert result.num_analysed.tolist() == [1]
    # only the wrong-label prediction is kept: c0 AP 0, removing it cannot add a true positive
    assert result.base_average_map == 0.0
    assert result.average_map_gain["wrong label"] == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_shares_sum_to_one_and_gains_are_not_negative(seed):
    gt, preds = random_case(seed)
    result = analyze_false_positives(match_predictions(gt, preds, [0.3, 0.5, 0.7]))
    np.testing.assert_allclose(result.profile.sum(axis=1), 1.0)
    # removing false positives never lowers a precision, so never an AP
    assert min(result.average_map_gain.values()) >= -1e-12
    assert result.to_dict()["profile"]["1G"]["true positive"] == pytest.approx(result.profile[0, 0])


def test_bad_factor_is_an_error():
    with pytest.raises(ValueError, match="max_factor"):
        analyze_false_positives(_matched(), max_factor=0)
