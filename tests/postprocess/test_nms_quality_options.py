"""DIoU-NMS and per-class NMS parameters (issue 13): hand cases, and the vectorised
implementation against the scalar reference (nms_quality_reference.py) on random cases with
ties and zero-length segments."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actionformer.postprocess import batched_nms
from actionformer.postprocess.segment_overlap import segment_diou
from nms_cases import random_nms_case
from nms_quality_reference import overlap, reference_nms


def _t(rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_diou_of_hand_cases():
    # [0, 4] vs [2, 6]: IoU 2 / 6; centres 2 and 4, enclosing 6 -> DIoU = 1/3 - (2/6)^2
    diou = segment_diou(np.float64([[0]]), np.float64([[4]]), np.float64([[4 + 1e-6]]), np.float64([[2]]),
                         np.float64([[2]]), np.float64([[6]]), np.float64([[4 + 1e-6]]), np.float64([[4]]))
    assert diou.item() == pytest.approx(1 / 3 - (2 / 6) ** 2, abs=1e-6)
    # same centre: DIoU is IoU; disjoint and far: negative
    assert overlap(np.float32(0), np.float32(4), np.float32(1), np.float32(3), True) == pytest.approx(0.5, abs=1e-6)
    assert overlap(np.float32(0), np.float32(1), np.float32(9), np.float32(10), True) < -0.5
    # two identical zero-length segments: 0, not NaN
    assert overlap(np.float32(3), np.float32(3), np.float32(3), np.float32(3), True) == 0


def test_soft_diou_nms_spares_a_shifted_overlap_more_than_iou():
    segs, scores, cls = _t([[0, 10], [4, 14]]), _t([0.9, 0.8]), torch.zeros(2, dtype=torch.long)
    iou_out = batched_nms(segs, scores, cls, 0.5, 0.0, 10, sigma=0.5, voting_thresh=0)
    diou_out = batched_nms(segs, scores, cls, 0.5, 0.0, 10, sigma=0.5, voting_thresh=0, use_diou=True)
    iou, diou = 6 / 14, 6 / 14 - (4 / 14) ** 2
    assert iou_out[1][1].item() == pytest.approx(0.8 * math.exp(-iou**2 / 0.5), rel=1e-5)
    assert diou_out[1][1].item() == pytest.approx(0.8 * math.exp(-diou**2 / 0.5), rel=1e-5)


def test_soft_diou_nms_keeps_the_highest_decayed_score_next():
    # after [0, 10] is kept, 0.85 -> decayed well below 0.6 (same centre); 0.6 (far) must come next
    segs, scores = _t([[0, 10], [1, 9], [30, 40]]), _t([0.9, 0.85, 0.6])
    out = batched_nms(segs, scores, torch.zeros(3, dtype=torch.long), 0.5, 0.0, 10, sigma=0.1,
                      voting_thresh=0, use_diou=True)
    assert out[0][1].tolist() == [30, 40]


def test_hard_diou_nms_is_not_ignored():
    # IoU 6/14 = 0.43 >= 0.4 suppresses; DIoU 0.35 < 0.4 does not
    segs, scores, cls = _t([[0, 10], [4, 14]]), _t([0.9, 0.8]), torch.zeros(2, dtype=torch.long)
    assert batched_nms(segs, scores, cls, 0.4, 0.0, 10, use_soft_nms=False)[0].shape[0] == 1
    assert batched_nms(segs, scores, cls, 0.4, 0.0, 10, use_soft_nms=False, use_diou=True)[0].shape[0] == 2


@pytest.mark.parametrize("multiclass", [True, False])
def test_class_sigma_applies_the_kept_segments_class(multiclass):
    segs = _t([[0, 10], [1, 11], [100, 110], [101, 111]])
    scores, cls = _t([0.9, 0.8, 0.9, 0.8]), torch.tensor([0, 0, 1, 1])
    out = batched_nms(segs, scores, cls, 0.5, 0.0, 10, multiclass=multiclass, sigma=0.5,
                      voting_thresh=0, class_sigma={1: 0.05})
    iou = 9 / 11
    decayed = {int(c): s for s, c in zip(out[1].tolist(), out[2].tolist()) if s < 0.85}
    assert decayed[0] == pytest.approx(0.8 * math.exp(-iou**2 / 0.5), rel=1e-5)
    assert decayed[1] == pytest.approx(0.8 * math.exp(-iou**2 / 0.05), rel=1e-4)


@pytest.mark.parametrize("multiclass", [True, False])
def test_class_iou_threshold_applies_the_kept_segments_class(multiclass):
    segs = _t([[0, 10], [4, 14], [100, 110], [104, 114]])
    scores, cls = _t([0.9, 0.8, 0.9, 0.8]), torch.tensor([0, 0, 1, 1])
    out = batched_nms(segs, scores, cls, 0.5, 0.0, 10, use_soft_nms=False, multiclass=multiclass,
                      voting_thresh=0, class_iou_threshold={1: 0.3})
    assert sorted(out[2].tolist()) == [0, 0, 1]  # class 1's pair (IoU 0.43) is suppressed only


def test_class_tables_need_class_ids_and_positive_sigmas():
    segs, scores, cls = _t([[0, 1]]), _t([0.9]), torch.zeros(1, dtype=torch.long)
    with pytest.raises(ValueError, match="class ids"):
        batched_nms(segs, scores, cls, 0.5, 0.0, 10, class_sigma={"Diving": 0.3})
    with pytest.raises(ValueError, match="class_sigma must be > 0"):
        batched_nms(segs, scores, cls, 0.5, 0.0, 10, class_sigma={0: 0.0})


def test_options_off_are_the_default_path_exactly():
    rng = np.random.default_rng(0)
    segs, scores, cls = _random_case(rng, 60, 3, 10)
    for soft in (True, False):
        base = batched_nms(segs, scores, cls, 0.3, 0.01, 50, use_soft_nms=soft)
        off = batched_nms(segs, scores, cls, 0.3, 0.01, 50, use_soft_nms=soft, use_diou=False,
                          class_sigma={}, class_iou_threshold=None)
        assert all(torch.equal(a, b) for a, b in zip(base, off))


# ---------------------------------------------------------------- against the scalar reference
def _random_case(rng, n, num_classes, tie_levels, zero_length=True):
    # zero-length segments too (not with voting, whose reference divides by the lengths)
    lengths = [0.0, 0.5, 1, 2, 3, 8] if zero_length else [0.5, 1, 2, 3, 8]
    return random_nms_case(rng, n, num_classes, tie_levels, max_start=30, lengths=lengths)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 40),
    num_classes=st.integers(1, 4),
    tie_levels=st.sampled_from([3, 10, 1000]),
    soft=st.booleans(),
    multiclass=st.booleans(),
    use_diou=st.booleans(),
    per_class=st.booleans(),
    min_score=st.sampled_from([0.0, 0.001, 0.05, 0.3]),
    max_seg_num=st.sampled_from([1, 3, 200]),
    voting=st.sampled_from([0.0, 0.7]),
)
def test_matches_the_scalar_reference(seed, n, num_classes, tie_levels, soft, multiclass, use_diou,
                                      per_class, min_score, max_seg_num, voting):
    rng = np.random.default_rng(seed)
    segs, scores, cls = _random_case(rng, n, num_classes, tie_levels, zero_length=voting == 0)
    tables = {}
    if per_class:  # some classes listed, others on the global value
        listed = {c: float(v) for c, v in zip(range(0, num_classes, 2), rng.choice([0.05, 0.3, 0.9], num_classes))}
        tables = {"class_sigma": listed} if soft else {"class_iou_threshold": {c: min(v, 0.8) for c, v in listed.items()}}
    args = (segs, scores, cls, 0.5, min_score, max_seg_num)
    kwargs = dict(use_soft_nms=soft, multiclass=multiclass, sigma=0.5, voting_thresh=voting,
                  use_diou=use_diou, **tables)
    ours, ref = batched_nms(*args, **kwargs), reference_nms(*args, **kwargs)
    assert ours[0].shape == ref[0].shape
    assert torch.equal(ours[1], ref[1]) and torch.equal(ours[2], ref[2])
    if voting and not multiclass:
        torch.testing.assert_close(ours[0], ref[0], atol=1e-5, rtol=1e-6)
    else:
        assert torch.equal(ours[0], ref[0])


@pytest.mark.parametrize("soft", [True, False])
def test_matches_the_scalar_reference_on_a_large_tied_case(soft):
    segs, scores, cls = _random_case(np.random.default_rng(3), 300, 2, 20)
    kwargs = dict(use_soft_nms=soft, multiclass=False, voting_thresh=0.0, use_diou=True,
                  **({"class_sigma": {1: 0.2}} if soft else {"class_iou_threshold": {1: 0.2}}))
    ours, ref = batched_nms(segs, scores, cls, 0.4, 0.01, 150, **kwargs), reference_nms(
        segs, scores, cls, 0.4, 0.01, 150, **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(ours, ref))
