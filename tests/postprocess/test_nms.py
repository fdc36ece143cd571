"""batched_nms: hand-made cases, and exact agreement with a scalar transcription of the original."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actionformer.postprocess import batched_nms
from nms_cases import random_nms_case
from nms_reference_loops import reference_batched_nms


def _t(rows):
    return torch.tensor(rows, dtype=torch.float32)


def _iou_with_eps(a, b):
    """The NMS's float32 IoU (lengths + 1e-6), for thresholds right at the boundary."""
    f = np.float32
    la, lb = f(a[1] - a[0]) + f(1e-6), f(b[1] - b[0]) + f(1e-6)
    inter = max(f(0), min(f(a[1]), f(b[1])) - max(f(a[0]), f(b[0])))
    return float(inter / (la + lb - inter))


# ---------------------------------------------------------------- hard NMS
def test_hard_nms_suppresses_overlaps_and_sorts_by_score():
    segs = _t([[20, 30], [0, 10], [1, 11]])
    scores = _t([0.7, 0.9, 0.8])
    out_segs, out_scores, out_cls = batched_nms(
        segs, scores, torch.zeros(3, dtype=torch.long), 0.5, 0.0, 10, use_soft_nms=False)
    assert out_segs.tolist() == [[0, 10], [20, 30]]
    assert out_scores.tolist() == pytest.approx([0.9, 0.7])
    assert out_cls.tolist() == [0, 0]


def test_hard_nms_threshold_is_inclusive():
    a, b = [0.0, 4.0], [0.0, 2.0]
    iou = _iou_with_eps(a, b)
    segs, scores, cls = _t([a, b]), _t([0.9, 0.8]), torch.zeros(2, dtype=torch.long)
    at = batched_nms(segs, scores, cls, iou, 0.0, 10, use_soft_nms=False)
    above = batched_nms(segs, scores, cls, np.nextafter(np.float32(iou), np.float32(1)).item(),
                        0.0, 10, use_soft_nms=False)
    assert at[0].shape[0] == 1  # IoU == threshold: suppressed
    assert above[0].shape[0] == 2


def test_hard_nms_min_score_is_strict():
    segs = _t([[0, 1], [5, 6], [10, 11]])
    scores = _t([0.5, 0.1, 0.05])
    out = batched_nms(segs, scores, torch.zeros(3, dtype=torch.long), 0.5, 0.1, 10,
                      use_soft_nms=False)
    assert out[1].tolist() == pytest.approx([0.5])


# ---------------------------------------------------------------- soft NMS
def test_soft_nms_gaussian_decay():
    segs = _t([[0, 10], [0, 10], [50, 60]])
    scores = _t([0.9, 0.8, 0.3])
    out_segs, out_scores, _ = batched_nms(
        segs, scores, torch.zeros(3, dtype=torch.long), 0.1, 0.001, 10, sigma=0.5)
    iou = 10 / (10 + 2e-6)
    assert out_scores.tolist() == pytest.approx([0.9, 0.3, 0.8 * math.exp(-iou**2 / 0.5)], rel=1e-5)
    assert out_segs.tolist() == [[0, 10], [50, 60], [0, 10]]


def test_soft_nms_ignores_iou_threshold():
    segs, scores = _t([[0, 10], [1, 11]]), _t([0.9, 0.8])
    cls = torch.zeros(2, dtype=torch.long)
    low = batched_nms(segs, scores, cls, 0.01, 0.001, 10)
    high = batched_nms(segs, scores, cls, 0.99, 0.001, 10)
    assert torch.equal(low[1], high[1])


def test_soft_nms_drops_scores_decayed_below_min_score():
    segs, scores = _t([[0, 10], [0, 10]]), _t([0.9, 0.05])
    out = batched_nms(segs, scores, torch.zeros(2, dtype=torch.long), 0.1, 0.01, 10)
    assert out[1].tolist() == pytest.approx([0.9])  # 0.05 * e^-2 = 0.0068 < 0.01


def test_soft_nms_keeps_first_pick_even_below_min_score():
    # the original never checks the segment it selects, only the decayed rest
    segs, scores = _t([[0, 10], [20, 30]]), _t([0.0005, 0.0004])
    out = batched_nms(segs, scores, torch.zeros(2, dtype=torch.long), 0.1, 0.001, 10)
    assert out[1].tolist() == pytest.approx([0.0005])


