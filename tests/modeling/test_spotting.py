"""Heatmap targets and CornerNet's focal loss of the spotting models (modeling/spotting.py)."""

from __future__ import annotations

import math

import torch

from actionformer.modeling.spotting import cornernet_focal_loss, heatmap_targets, level_sigma


def _points(length: int, stride: int) -> torch.Tensor:
    t = torch.arange(length, dtype=torch.float32) * stride
    return torch.stack([t, torch.zeros_like(t), torch.full_like(t, 1e4), torch.full_like(t, float(stride))], 1)


def test_targets_peak_at_the_nearest_step_with_a_gaussian_around_it():
    times, labels, sigmas = torch.tensor([5.3]), torch.tensor([1]), torch.tensor([1.0])
    out = heatmap_targets([_points(12, 1), _points(6, 2)], [times], [labels], [sigmas], num_classes=3)
    heat0 = out.heat[0][0]  # (T, C)
    assert heat0[5, 1] == 1.0 and heat0[:, 0].eq(0).all() and heat0[:, 2].eq(0).all()
    assert math.isclose(float(heat0[6, 1]), math.exp(-0.5 * 0.7 ** 2), rel_tol=1e-5)
    # sigma 1 < stride 2: the coarser level leaves the event to the finer one (background there)
    assert out.heat[1][0].eq(0).all() and float(level_sigma(torch.tensor(0.2), 2)) == 1.0
    wide = heatmap_targets([_points(12, 1), _points(6, 2)], [times], [labels], [torch.tensor([2.0])], 3)
    assert wide.heat[1][0][3, 1] == 1.0  # nearest step of t = 5.3 at stride 2 is index 3 (t = 6)
    # offsets: the event minus the step, in the level's steps, on the steps next to the event
    assert math.isclose(float(out.offsets[0][0, 5]), 0.3, abs_tol=1e-5)
    assert math.isclose(float(out.offsets[0][0, 6]), -0.7, abs_tol=1e-5)
    assert out.offset_mask[0][0].nonzero().flatten().tolist() == [5, 6]
    assert math.isclose(float(wide.offsets[1][0, 3]), 5.3 / 2 - 3, abs_tol=1e-5)


def test_positive_radius_marks_the_neighbours_as_positives_too():
    times, labels, sigmas = torch.tensor([5.3, 0.2]), torch.tensor([1, 0]), torch.tensor([1.0, 1.0])
    heat = heatmap_targets([_points(12, 1)], [times], [labels], [sigmas], 3, pos_radius=1).heat[0][0]
    assert heat[:, 1].eq(1.0).nonzero().flatten().tolist() == [4, 5, 6]
    assert heat[:, 0].eq(1.0).nonzero().flatten().tolist() == [0, 1]  # clipped at the border


def test_two_events_of_one_class_keep_the_maximum_and_a_video_without_events_is_all_zero():
    times, labels, sigmas = torch.tensor([2.0, 4.0]), torch.tensor([0, 0]), torch.tensor([2.0, 2.0])
    empty = (torch.zeros(0), torch.zeros(0, dtype=torch.long), torch.zeros(0))
    out = heatmap_targets([_points(8, 1)], [times, empty[0]], [labels, empty[1]], [sigmas, empty[2]], 2)
    heat = out.heat[0]
    assert heat.shape == (2, 8, 2)
    assert math.isclose(float(heat[0, 3, 0]), math.exp(-0.5 * 0.25), rel_tol=1e-5)  # max of two equal ones
    assert heat[1].eq(0).all() and not out.offset_mask[0][1].any()


def test_focal_loss_matches_its_formula_and_rewards_confidence_at_the_peak():
    heat = torch.tensor([[1.0], [0.5], [0.0]])
    logits = torch.tensor([[0.3], [-0.2], [-1.0]])
    p = torch.sigmoid(logits)
    expected = -((1 - p[0]) ** 2 * torch.log(p[0]) + (1 - 0.5) ** 4 * p[1] ** 2 * torch.log(1 - p[1])
                 + p[2] ** 2 * torch.log(1 - p[2]))
    assert torch.allclose(cornernet_focal_loss(logits, heat), expected.sum(), rtol=1e-5)
    confident = torch.tensor([[4.0], [-0.2], [-1.0]])
    assert cornernet_focal_loss(confident, heat) < cornernet_focal_loss(logits, heat)
    assert cornernet_focal_loss(logits.bfloat16(), heat).dtype == torch.float32
