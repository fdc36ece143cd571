"""Peak finding, window NMS and the seconds of spotted events (postprocess/peaks.py)."""

from __future__ import annotations

import torch

from actionformer.postprocess.peaks import find_peaks, spot_events, window_nms


def test_find_peaks_keeps_local_maxima_above_the_threshold_on_valid_steps():
    scores = torch.tensor([[0.1, 0.0], [0.9, 0.0], [0.5, 0.0], [0.6, 0.7], [0.2, 0.1], [0.95, 0.0]])
    mask = torch.tensor([True, True, True, True, True, False])
    steps, classes, values = find_peaks(scores, mask, kernel=3, threshold=0.3, topk=10)
    found = sorted(zip(steps.tolist(), classes.tolist()))
    assert found == [(1, 0), (3, 0), (3, 1)]  # step 5 is padding
    steps, _, values = find_peaks(scores, mask, kernel=3, threshold=0.3, topk=1)
    assert steps.tolist() == [1] and torch.allclose(values, torch.tensor([0.9]))


def test_window_nms_suppresses_same_class_events_within_half_a_window():
    times = torch.tensor([10.0, 10.8, 12.0, 10.2, 30.0])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5])
    labels = torch.tensor([0, 0, 0, 1, 0])
    kept = window_nms(times, scores, labels, window=2.0, max_events=10)
    assert kept.tolist() == [0, 2, 3, 4]  # 10.8 is within 1 s of 10; 12.0 is not; class 1 untouched
    per_class = window_nms(times, scores, labels, window=[5.0, 2.0], max_events=10)
    assert per_class.tolist() == [0, 3, 4]
    assert window_nms(times, scores, labels, window=0.0, max_events=2).tolist() == [0, 1]


def test_spot_events_merges_levels_and_returns_seconds_best_first():
    level0 = torch.zeros(8, 2)
    level0[3, 1] = 0.8
    level1 = torch.zeros(4, 2)
    level1[2, 0] = 0.6  # step 2 of stride 2 -> grid 4 (+ offset 0.25 steps of 2 -> 4.5)
    offsets = [torch.full((8,), -0.5), torch.full((4,), 0.25)]
    masks = [torch.ones(8, dtype=torch.bool), torch.ones(4, dtype=torch.bool)]
    meta = {"video_id": "v", "fps": 2.0, "feat_stride": 1, "feat_num_frames": 0, "duration": 10.0}
    cfg = {"peak_kernel": 3, "pre_nms_thresh": 0.1, "pre_nms_topk": 100, "nms_window": 1.0, "max_seg_num": 5}
    out = spot_events([level0, level1], offsets, masks, [1, 2], meta, cfg)
    assert out["video_id"] == "v" and out["labels"].tolist() == [1, 0]
    assert torch.allclose(out["times"], torch.tensor([(3 - 0.5) / 2, 4.5 / 2]))
    assert torch.allclose(out["scores"], torch.tensor([0.8, 0.6]))
