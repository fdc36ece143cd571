"""match_predictions: the evaluator's matching, its AP, and which instance each true positive took."""

import numpy as np
import pytest
from analysis_cases import make_ground_truth, make_predictions, random_case

from actionformer.analysis.matched import average_precision, match_predictions, matched_instances
from actionformer.evaluation import evaluate_detection, segment_tiou

THRESHOLDS = np.array([0.1, 0.3, 0.5, 0.7])


@pytest.mark.parametrize("seed", range(4))
def test_plain_ap_is_the_evaluators(seed):
    gt, preds = random_case(seed)
    result = evaluate_detection(gt, preds, THRESHOLDS)
    ap = average_precision(match_predictions(gt, preds, THRESHOLDS))
    # the same terms summed in a different order: a few ulps of values <= 1
    np.testing.assert_allclose(ap, result.ap, rtol=0, atol=1e-12)


def _reference_taken(gt, preds, thresholds):
    """The references' greedy matching written plainly: per class, predictions by decreasing
    score, each takes the free instance of its video and class with the highest tIoU."""
    taken = {}
    for t, thr in enumerate(thresholds):
        locked = set()
        for i in np.argsort(-preds.pred_score, kind="stable"):
            vid = preds.videos[int(preds.pred_video[i])]
            same = [g for g in range(len(gt)) if gt.video_ids[int(gt.gt_video[g])] == vid
                    and gt.gt_label[g] == preds.pred_label[i]]
            tious = [segment_tiou(preds.pred_start[i], preds.pred_end[i], gt.gt_start[g], gt.gt_end[g]) for g in same]
            for g, tiou in sorted(zip(same, tious), key=lambda pair: -pair[1]):
                if tiou < thr:
                    break
                if g not in locked:
                    locked.add(g)
                    taken[(t, float(preds.pred_score[i]))] = g
                    break
    return taken


@pytest.mark.parametrize("seed", range(3))
def test_matched_instances_follow_the_greedy_rule(seed):
    gt, preds = random_case(seed)
    matched = match_predictions(gt, preds, THRESHOLDS)
    taken = matched_instances(matched)
    expected = _reference_taken(gt, preds, THRESHOLDS)
    got = {(t, float(matched.score[i])): int(taken[t, i]) for t, i in zip(*np.nonzero(taken >= 0))}
    assert got == expected
    assert np.array_equal(taken >= 0, matched.tp)


def test_normalized_precision_uses_the_average_class_size():
    # class 0: 1 instance, class 1: 3 instances -> N = 2; class 0's one prediction follows a false positive
    gt = make_ground_truth({"v": [(0, 10, 0), (20, 30, 1), (40, 50, 1), (60, 70, 1)]})
    preds = make_predictions([("v", 80, 90, 0, 0.9), ("v", 0, 10, 0, 0.8)])
    matched = match_predictions(gt, preds, [0.5])
    assert matched.average_instances_per_class == 2.0
    plain = average_precision(matched)[0, 0]
    normalized = average_precision(matched, normalize=True)[0, 0]
    assert plain == pytest.approx(0.5)  # TP / (TP + FP)
    assert normalized == pytest.approx(2 / 3)  # R*N / (R*N + FP) = 2 / (2 + 1)


def test_keep_mask_removes_predictions_per_threshold():
    gt = make_ground_truth({"v": [(0, 10, 0)]})
    preds = make_predictions([("v", 50, 60, 0, 0.9), ("v", 0, 10, 0, 0.8)])
    matched = match_predictions(gt, preds, [0.5, 0.7])
    keep = np.array([[False, True], [True, True]])  # drop the false positive at 0.5 only
    ap = average_precision(matched, keep)
    assert ap[:, 0] == pytest.approx([1.0, 0.5])


def test_predictions_of_classes_without_ground_truth_are_counted_and_ignored():
    gt = make_ground_truth({"v": [(0, 10, 0)]})
    preds = make_predictions([("v", 0, 10, 0, 0.9), ("v", 0, 10, 5, 0.8), ("elsewhere", 0, 1, 0, 0.7)])
    matched = match_predictions(gt, preds, [0.5])
    assert matched.num_ignored == 1
    assert matched.tp.tolist() == [[True, False]]
    assert matched.video[1] >= len(gt.video_ids)  # a video outside the ground truth
