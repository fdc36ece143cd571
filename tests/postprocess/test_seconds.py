"""grid_to_seconds: the original's frame-centre formula and clipping to [0, duration]."""

from __future__ import annotations

import pytest
import torch

from actionformer.postprocess import grid_to_seconds


def test_formula_uses_the_feature_window_centre():
    segs = torch.tensor([[10.0, 20.0]])
    out = grid_to_seconds(segs, fps=30.0, feat_stride=4, feat_num_frames=16, duration=100.0)
    torch.testing.assert_close(out, torch.tensor([[(10 * 4 + 8) / 30, (20 * 4 + 8) / 30]]))


def test_clipping_to_video():
    segs = torch.tensor([[-5.0, 3.0], [-2.0, -1.0], [700.0, 900.0], [1.0, 800.0]])
    out = grid_to_seconds(segs, fps=30.0, feat_stride=4, feat_num_frames=16, duration=25.0)
    assert out[:, 0].min().item() == 0.0
    expected = [[0.0, (12 + 8) / 30], [0.0, (-4 + 8) / 30], [25.0, 25.0], [(4 + 8) / 30, 25.0]]
    torch.testing.assert_close(out, torch.tensor(expected))
    assert torch.all((out >= 0) & (out <= 25.0))


def test_boundary_exactly_at_zero_or_duration():
    # -2 grid units with 4-frame stride and 16-frame window land exactly on 0 s
    out = grid_to_seconds(torch.tensor([[-2.0, 58.0]]), fps=1.0, feat_stride=4,
                          feat_num_frames=16, duration=240.0)
    assert out.tolist() == [[0.0, 240.0]]


def test_metadata_may_be_tensors_and_empty_input_passes_through():
    segs = torch.tensor([[1.0, 2.0]])
    a = grid_to_seconds(segs, 30.0, 4, 16, 10.0)
    b = grid_to_seconds(segs, torch.tensor(30.0), torch.tensor(4), torch.tensor(16),
                        torch.tensor(10.0, dtype=torch.float64))
    assert torch.equal(a, b)
    assert grid_to_seconds(torch.zeros(0, 2), 30.0, 4, 16, 10.0).shape == (0, 2)


def test_float32_in_float32_out():
    out = grid_to_seconds(torch.tensor([[1.0, 2.0]]), 30.0, 4, 16, 10.0)
    assert out.dtype == torch.float32


@pytest.mark.parametrize("fps", [0.0, -1.0, None, "x"])
def test_bad_fps_is_a_clear_error(fps):
    with pytest.raises(ValueError, match="fps"):
        grid_to_seconds(torch.tensor([[1.0, 2.0]]), fps, 4, 16, 10.0)


def test_missing_duration_is_a_clear_error():
    with pytest.raises(ValueError, match="duration"):
        grid_to_seconds(torch.tensor([[1.0, 2.0]]), 30.0, 4, 16, None)


@pytest.mark.parametrize("duration", [-1.0, float("nan")])
def test_negative_or_nan_duration_is_a_clear_error(duration):
    # clipping to a negative or NaN length would give silently wrong segments
    with pytest.raises(ValueError, match="duration must be >= 0"):
        grid_to_seconds(torch.tensor([[1.0, 2.0]]), 30.0, 4, 16, duration)


def test_infinite_fps_is_a_clear_error():
    with pytest.raises(ValueError, match="fps"):
        grid_to_seconds(torch.tensor([[1.0, 2.0]]), float("inf"), 4, 16, 10.0)


def test_zero_duration_video_collapses_every_segment_to_zero():
    out = grid_to_seconds(torch.tensor([[1.0, 2.0], [-3.0, 5.0]]), 30.0, 4, 16, 0.0)
    assert out.tolist() == [[0.0, 0.0], [0.0, 0.0]]
