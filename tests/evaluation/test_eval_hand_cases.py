"""Hand-computed cases: every number here was worked out on paper from the definition."""

import numpy as np
import pytest

from actionformer.evaluation import evaluate_detection


def ap_of(database, preds, thresholds=(0.5,)):
    return evaluate_detection(database, preds, thresholds)


def reference_tie_order(n):
    """Processing order of n equally scored predictions: the references' reversed default argsort."""
    return list(np.argsort(np.full(n, 0.5))[::-1])


def test_one_gt_two_predictions(database, preds):
    gt = database({"v": [(0.0, 10.0, 0)]})
    # exact hit first, then a half-overlapping duplicate: TP, FP -> precision 1 at recall 1
    r = ap_of(gt, preds([("v", 0, 10, 0, 0.9), ("v", 0, 5, 0, 0.8)]), (0.5, 0.7))
    assert r.ap[:, 0].tolist() == [1.0, 1.0]
    # half overlap scored higher: at 0.5 it is the TP (tIoU 0.5 >= 0.5); at 0.7 it is an FP and
    # the exact hit comes second: precision 1/2 at recall 1 -> AP 0.5
    r = ap_of(gt, preds([("v", 0, 5, 0, 0.9), ("v", 0, 10, 0, 0.8)]), (0.5, 0.7))
    assert r.ap[:, 0].tolist() == [1.0, 0.5]
    assert r.num_predictions.tolist() == [2]


def test_score_ties_follow_the_references_order(database, preds):
    gt = database({"v": [(0.0, 10.0, 0)]})
    rows = [("v", 50, 60, 0, 0.5), ("v", 0, 10, 0, 0.5)]  # an FP and a TP with the same score
    first = reference_tie_order(2)[0]
    r = ap_of(gt, preds(rows))
    # TP processed first -> AP 1; FP first -> precision 1/2 at recall 1 -> AP 0.5
    assert r.ap[0, 0] == (1.0 if first == 1 else 0.5)
    r_swapped = ap_of(gt, preds(rows[::-1]))
    assert r_swapped.ap[0, 0] == (1.0 if first == 0 else 0.5)


def test_prediction_overlapping_two_gts(database, preds):
    gt = database({"v": [(0.0, 10.0, 0), (10.0, 20.0, 0)]})
    # [0, 12] overlaps A with tIoU 10/12 and B with 2/20: it takes A; [10, 20] then takes B
    r = ap_of(gt, preds([("v", 0, 12, 0, 0.9), ("v", 10, 20, 0, 0.8)]))
    assert r.ap[0, 0] == 1.0
    # [0, 20] has tIoU 0.5 with both: the tie between the two GTs is broken by the reversed
    # default argsort of the tIoU row, which decides whether [0, 10] or [10, 20] still finds its GT
    preferred = reference_tie_order(2)[0]  # index of the GT the wide prediction takes
    second = (0, 10) if preferred == 1 else (10, 20)
    r = ap_of(gt, preds([("v", 0, 20, 0, 0.9), ("v", *second, 0, 0.8)]))
    assert r.ap[0, 0] == 1.0
    other = (10, 20) if second == (0, 10) else (0, 10)
    r = ap_of(gt, preds([("v", 0, 20, 0, 0.9), ("v", *other, 0, 0.8)]))
    assert r.ap[0, 0] == 0.5  # TP then FP: precision 1 up to recall 1/2, nothing after


def test_class_without_predictions_scores_zero_and_counts(database, preds):
    gt = database({"v": [(0.0, 10.0, 0), (20.0, 30.0, 1)]})
    r = ap_of(gt, preds([("v", 0, 10, 0, 0.9)]))
    assert r.ap[0].tolist() == [1.0, 0.0]
    assert r.mAP.tolist() == [0.5]
    assert any("no predictions for 1 of 2 classes" in w for w in r.warnings)


