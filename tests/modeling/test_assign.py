from __future__ import annotations

import torch

from actionformer.modeling.assign import assign_labels, assign_single_video


def _points(length, strides=(1, 2), ranges=((0, 4), (4, 100))):
    rows = []
    for s, (lo, hi) in zip(strides, ranges):
        t = torch.arange(length // s, dtype=torch.float32) * s
        rows.append(torch.stack([t, torch.full_like(t, lo), torch.full_like(t, hi), torch.full_like(t, s)], 1))
    return rows


def test_center_sampling_and_regression_range():
    points = torch.cat(_points(16))
    segs = torch.tensor([[2.0, 5.0], [6.0, 14.0]])
    labels = torch.tensor([1, 0])
    cls_t, reg_t = assign_single_video(points, segs, labels, num_classes=2, center_sample="radius",
                                       center_sample_radius=1.5)
    pos = cls_t.sum(-1) > 0
    level0 = pos[:16].nonzero().flatten().tolist()
    # [2, 5] on level 0: centre 3.5 +- 1.5 -> t in (2, 5) -> 3, 4; [6, 14]: only t = 10 has
    # its larger distance (4) inside level 0's range [0, 4]
    assert level0 == [3, 4, 10]
    assert cls_t[3].tolist() == [0.0, 1.0]
    assert reg_t[3].tolist() == [1.0, 2.0]
    # long action [6, 14] on level 1 (stride 2): centre 10 +- 3 -> t in (7, 13) -> 8, 10, 12
    level1 = (pos[16:].nonzero().flatten() * 2).tolist()
    assert level1 == [8, 10, 12]
    assert reg_t[16 + 4].tolist() == [(8 - 6) / 2, (14 - 8) / 2]


def test_no_center_sampling_uses_whole_segment_and_shortest_wins():
    points = torch.cat(_points(16, strides=(1,), ranges=((0, 100),)))
    segs = torch.tensor([[1.0, 9.0], [3.0, 6.0]])
    cls_t, reg_t = assign_single_video(points, segs, torch.tensor([0, 1]), 2, center_sample="none")
    assert (cls_t.sum(-1) > 0).nonzero().flatten().tolist() == list(range(2, 9))
    assert cls_t[4].tolist() == [0.0, 1.0]  # inside both: the shorter one
    assert cls_t[2].tolist() == [1.0, 0.0]


def test_duplicate_actions_share_targets_and_empty_video():
    points = torch.cat(_points(16, strides=(1,), ranges=((0, 100),)))
    segs = torch.tensor([[2.0, 8.0], [2.0, 8.0005]])
    cls_t, _ = assign_single_video(points, segs, torch.tensor([0, 1]), 3, center_sample="none")
    assert cls_t[5].tolist() == [1.0, 1.0, 0.0]
    cls_list, reg_list = assign_labels([points], [torch.zeros(0, 2)], [torch.zeros(0, dtype=torch.long)], 3)
    assert cls_list[0].shape == (16, 3) and cls_list[0].sum() == 0
    assert reg_list[0].shape == (16, 2)
