"""Sensitivity of mAP to length and coverage bins (DETAD)."""

import math

import numpy as np
import pytest
from analysis_cases import make_ground_truth, make_predictions, random_case

from actionformer.analysis.matched import match_predictions
from actionformer.analysis.sensitivity import analyze_sensitivity, assign_bins, default_bins


def test_bins_are_closed_on_the_right_and_the_first_on_the_left():
    edges = (0, 3, 6, math.inf)
    values = np.array([0.0, 3.0, 3.0001, 6.0, 1e9, -1.0, np.nan])
    assert assign_bins(values, edges).tolist() == [0, 0, 1, 1, 2, -1, -1]
    assert assign_bins(np.array([1.5]), (0, 0.5, 1.0)).tolist() == [-1]  # coverage > 1: no bin


def test_bad_edges_are_an_error():
    with pytest.raises(ValueError, match="increasing"):
        assign_bins(np.array([1.0]), (0, 5, 5))


def _case():
    # one class; a 2 s instance (length XS, coverage 0.02) and a 10 s one (length M, coverage 0.10)
    gt = make_ground_truth({"v": [(0, 2, 0), (10, 20, 0)]}, duration=100.0)
    preds = make_predictions([("v", 50, 60, 0, 0.95),  # false positive, ranked first
                              ("v", 10, 20, 0, 0.9), ("v", 0, 2, 0, 0.8)])
    return match_predictions(gt, preds, [0.5])


def test_a_bin_keeps_its_instances_and_every_false_positive():
    result = analyze_sensitivity(_case(), default_bins("thumos"), normalize=False)
    length = {b.name: b for b in result.characteristics["length"]}
    # XS: the false positive, then the prediction of its instance (the other one is dropped): AP 1/2
    assert length["XS"].average_map == pytest.approx(0.5) and length["XS"].num_instances == 1
    assert length["M"].average_map == pytest.approx(0.5)
    assert math.isnan(length["S"].average_map) and length["S"].num_instances == 0
    # all instances: FP, TP, TP -> precision envelope 2/3 over recall 0..1
    assert result.base_average_map == pytest.approx(2 / 3)
    coverage = {b.name: b for b in result.characteristics["coverage"]}
    assert coverage["XS"].num_instances == 1 and coverage["XL"].num_instances == 1


def test_normalized_ap_weighs_false_positives_by_the_average_class_size():
    result = analyze_sensitivity(_case(), {"length": (0, 3, math.inf)}, normalize=True)
    # N = 2 instances / 1 class; recall 1 after one FP: precision 1*2 / (1*2 + 1)
    assert result.characteristics["length"][0].average_map == pytest.approx(2 / 3)


def test_instances_without_a_duration_have_no_coverage():
    gt = make_ground_truth({"v": [(0, 2, 0)]}, duration=None)
    matched = match_predictions(gt, make_predictions([("v", 0, 2, 0, 0.9)]), [0.5])
    result = analyze_sensitivity(matched, default_bins("anet"))
    assert result.left_out == {"length": 0, "coverage": 1}
    assert all(b.num_instances == 0 for b in result.characteristics["coverage"])
    assert result.to_dict()["characteristics"]["coverage"][0]["average_mAP"] is None


def test_unknown_characteristic_is_an_error():
    with pytest.raises(ValueError, match="unknown characteristic"):
        analyze_sensitivity(_case(), {"context": (0, 1)})


@pytest.mark.parametrize("seed", range(2))
def test_bins_partition_the_instances(seed):
    gt, preds = random_case(seed)
    result = analyze_sensitivity(match_predictions(gt, preds, [0.5]), {"length": (0, 5, 10, math.inf)})
    assert sum(b.num_instances for b in result.characteristics["length"]) == len(gt)


def test_default_bins_per_dataset_and_names_of_custom_bins():
    assert default_bins("ego4d") == default_bins("thumos") != default_bins("anet")
    result = analyze_sensitivity(_case(), {"length": (0, 5, math.inf)})
    assert [b.name for b in result.characteristics["length"]] == ["B1", "B2"]
