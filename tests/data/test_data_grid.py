import numpy as np
import pytest
import torch

from actionformer.data.grid import feat_offset, seconds_to_grid
from actionformer.postprocess import grid_to_seconds


def test_seconds_to_grid_is_the_original_formula():
    seconds = np.array([0.0, 1.5, 100.25])
    grid = seconds_to_grid(seconds, 30.0, 4, 16)
    np.testing.assert_allclose(grid, seconds * 30.0 / 4 - 0.5 * 16 / 4)
    assert feat_offset(4, 16) == 2.0


@pytest.mark.parametrize("fps, stride, frames", [(30.0, 4, 16), (29.97, 16, 32), (25.0, 7.3, 7.3)])
def test_postprocess_grid_to_seconds_inverts_seconds_to_grid(fps, stride, frames):
    seconds = torch.linspace(0, 500, 102, dtype=torch.float64).reshape(51, 2)
    back = grid_to_seconds(seconds_to_grid(seconds, fps, stride, frames), fps, stride, frames, 500.0)
    torch.testing.assert_close(back, seconds, atol=1e-9, rtol=0)