def test_soft_nms_ties_pick_the_first_in_order():
    segs = _t([[0, 10], [0, 10], [50, 60]])
    scores = _t([0.5, 0.5, 0.5])
    cls = torch.tensor([0, 1, 2]) * 0 + torch.tensor([7, 8, 9])
    out_segs, out_scores, out_cls = batched_nms(segs, scores, cls, 0.1, 0.001, 10, multiclass=False,
                                                voting_thresh=0)
    assert out_cls.tolist() == [7, 9, 8]
    assert out_scores[2].item() < 0.1


# ---------------------------------------------------------------- both
@pytest.mark.parametrize("soft", [True, False])
def test_multiclass_keeps_overlaps_of_other_classes(soft):
    segs, scores = _t([[0, 10], [0, 10]]), _t([0.9, 0.8])
    cls = torch.tensor([0, 1])
    per_class = batched_nms(segs, scores, cls, 0.5, 0.001, 10, use_soft_nms=soft, multiclass=True)
    agnostic = batched_nms(segs, scores, cls, 0.5, 0.001, 10, use_soft_nms=soft, multiclass=False,
                           voting_thresh=0)
    assert per_class[1].tolist() == pytest.approx([0.9, 0.8])
    assert per_class[2].tolist() == [0, 1]
    assert agnostic[1][0].item() == pytest.approx(0.9)
    assert agnostic[1].shape[0] == (2 if soft else 1)
    if soft:
        assert agnostic[1][1].item() < 0.2


@pytest.mark.parametrize("soft", [True, False])
def test_max_seg_num_caps_per_class_and_in_total(soft):
    segs = _t([[10 * i, 10 * i + 5] for i in range(12)])
    scores = torch.linspace(0.9, 0.2, 12)
    cls = torch.tensor([0] * 6 + [1] * 6)
    out = batched_nms(segs, scores, cls, 0.5, 0.001, 4, use_soft_nms=soft)
    assert out[1].tolist() == pytest.approx(scores[:4].tolist())
    out = batched_nms(segs, scores, cls, 0.5, 0.001, 5, use_soft_nms=soft)
    assert out[2].tolist() == [0, 0, 0, 0, 0]  # class 0 holds the 5 best; per class cap 5


@pytest.mark.parametrize("soft", [True, False])
@pytest.mark.parametrize("multiclass", [True, False])
def test_empty_input(soft, multiclass):
    out = batched_nms(torch.zeros(0, 2), torch.zeros(0), torch.zeros(0, dtype=torch.long),
                      0.5, 0.001, 10, use_soft_nms=soft, multiclass=multiclass)
    assert [tuple(x.shape) for x in out] == [(0, 2), (0,), (0,)]
    assert out[2].dtype == torch.long


def test_bad_inputs_are_clear_errors():
    segs, scores, cls = _t([[0, 1]]), _t([0.5]), torch.zeros(1, dtype=torch.long)
    with pytest.raises(ValueError, match="max_seg_num"):
        batched_nms(segs, scores, cls, 0.5, 0.001, 0)
    with pytest.raises(ValueError, match="NaN"):
        batched_nms(segs, _t([float("nan")]), cls, 0.5, 0.001, 10)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        batched_nms(_t([0, 1]), scores, cls, 0.5, 0.001, 10)
    with pytest.raises(ValueError, match="shape"):
        batched_nms(segs, _t([0.5, 0.4]), cls, 0.5, 0.001, 10)


@pytest.mark.parametrize("sigma", [0.0, -0.5, float("nan")])
def test_soft_nms_sigma_must_be_positive(sigma):
    # exp(-iou**2 / 0) is NaN at iou 0: every score would silently turn NaN
    segs, scores, cls = _t([[0, 1], [5, 6]]), _t([0.5, 0.4]), torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match="sigma"):
        batched_nms(segs, scores, cls, 0.5, 0.001, 10, use_soft_nms=True, sigma=sigma)
    # hard NMS does not use sigma
    assert batched_nms(segs, scores, cls, 0.5, 0.001, 10, use_soft_nms=False, sigma=sigma)[0].shape == (2, 2)


