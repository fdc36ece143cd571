from __future__ import annotations

import math

import pytest
import torch

from actionformer.modeling.losses import ctr_diou_loss_1d, ctr_giou_loss_1d, sigmoid_focal_loss


def test_focal_loss_known_values():
    logits = torch.tensor([0.0, 2.0, -1.0])
    targets = torch.tensor([1.0, 0.0, 0.5])
    p = torch.sigmoid(logits)
    expected = []
    for pi, ti, xi in zip(p.tolist(), targets.tolist(), logits.tolist()):
        ce = -(ti * math.log(pi) + (1 - ti) * math.log(1 - pi))
        pt = pi * ti + (1 - pi) * (1 - ti)
        expected.append((0.25 * ti + 0.75 * (1 - ti)) * ce * (1 - pt) ** 2)
    out = sigmoid_focal_loss(logits, targets)
    torch.testing.assert_close(out, torch.tensor(expected), atol=1e-6, rtol=1e-6)
    assert sigmoid_focal_loss(logits, targets, reduction="sum").item() == pytest.approx(sum(expected), rel=1e-6)
    assert sigmoid_focal_loss(logits.bfloat16(), targets).dtype == torch.float32


def test_diou_loss():
    pred = torch.tensor([[1.0, 1.0], [1.0, 3.0], [0.0, 0.0]])
    gt = torch.tensor([[1.0, 1.0], [2.0, 2.0], [1.0, 1.0]])
    loss = ctr_diou_loss_1d(pred, gt)
    # identical -> 0; second: inter 1 + 2 = 3, union 4 + 4 - 3 = 5, rho = 0.5 * (3 - 1 - 2 + 2) = 1, enclosing 5
    assert loss[0].item() == pytest.approx(0.0, abs=1e-7)
    assert loss[1].item() == pytest.approx(1 - 3 / 5 + (1 / 5) ** 2)
    assert loss[2].item() == pytest.approx(1.0)
    assert ctr_giou_loss_1d(pred, gt)[1].item() == pytest.approx(1 - 3 / 5)
    assert ctr_diou_loss_1d(pred[:0], gt[:0], reduction="mean").item() == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        ctr_diou_loss_1d(-pred, gt)
