"""SoccerNet a-mAP: identical to SoccerNet's evaluator on stored cases, and its rules on hand cases."""

import numpy as np
import pytest
from spotting_cases import CASE_NAMES, reference_cases, write_case

from actionformer.evaluation.spotting import (SpottingEvaluator, events_from_dict, load_spotting_ground_truth,
                                              load_spotting_predictions, predictions_from_list,
                                              soccernet_average_map, write_soccernet_predictions)

FIELDS = ("a_mAP", "a_mAP_per_class", "a_mAP_visible", "a_mAP_per_class_visible", "a_mAP_unshown",
          "a_mAP_per_class_unshown")


def test_the_fixture_covers_every_case():
    assert set(reference_cases()) == set(CASE_NAMES)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_matches_soccernet_evaluator(name, tmp_path):
    # sums of at most a few hundred terms of size <= 1: the rounding bound is far below 1e-9
    case = reference_cases()[name]
    labels_root, preds_root = write_case(case, tmp_path)
    ground_truth = load_spotting_ground_truth(labels_root, classes=case["classes"])
    detections = load_spotting_predictions(preds_root, ground_truth["classes"])
    evaluator = SpottingEvaluator(ground_truth, framerate=case["framerate"])
    evaluator.evaluate(detections, keep_order=True)
    for metric, ours in (("tight", evaluator.result.tight), ("loose", evaluator.result.loose)):
        for field in FIELDS:
            expected = np.asarray(case["reference"][metric][field], dtype=np.float64)
            np.testing.assert_allclose(np.asarray(getattr(ours, field)), expected, rtol=0, atol=1e-9,
                                       err_msg=f"{name} {metric} {field}")


def _score(events, preds, classes=("a",), tolerances=(2,), framerate=2):
    ground_truth = {"classes": list(classes), "videos": {
        "v": {"times": [t for t, _, _ in events], "labels": [c for _, c, _ in events],
              "visible": [vis for _, _, vis in events]}}}
    gt = events_from_dict(ground_truth)
    detections = [{"video_id": "v", "times": [t for t, _, _ in preds], "labels": [c for _, c, _ in preds],
                   "scores": [s for _, _, s in preds]}]
    return soccernet_average_map(gt, predictions_from_list(detections, gt), np.asarray(tolerances), framerate)


def test_events_take_predictions_in_time_order_not_by_score():
    # events at frames 20 and 23, window +-2 frames: the first event takes the 0.9 prediction (frame 22),
    # which was nearer the second; the 0.5 one (frame 18) is then too far from the second: 1 TP of 2.
    # PR points: (P 0.5, R 0.5) at thresholds <= 0.5, (1, 0.5) up to 0.9, then none: AP = 6 / 11.
    result = _score([(10.0, 0, True), (11.5, 0, True)], [(11.0, 0, 0.9), (9.0, 0, 0.5)])
    assert result.mAP[0] == pytest.approx(6 / 11, abs=1e-15)


def test_equal_scores_go_to_the_earlier_frame():
    # one event at frame 20; equal scores at frames 19 and 21: frame 19 matches, 21 is a false positive,
    # so the precision at every threshold is 1/2 and AP = 0.5 (recall reaches 1)
    result = _score([(10.0, 0, True)], [(10.5, 0, 0.7), (9.5, 0, 0.7)])
    assert result.mAP[0] == pytest.approx(0.5, abs=1e-15)


def test_last_prediction_on_a_frame_wins():
    # both fall on frame 20: only the later (0.2) exists for the metric
    alone = _score([(10.0, 0, True)], [(10.2, 0, 0.2)])
    both = _score([(10.0, 0, True)], [(10.0, 0, 0.9), (10.2, 0, 0.2)])
    np.testing.assert_array_equal(alone.ap, both.ap)


def test_class_without_events_counts_zero_in_the_mean():
    result = _score([(10.0, 0, True)], [(10.0, 0, 0.9)], classes=("a", "b"))
    assert result.ap[0].tolist() == [1.0, 0.0] and result.mAP[0] == 0.5


def test_unshown_average_is_scaled_by_17_over_13_as_the_reference():
    result = _score([(10.0, 0, False)], [(10.0, 0, 0.9)], tolerances=(1, 2))
    assert result.a_mAP_unshown == pytest.approx(17 / 13) and result.a_mAP_visible == 0.0


def test_in_memory_scores_equal_the_written_soccernet_files(tmp_path):
    rng = np.random.RandomState(0)
    classes = ["a", "b", "c"]
    videos = {f"league/season/g{g}/{h}": {"times": np.sort(rng.uniform(0, 600, 20)),
                                           "labels": rng.randint(0, 3, 20), "visible": rng.rand(20) < 0.7}
              for g in range(2) for h in (1, 2)}
    ground_truth = {"classes": classes, "videos": videos}
    detections = [{"video_id": vid, "times": rng.uniform(0, 600, 60).astype(np.float32),
                   "scores": rng.rand(60).astype(np.float32), "labels": rng.randint(0, 3, 60)} for vid in videos]
    # several predictions on one frame: the in-memory evaluator and the file must both keep the best
    detections[0]["times"][:5] = 100.1
    in_memory = SpottingEvaluator(ground_truth)
    in_memory.evaluate(detections)
    write_soccernet_predictions(tmp_path, detections, classes)
    from_files = SpottingEvaluator(ground_truth)
    from_files.evaluate(load_spotting_predictions(tmp_path, classes), keep_order=True)
    for metric in ("tight", "loose"):
        ours, theirs = getattr(in_memory.result, metric), getattr(from_files.result, metric)
        assert ours.a_mAP == theirs.a_mAP and np.array_equal(ours.ap, theirs.ap)


def _sequential_match(gt_group, gt_frame, pred_group, pred_frame, pred_score, radius):
    """The rule event by event: the best free prediction within the radius (ties: earlier frame)."""
    matched = np.zeros(len(pred_frame), dtype=bool)
    for g, f in zip(gt_group, gt_frame):
        best = None
        for p in np.flatnonzero(pred_group == g):  # predictions sorted by frame within a group
            free = abs(pred_frame[p] - f) <= radius and not matched[p]
            if free and (best is None or pred_score[p] > pred_score[best]):
                best = p
        if best is not None:
            matched[best] = True
    return matched


@pytest.mark.parametrize("seed", range(4))
def test_rounds_equal_the_event_by_event_rule(seed):
    from actionformer.evaluation.spotting.average_map import _match

    rng = np.random.RandomState(seed)
    span = 1000
    gt = np.unique(rng.randint(0, 3, 60) * span + rng.randint(0, 200, 60))  # dense: long chains of windows
    pred = np.unique(rng.randint(0, 3, 300) * span + rng.randint(0, 200, 300))
    score = rng.choice([0.2, 0.5, 0.8], len(pred))  # many ties
    radii = np.array([0, 1, 3, 10, 60])
    rank = np.arange(len(gt)) - np.searchsorted(gt // span, gt // span, side="left")
    ours = _match(gt, rank, pred, score, radii)
    for k, radius in enumerate(radii):
        expected = _sequential_match(gt // span, gt % span, pred // span, pred % span, score, radius)
        np.testing.assert_array_equal(ours[k], expected)
