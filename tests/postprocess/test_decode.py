"""decode_candidates: thresholds, per-level top-k, masking, decoding of offsets."""

from __future__ import annotations

import pytest
import torch

from actionformer.postprocess import decode_candidates, decode_level


def _points(t, stride):
    ts = torch.arange(t, dtype=torch.float32) * stride
    return torch.stack([ts, torch.zeros(t), torch.full((t,), 1e4), torch.full((t,), float(stride))], 1)


def _logit(p):
    return torch.log(torch.tensor(p) / (1 - torch.tensor(p)))


def test_decodes_offsets_in_stride_units():
    logits = torch.full((4, 2), -20.0)
    logits[2, 1] = _logit(0.8)
    offsets = torch.tensor([[0.0, 0.0]] * 2 + [[1.5, 0.5]] + [[0.0, 0.0]])
    segs, scores, labels = decode_level(_points(4, 2), logits, offsets, torch.ones(4, dtype=torch.bool),
                                        0.001, 100, 0.05)
    assert segs.tolist() == [[4 - 3.0, 4 + 1.0]]  # t = 2 * stride 2; offsets * stride
    assert scores.tolist() == pytest.approx([0.8])
    assert labels.tolist() == [1]


def test_threshold_topk_duration_and_mask():
    probs = torch.tensor([[0.9, 0.0005], [0.6, 0.7], [0.95, 0.3], [0.99, 0.99]])
    logits = torch.log(probs / (1 - probs))
    offsets = torch.ones(4, 2)
    offsets[1] = 0.01  # segment length 0.02 <= duration_thresh 0.05: dropped
    mask = torch.tensor([True, True, True, False])  # position 3 is padding
    segs, scores, labels = decode_level(_points(4, 1), logits, offsets, mask, 0.001, 3, 0.05)
    # top-3 of the 6 above threshold (valid only): 0.95, 0.9, 0.7; then 0.7 (length 0.02) dropped
    assert scores.tolist() == pytest.approx([0.95, 0.9])
    assert labels.tolist() == [0, 0]
    assert segs.tolist() == [[1.0, 3.0], [-1.0, 1.0]]


def test_levels_concatenate_in_order_and_topk_is_per_level():
    pts = [_points(4, 1), _points(2, 2)]
    logits = [torch.full((4, 1), 2.0), torch.full((2, 1), 3.0)]
    offsets = [torch.ones(4, 2), torch.ones(2, 2)]
    masks = [torch.ones(4, dtype=torch.bool), torch.ones(2, dtype=torch.bool)]
    segs, scores, labels = decode_candidates(pts, logits, offsets, masks, 0.001, 3, 0.05)
    assert segs.shape == (5, 2)  # 3 from level 0, 2 from level 1
    assert scores[3:].tolist() == pytest.approx([torch.sigmoid(torch.tensor(3.0)).item()] * 2)
    assert labels.dtype == torch.int64


def test_nothing_above_threshold_gives_empty_output():
    segs, scores, labels = decode_candidates(
        [_points(3, 1)], [torch.full((3, 2), -30.0)], [torch.ones(3, 2)],
        [torch.ones(3, dtype=torch.bool)], 0.001, 10, 0.05)
    assert segs.shape == (0, 2) and scores.shape == (0,) and labels.shape == (0,)


def test_shape_and_mask_errors_name_the_level():
    ok = ([_points(3, 1)], [torch.zeros(3, 2)], [torch.ones(3, 2)], [torch.ones(3, dtype=torch.bool)])
    with pytest.raises(ValueError, match="level 0"):
        decode_candidates(ok[0], [torch.zeros(4, 2)], ok[2], ok[3], 0.001, 10, 0.05)
    with pytest.raises(ValueError, match="bool"):
        decode_candidates(ok[0], ok[1], ok[2], [torch.ones(3)], 0.001, 10, 0.05)
    with pytest.raises(ValueError, match="one entry per"):
        decode_candidates(ok[0], ok[1] * 2, ok[2], ok[3], 0.001, 10, 0.05)
    with pytest.raises(ValueError, match="no pyramid levels"):
        decode_candidates([], [], [], [], 0.001, 10, 0.05)


def test_score_temperature_divides_the_logits_before_the_threshold():
    points = torch.tensor([[0.0, 0, 1e4, 1], [1.0, 0, 1e4, 1]])
    logits = torch.tensor([[2.0], [-3.0]])
    offsets = torch.ones(2, 2)
    mask = torch.ones(2, dtype=torch.bool)
    _, scores, _ = decode_candidates([points], [logits], [offsets], [mask], 0.01, 10, 0.0, score_temperature=2.0)
    torch.testing.assert_close(scores, torch.sigmoid(torch.tensor([1.0, -1.5])))
    # at T = 1 the logits are not touched: the same bits as the plain call
    plain = decode_candidates([points], [logits], [offsets], [mask], 0.01, 10, 0.0)
    same = decode_candidates([points], [logits], [offsets], [mask], 0.01, 10, 0.0, score_temperature=1.0)
    assert all(torch.equal(a, b) for a, b in zip(plain, same))
    # a low temperature pushes the negative below the threshold
    _, cold, _ = decode_candidates([points], [logits], [offsets], [mask], 0.01, 10, 0.0, score_temperature=0.5)
    assert cold.shape == (1,)
    with pytest.raises(ValueError, match="score_temperature"):
        decode_candidates([points], [logits], [offsets], [mask], 0.01, 10, 0.0, score_temperature=0.0)
