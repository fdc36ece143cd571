"""Invariances: input order without ties, and false positives below every true positive."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actionformer.evaluation import evaluate_detection
from synthetic_cases import make_case

THRESHOLDS = np.linspace(0.1, 0.9, 9)


def _distinct_scores(preds, seed):
    """Scores without ties in [0.01, 1.01): with ties, adding or moving predictions may reorder the
    tied ones (numpy's default argsort is not stable), and so may change AP, in the references too."""
    n = len(preds["score"])
    preds["score"] = np.random.default_rng(seed).permutation(n) / n + 0.01
    return preds


def _subset(preds, index):
    return {k: ([v[i] for i in index] if k == "video-id" else v[index]) for k, v in preds.items()}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shuffle_seed=st.integers(0, 10_000))
def test_shuffling_predictions_without_ties_changes_nothing(seed, shuffle_seed):
    gt, preds = make_case(seed, num_videos=5, preds_per_video=12)
    preds = _distinct_scores(preds, seed)  # the order of the input cannot matter any more
    expected = evaluate_detection(gt, preds, THRESHOLDS)
    order = np.random.default_rng(shuffle_seed).permutation(len(preds["score"]))
    got = evaluate_detection(gt, _subset(preds, order), THRESHOLDS)
    assert np.array_equal(got.ap, expected.ap)
    assert np.array_equal(got.recall, expected.recall)


def _with_far_false_positives(gt, preds, seed, n, score_low, score_high, tie_break=0.0):
    """``preds`` plus ``n`` predictions far outside every annotated segment (videos last < 60 s),
    so never a true positive, scored uniformly in [score_low, score_high) + tie_break."""
    rng = np.random.default_rng(seed)
    extra = {"video-id": list(rng.choice(sorted(gt["database"]), n)), "t-start": rng.uniform(1000, 2000, n),
             "t-end": rng.uniform(2000, 3000, n), "label": rng.integers(0, 5, n),
             "score": rng.uniform(score_low, score_high, n) + tie_break}
    return {k: (preds[k] + extra[k] if k == "video-id" else np.concatenate([preds[k], extra[k]])) for k in preds}


@pytest.mark.parametrize("seed", range(6))
def test_false_positives_below_every_true_positive_leave_ap_unchanged(seed):
    gt, preds = make_case(seed, num_videos=6, preds_per_video=15)
    preds = _distinct_scores(preds, seed)
    base = evaluate_detection(gt, preds, THRESHOLDS)
    # scores below every score of the case (>= 0.01)
    merged = _with_far_false_positives(gt, preds, seed, 40, 0.0, 0.001)
    got = evaluate_detection(gt, merged, THRESHOLDS)
    assert np.array_equal(got.ap, base.ap)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), low=st.floats(0.0, 1.0))
def test_adding_false_positives_never_raises_ap(seed, low):
    gt, preds = make_case(seed, num_videos=5, preds_per_video=10)
    preds = _distinct_scores(preds, seed)
    base = evaluate_detection(gt, preds, THRESHOLDS)
    merged = _with_far_false_positives(gt, preds, seed, 10, low, 1.0, tie_break=1e-9)
    got = evaluate_detection(gt, merged, THRESHOLDS)
    assert np.all(got.ap <= base.ap)