def test_class_without_ground_truth_is_ignored(database, preds):
    # ground truth classes {0, 1, 3}; a prediction of class 2 must not be scored as class 3
    gt = database({"v": [(0.0, 10.0, 0), (20.0, 30.0, 1), (40.0, 50.0, 3)]})
    rows = [("v", 0, 10, 0, 0.9), ("v", 20, 30, 1, 0.9), ("v", 40, 50, 3, 0.5), ("v", 60, 70, 2, 0.99)]
    r = ap_of(gt, preds(rows))
    assert r.class_ids.tolist() == [0, 1, 3]
    assert r.ap[0].tolist() == [1.0, 1.0, 1.0]
    assert any("1 prediction(s) of 1 class(es) without ground truth" in w for w in r.warnings)


def test_empty_video_predictions_are_false_positives(database, preds):
    gt = database({"v": [(0.0, 10.0, 0)], "empty": []})
    r = ap_of(gt, preds([("empty", 0, 10, 0, 0.9), ("v", 0, 10, 0, 0.8)]))
    assert r.ap[0, 0] == 0.5  # FP then TP: precision 1/2 at recall 1
    assert not any("not in the ground truth" in w for w in r.warnings)


def test_video_not_in_ground_truth_is_a_false_positive_and_warned_once(database, preds):
    gt = database({"v": [(0.0, 10.0, 0)]})
    rows = [("other", 0, 10, 0, 0.95), ("other", 0, 10, 0, 0.94), ("v", 0, 10, 0, 0.9)]
    r = ap_of(gt, preds(rows))
    assert r.ap[0, 0] == pytest.approx(1 / 3, abs=0)  # two FPs then the TP
    outside = [w for w in r.warnings if "not in the ground truth" in w]
    assert len(outside) == 1 and outside[0].startswith("2 prediction(s) for 1 video(s)")


def test_duplicate_and_short_ground_truth_removed(database, preds):
    gt = database({"v": [(0.0, 10.0, 0), (0.0005, 10.0, 0), (30.0, 30.0005, 0), (0.0, 10.0, 1)]})
    r = ap_of(gt, preds([("v", 0, 10, 0, 0.9)]))
    assert r.num_ground_truth.tolist() == [1, 1]  # the near-duplicate and the 0.5 ms instance are gone
    assert r.ap[0, 0] == 1.0
    kept = evaluate_detection(gt, preds([("v", 0, 10, 0, 0.9)]), (0.5,), remove_duplicates=False)
    assert kept.num_ground_truth.tolist() == [3, 1]


def test_recall_at_kx_hand_case(database, preds):
    gt = database({"v": [(0.0, 10.0, 0)], "w": [(0.0, 10.0, 0), (20.0, 30.0, 0)]})
    rows = [("v", 50, 60, 0, 0.9), ("v", 0, 10, 0, 0.8),  # v: top-1 misses, top-2 hits
            ("w", 0, 10, 0, 0.9), ("w", 20, 30, 0, 0.1)]  # w: top-2 (= 1 x 2 instances) hits both
    r = evaluate_detection(gt, preds(rows), (0.5,), top_k=(1, 5))
    assert r.recall[0, :, 0].tolist() == [2 / 3, 1.0]


def test_no_predictions_at_all(database, preds):
    gt = database({"v": [(0.0, 10.0, 0)]})
    r = ap_of(gt, preds([]))
    assert r.ap.tolist() == [[0.0]] and r.recall.sum() == 0
    assert any("no predictions were given" in w for w in r.warnings)


@pytest.mark.parametrize("top_k", [(0,), (1, -5), (1.5,)])
def test_recall_top_k_must_be_positive_integers(database, preds, top_k):
    # Recall@0x is 0 by construction: a silent 0 in the table, not a measurement
    gt = database({"v": [(0.0, 10.0, 0)]})
    with pytest.raises(ValueError, match="top_k"):
        evaluate_detection(gt, preds([("v", 0, 10, 0, 0.9)]), (0.5,), top_k=top_k)


def test_a_single_prediction_and_an_absent_class(database, preds):
    # one prediction of class 2, absent from the ground truth {0, 1}: ignored, not scored as another class
    gt = database({"v": [(0.0, 10.0, 0), (20.0, 30.0, 1)]})
    r = ap_of(gt, preds([("v", 20, 30, 2, 0.9)]))
    assert r.ap.tolist() == [[0.0, 0.0]] and r.num_predictions.tolist() == [0, 0]
    assert any("without ground truth" in w for w in r.warnings)
