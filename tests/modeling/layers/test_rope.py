"""RoPE: scores depend only on relative position; norms preserved; strided positions."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.layers.rope import RotaryEmbedding


def _scores(rope, q, k, positions):
    return rope(q, positions) @ rope(k, positions).transpose(-2, -1)  # (..., T, T)


@pytest.mark.parametrize("shift", [1, 7, 1000, 36864])
def test_scores_depend_only_on_relative_position(shift):
    rope = RotaryEmbedding(16)
    q, k = torch.randn(2, 3, 10, 16, dtype=torch.float64), torch.randn(2, 3, 10, 16, dtype=torch.float64)
    positions = torch.arange(10) * 4  # a stride-4 pyramid level
    base = _scores(rope, q, k, positions)
    shifted = _scores(rope, q, k, positions + shift)
    torch.testing.assert_close(shifted.float(), base.float(), atol=2e-4, rtol=1e-4)


def test_rotation_is_not_trivial_and_preserves_norm():
    rope = RotaryEmbedding(8)
    x = torch.randn(1, 1, 6, 8)
    positions = torch.arange(6)
    y = rope(x, positions)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(y[..., 0, :], x[..., 0, :])  # position 0: identity
    assert (y[..., 1:, :] - x[..., 1:, :]).abs().max() > 1e-3


def test_matches_complex_rotation_definition():
    rope = RotaryEmbedding(4, base=100.0)
    x = torch.randn(5, 4, dtype=torch.float64)
    positions = torch.tensor([0.0, 1.0, 2.0, 8.0, 30.0])
    y = rope(x.float(), positions).double()
    theta = 100.0 ** (-torch.arange(0, 4, 2, dtype=torch.float64) / 4)  # (2,)
    angle = positions.double()[:, None] * theta  # (5, 2)
    x_even, x_odd = x[:, 0::2], x[:, 1::2]  # channel pairs (2j, 2j + 1)
    expected = torch.empty_like(x)
    expected[:, 0::2] = x_even * angle.cos() - x_odd * angle.sin()
    expected[:, 1::2] = x_even * angle.sin() + x_odd * angle.cos()
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=1e-5)


def test_relative_distance_in_true_time_is_what_matters():
    """Level with stride 2 at positions 2i: token pair (i, i+1) scores like pair (2i, 2i+2) at stride 1."""
    rope = RotaryEmbedding(8)
    q, k = torch.randn(1, 8), torch.randn(1, 8)
    s_level1 = rope(q, torch.tensor([6.0])) @ rope(k, torch.tensor([8.0])).T
    s_level0 = rope(q, torch.tensor([0.0])) @ rope(k, torch.tensor([2.0])).T
    torch.testing.assert_close(s_level1, s_level0, atol=1e-5, rtol=1e-5)


def test_bf16_keeps_dtype():
    rope = RotaryEmbedding(8)
    x = torch.randn(2, 7, 8)
    y = rope(x.bfloat16(), torch.arange(7))
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), rope(x, torch.arange(7)), atol=3e-2, rtol=3e-2)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="even"):
        RotaryEmbedding(7)
    rope = RotaryEmbedding(8)
    with pytest.raises(ValueError, match="head_dim"):
        rope(torch.randn(3, 6), torch.arange(3))
    with pytest.raises(ValueError, match="positions"):
        rope(torch.randn(3, 8), torch.arange(4))


def test_grid_rotations_equal_explicit_positions_and_are_cached():
    rope = RotaryEmbedding(8)
    rot = rope.grid_rotations(12, 4, torch.device("cpu"))
    torch.testing.assert_close(rot, rope.rotations(torch.arange(12) * 4))
    assert rope.grid_rotations(12, 4, torch.device("cpu")) is rot
    assert rope.grid_rotations(13, 4, torch.device("cpu")) is not rot


def test_gradients_match_finite_differences_in_float64():
    rope = RotaryEmbedding(8)
    x = torch.randn(2, 6, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: rope(t, torch.arange(6) * 3), (x,))
