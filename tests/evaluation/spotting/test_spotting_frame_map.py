"""Frame-tolerance mAP (E2E-Spot): equal to a literal statement of the rule, and its units."""

import numpy as np
import pytest
from e2e_oracle import oracle_ap

from actionformer.evaluation.spotting import SpottingEvaluator, frame_tolerance_map


def _random_case(seed, num_videos=3, num_classes=3):
    rng = np.random.RandomState(seed)
    n_events, n_preds = 40, 150
    ev_video, ev_label = rng.randint(0, num_videos, n_events), rng.randint(0, num_classes, n_events)
    ev_pos = rng.randint(0, 80, n_events)  # dense: many events share windows, some share a position
    pr_video, pr_label = rng.randint(0, num_videos, n_preds), rng.randint(0, num_classes, n_preds)
    pr_pos = rng.randint(0, 80, n_preds)
    pr_score = rng.choice([0.1, 0.5, 0.9, 1.0], n_preds) if seed % 2 else rng.rand(n_preds)  # ties on odd seeds
    return ev_video, ev_label, ev_pos, pr_video, pr_label, pr_pos, pr_score


@pytest.mark.parametrize("seed", range(6))
def test_matches_the_literal_rule(seed):
    ev_video, ev_label, ev_pos, pr_video, pr_label, pr_pos, pr_score = _random_case(seed)
    tolerances = [0, 1, 2, 4, 10]
    result = frame_tolerance_map(ev_video, ev_label, ev_pos, pr_video, pr_label, pr_pos, pr_score, 4, tolerances)
    for c in range(3):
        events = {}
        for v, lab, p in zip(ev_video, ev_label, ev_pos):
            if lab == c:
                events.setdefault(str(v), []).append(int(p))
        events = {v: sorted(ps) for v, ps in events.items()}
        preds = [(str(v), int(p), float(s)) for v, lab, p, s in zip(pr_video, pr_label, pr_pos, pr_score) if lab == c]
        for k, tol in enumerate(tolerances):
            # the same additions in the same order: equal up to the last bit, 1e-12 leaves room for reassociation
            assert result.ap[k, c] == pytest.approx(oracle_ap(events, preds, tol), abs=1e-12)
    assert np.isnan(result.ap[:, 3]).all()  # class 3 has no events: left out of the mean
    np.testing.assert_allclose(result.mAP, np.nanmean(result.ap, axis=1), atol=1e-15)


def test_nearest_free_event_is_taken():
    # events 10 and 12; the best prediction (11) is equidistant and takes the earlier event; the
    # next (13) then takes 12: both true positives, AP 1
    result = frame_tolerance_map(np.array([0, 0]), np.array([0, 0]), np.array([10, 12]), np.array([0, 0]),
                                 np.array([0, 0]), np.array([11, 13]), np.array([0.9, 0.8]), 1, [1])
    assert result.ap[0, 0] == 1.0


def _evaluator(unit, tolerances, step_fps=None):
    ground_truth = {"classes": ["a"], "videos": {"v": {"times": [10.0], "labels": [0], "visible": [True]}}}
    return SpottingEvaluator(ground_truth, metric="frame", frame_tolerances=tolerances, tolerance_unit=unit,
                             step_fps=step_fps)


def test_tolerance_in_seconds_is_exact_at_the_boundary():
    evaluator = _evaluator("seconds", [0.5])
    _, inside = evaluator.evaluate([{"video_id": "v", "times": [10.5], "scores": [0.9], "labels": [0]}])
    _, outside = evaluator.evaluate([{"video_id": "v", "times": [10.51], "scores": [0.9], "labels": [0]}])
    assert (inside, outside) == (1.0, 0.0)


def test_tolerance_in_steps_snaps_to_the_step_grid():
    evaluator = _evaluator("steps", [0, 1], step_fps=2)  # 0.5 s steps: 10.2 s is step 20, as the event
    values, headline = evaluator.evaluate([{"video_id": "v", "times": [10.2], "scores": [0.9], "labels": [0]}])
    assert values.tolist() == [1.0, 1.0] and headline == 1.0
    values, _ = evaluator.evaluate([{"video_id": "v", "times": [10.6], "scores": [0.9], "labels": [0]}])
    assert values.tolist() == [0.0, 1.0]  # step 21: one step away
