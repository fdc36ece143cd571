"""Expected offsets and Distribution Focal Loss against hand-computed values and gradient checks."""

from __future__ import annotations

import math

import pytest
import torch

from actionformer.modeling.losses_dfl import clamp_offsets, distribution_focal_loss, expected_offsets


def test_expected_offset_of_hand_distributions():
    # logits log(p): probabilities (0.5, 0.25, 0.25) over bins 0, 1, 2 -> 0.25 + 0.5 = 0.75
    logits = torch.tensor([[math.log(0.5), math.log(0.25), math.log(0.25)]])
    torch.testing.assert_close(expected_offsets(logits), torch.tensor([0.75]))
    # uniform over 0..4 -> 2; a near-delta at bin 3 -> 3
    assert expected_offsets(torch.zeros(5)).item() == pytest.approx(2.0, abs=1e-6)
    delta = torch.full((5,), -30.0)
    delta[3] = 30.0
    assert expected_offsets(delta).item() == pytest.approx(3.0, abs=1e-6)


def test_expected_offset_is_float32_under_bf16_inputs_and_keeps_leading_axes():
    logits = torch.randn(2, 7, 2, 17).to(torch.bfloat16)
    out = expected_offsets(logits)
    assert out.shape == (2, 7, 2) and out.dtype == torch.float32
    assert bool(((out >= 0) & (out <= 16)).all())


def test_dfl_hand_value_between_two_bins():
    # target 1.3 over bins 0..3: -(0.7 log p1 + 0.3 log p2), averaged over the two sides
    probs = torch.tensor([0.1, 0.4, 0.3, 0.2])
    logits = probs.log().expand(1, 2, 4).clone()
    target = torch.tensor([[1.3, 1.3]])
    expected = -(0.7 * math.log(0.4) + 0.3 * math.log(0.3))
    torch.testing.assert_close(distribution_focal_loss(logits, target), torch.tensor([expected]))
    # each side separately: side 1 at bin 0 exactly -> -log p0; mean of the two sides
    target = torch.tensor([[1.3, 0.0]])
    both = (expected - math.log(0.1)) / 2
    torch.testing.assert_close(distribution_focal_loss(logits, target), torch.tensor([both]))


def test_dfl_at_the_last_bin_puts_all_weight_on_it():
    probs = torch.tensor([0.1, 0.2, 0.7])
    logits = probs.log().expand(1, 2, 3).clone()
    out = distribution_focal_loss(logits, torch.tensor([[2.0, 2.0]]), reduction="sum")
    assert out.item() == pytest.approx(-math.log(0.7), rel=1e-6)


def test_dfl_is_smallest_for_the_two_neighbouring_bins():
    """For a target between bins 1 and 2, moving probability to bin 0 or 3 increases the loss."""
    target = torch.tensor([[1.5, 1.5]])
    good = torch.tensor([0.0, 0.5, 0.5, 0.0]).clamp(min=1e-6).log().expand(1, 2, 4)
    spread = torch.tensor([0.25, 0.25, 0.25, 0.25]).log().expand(1, 2, 4)
    assert distribution_focal_loss(good, target).item() < distribution_focal_loss(spread, target).item()


def test_dfl_and_expectation_gradients_match_finite_differences():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 2, 6, dtype=torch.float64, generator=g, requires_grad=True)
    target = torch.rand(3, 2, dtype=torch.float64, generator=g) * 5

    def dfl(x):
        # the loss computes in float32; the check needs float64 all the way, so compare the same
        # formula's gradient through torch.autograd.gradcheck on a float64 re-implementation
        log_p = torch.log_softmax(x, -1)
        left = target.floor().clamp(max=4)
        w = target - left
        li = left.long().unsqueeze(-1)
        return -((1 - w) * log_p.gather(-1, li).squeeze(-1) + w * log_p.gather(-1, li + 1).squeeze(-1)).mean(-1)

    assert torch.autograd.gradcheck(dfl, (logits,))
    assert torch.autograd.gradcheck(lambda x: torch.softmax(x, -1) @ torch.arange(6, dtype=x.dtype), (logits,))
    # the library functions (float32 inside) give the float64 formula's gradients to float32 precision
    ours = logits.detach().clone().requires_grad_(True)
    distribution_focal_loss(ours, target, reduction="sum").backward()
    ref = logits.detach().clone().requires_grad_(True)
    dfl(ref).sum().backward()
    torch.testing.assert_close(ours.grad, ref.grad, atol=1e-6, rtol=1e-5)
    ours = logits.detach().clone().requires_grad_(True)
    expected_offsets(ours).sum().backward()
    ref = logits.detach().clone().requires_grad_(True)
    (torch.softmax(ref, -1) @ torch.arange(6, dtype=ref.dtype)).sum().backward()
    torch.testing.assert_close(ours.grad, ref.grad, atol=1e-6, rtol=1e-5)


def test_dfl_gradient_pulls_towards_the_target_bins():
    logits = torch.zeros(1, 2, 5, requires_grad=True)
    distribution_focal_loss(logits, torch.tensor([[2.0, 2.0]]), reduction="sum").backward()
    grad = logits.grad[0, 0]
    assert grad[2] < 0 and bool((grad[[0, 1, 3, 4]] > 0).all())  # descent raises bin 2, lowers the rest


def test_clamp_and_bad_inputs():
    torch.testing.assert_close(clamp_offsets(torch.tensor([[-1.0, 20.0]]), 16), torch.tensor([[0.0, 16.0]]))
    with pytest.raises(ValueError, match="clamp them first"):
        distribution_focal_loss(torch.zeros(1, 2, 5), torch.tensor([[5.0, 1.0]]))
    with pytest.raises(ValueError, match="need"):
        distribution_focal_loss(torch.zeros(1, 5), torch.tensor([[1.0, 1.0]]))
    with pytest.raises(ValueError, match="at least 2 bins"):
        expected_offsets(torch.zeros(3, 1))