def test_float64_input_stays_float64():
    segs = torch.tensor([[0.0, 10.0], [1.0, 11.0]], dtype=torch.float64)
    out = batched_nms(segs, torch.tensor([0.9, 0.8], dtype=torch.float64),
                      torch.zeros(2, dtype=torch.long), 0.5, 0.001, 10)
    assert out[0].dtype == out[1].dtype == torch.float64


# ---------------------------------------------------------------- exactness vs the original's loops
def _random_case(rng, n, num_classes, tie_levels):
    return random_nms_case(rng, n, num_classes, tie_levels, max_start=40, lengths=[0.5, 1, 2, 3, 5, 8])


def _assert_same(ours, ref, voting):
    assert ours[0].shape == ref[0].shape
    assert torch.equal(ours[1], ref[1])
    assert torch.equal(ours[2], ref[2])
    if voting:
        torch.testing.assert_close(ours[0], ref[0], atol=1e-5, rtol=1e-6)
    else:
        assert torch.equal(ours[0], ref[0])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 40),
    num_classes=st.integers(1, 4),
    tie_levels=st.sampled_from([3, 10, 1000]),
    soft=st.booleans(),
    multiclass=st.booleans(),
    min_score=st.sampled_from([0.0, 0.001, 0.05, 0.3]),
    max_seg_num=st.sampled_from([1, 3, 200]),
    iou_threshold=st.sampled_from([0.1, 0.5, 0.7]),
    sigma=st.sampled_from([0.3, 0.5, 0.75]),
    voting=st.sampled_from([0.0, 0.7]),
)
def test_matches_original_loops(seed, n, num_classes, tie_levels, soft, multiclass, min_score,
                                max_seg_num, iou_threshold, sigma, voting):
    segs, scores, cls = _random_case(np.random.default_rng(seed), n, num_classes, tie_levels)
    args = (segs, scores, cls, iou_threshold, min_score, max_seg_num)
    kwargs = dict(use_soft_nms=soft, multiclass=multiclass, sigma=sigma, voting_thresh=voting)
    _assert_same(batched_nms(*args, **kwargs), reference_batched_nms(*args, **kwargs),
                 voting and not multiclass)


@pytest.mark.parametrize("soft", [True, False])
def test_matches_original_loops_on_a_large_tied_case(soft):
    # > 100 candidates per class: torch's unstable sort path, many equal scores
    segs, scores, cls = _random_case(np.random.default_rng(3), 400, 2, 20)
    args = (segs, scores, cls, 0.3, 0.01, 150)
    kwargs = dict(use_soft_nms=soft, multiclass=True, sigma=0.5, voting_thresh=0.0)
    _assert_same(batched_nms(*args, **kwargs), reference_batched_nms(*args, **kwargs), False)


@pytest.mark.parametrize("multiclass", [True, False])
def test_matches_original_loops_when_ties_meet_dropped_candidates(multiclass):
    # equal scores + many drops: only the original's exact visiting order gets these right
    for seed in range(40):
        segs, scores, cls = _random_case(np.random.default_rng(seed), 30, 2, 3)
        args = (segs, scores, cls, 0.3, 0.3, 200)
        kwargs = dict(use_soft_nms=True, multiclass=multiclass, voting_thresh=0.0)
        _assert_same(batched_nms(*args, **kwargs), reference_batched_nms(*args, **kwargs), False)


def test_half_precision_input_is_widened_to_float32():
    segs = torch.tensor([[0.0, 10.0], [1.0, 11.0]], dtype=torch.bfloat16)
    out = batched_nms(segs, torch.tensor([0.9, 0.8], dtype=torch.bfloat16),
                      torch.zeros(2, dtype=torch.long), 0.5, 0.001, 10)
    assert out[0].dtype == out[1].dtype == torch.float32
    assert out[1][0].item() == pytest.approx(0.9, abs=1e-2)


@pytest.mark.parametrize("multiclass", [True, False])
def test_hard_nms_with_everything_below_min_score_is_empty(multiclass):
    segs, scores = _t([[0, 1], [5, 6]]), _t([0.01, 0.02])
    out = batched_nms(segs, scores, torch.tensor([0, 1]), 0.5, 0.05, 10, use_soft_nms=False,
                      multiclass=multiclass)
    assert [tuple(x.shape) for x in out] == [(0, 2), (0,), (0,)]
