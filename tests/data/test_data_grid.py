import numpy as np
import torch

from actionformer.data.grid import feat_offset, grid_to_seconds, seconds_to_grid


def test_seconds_to_grid_is_the_original_formula():
    seconds = np.array([0.0, 1.5, 100.25])
    grid = seconds_to_grid(seconds, 30.0, 4, 16)
    np.testing.assert_allclose(grid, seconds * 30.0 / 4 - 0.5 * 16 / 4)
    assert feat_offset(4, 16) == 2.0


def test_round_trip_numpy_and_torch():
    seconds = np.linspace(0, 500, 101)
    for fps, stride, frames in [(30.0, 4, 16), (29.97, 16, 32), (25.0, 7.3, 7.3)]:
        back = grid_to_seconds(seconds_to_grid(seconds, fps, stride, frames), fps, stride, frames)
        np.testing.assert_allclose(back, seconds, atol=1e-9)
    t = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    assert torch.allclose(grid_to_seconds(seconds_to_grid(t, 30.0, 4, 16), 30.0, 4, 16), t)
