"""seg_voting / pairwise_iou_1d, and how batched_nms applies voting."""

from __future__ import annotations

import pytest
import torch

from actionformer.postprocess import batched_nms, pairwise_iou_1d, seg_voting


def _t(rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_pairwise_iou():
    iou = pairwise_iou_1d(_t([[0, 10], [5, 6]]), _t([[0, 10], [5, 15], [20, 30]]))
    expected = torch.tensor([[1.0, 5 / 15, 0.0], [0.1, 1 / 10, 0.0]])
    torch.testing.assert_close(iou, expected)


def test_voting_refines_kept_segment_with_neighbours():
    segs, scores = _t([[0, 10], [1, 11]]), _t([0.9, 0.3])
    out_segs, out_scores, _ = batched_nms(segs, scores, torch.zeros(2, dtype=torch.long),
                                          0.5, 0.001, 10, use_soft_nms=False, multiclass=False,
                                          voting_thresh=0.75)
    iou = 9 / 11
    w = torch.tensor([0.9 * 1.0, 0.3 * iou], dtype=torch.float64)
    expected = (w[:, None] * segs.double()).sum(0) / w.sum()
    assert out_scores.tolist() == pytest.approx([0.9])
    torch.testing.assert_close(out_segs[0].double(), expected, atol=1e-5, rtol=0)


def test_voting_only_class_agnostic_and_only_when_enabled():
    segs, scores = _t([[0, 10], [1, 11]]), _t([0.9, 0.3])
    cls = torch.zeros(2, dtype=torch.long)
    for kwargs in ({"multiclass": True, "voting_thresh": 0.75},
                   {"multiclass": False, "voting_thresh": 0.0}):
        out = batched_nms(segs, scores, cls, 0.5, 0.001, 10, use_soft_nms=False, **kwargs)
        assert out[0].tolist() == [[0, 10]]


def test_voting_ignores_neighbours_below_threshold():
    refined = seg_voting(_t([[0, 10]]), _t([[0, 10], [5, 15]]), _t([0.9, 0.9]), 0.5)
    assert refined.tolist() == [[0, 10]]  # IoU 1/3 < 0.5


@pytest.mark.parametrize("soft", [True, False])
def test_voting_with_float64_scores_and_float32_segments(soft):
    # scores straight from a float64 pipeline next to float32 segments used to crash the matmul
    segs, scores = _t([[0, 10], [1, 11], [20, 30]]), torch.tensor([0.9, 0.3, 0.5], dtype=torch.float64)
    cls = torch.zeros(3, dtype=torch.long)
    mixed = batched_nms(segs, scores, cls, 0.5, 0.001, 10, use_soft_nms=soft, multiclass=False,
                        voting_thresh=0.75)
    same = batched_nms(segs, scores.float(), cls, 0.5, 0.001, 10, use_soft_nms=soft, multiclass=False,
                       voting_thresh=0.75)
    assert mixed[0].dtype == torch.float32
    assert torch.equal(mixed[0], same[0]) and torch.equal(mixed[2], same[2])


def test_seg_voting_computes_in_the_segments_dtype():
    refined = seg_voting(_t([[0, 10]]), _t([[0, 10], [1, 11]]), torch.tensor([0.9, 0.3], dtype=torch.float64), 0.75)
    expected = seg_voting(_t([[0, 10]]), _t([[0, 10], [1, 11]]), _t([0.9, 0.3]), 0.75)
    assert refined.dtype == torch.float32 and torch.equal(refined, expected)
