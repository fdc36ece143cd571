from __future__ import annotations

import math

import pytest
import torch

from actionformer.modeling import CLS_LOSSES, REG_LOSSES
from actionformer.modeling.losses import (
    ctr_diou_loss_1d, ctr_eiou_loss_1d, ctr_giou_loss_1d, ctr_iou_loss_1d, offsets_iou, quality_focal_loss,
    sigmoid_focal_loss,
)


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


# ---------------------------------------------------------------- issue 13: IoU / EIoU, quality focal


def test_iou_diou_eiou_hand_values():
    # (lp, rp, lg, rg) = (1, 1, 2, 2): IoU 2/4; same centre -> DIoU adds 0; EIoU adds (2 - 4)^2 / 4^2
    pred, gt = torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0, 2.0]])
    assert ctr_iou_loss_1d(pred, gt).item() == pytest.approx(0.5)
    assert ctr_diou_loss_1d(pred, gt).item() == pytest.approx(0.5)
    assert ctr_eiou_loss_1d(pred, gt).item() == pytest.approx(0.75)
    # (1, 3) vs (2, 2): inter 3, union 5, rho 1, enclosing 5, lengths equal -> EIoU == DIoU
    pred, gt = torch.tensor([[1.0, 3.0]]), torch.tensor([[2.0, 2.0]])
    assert ctr_eiou_loss_1d(pred, gt).item() == pytest.approx(1 - 3 / 5 + (1 / 5) ** 2)
    # (0, 1) vs (2, 2): inter 1, union 4, rho 0.5 * (1 - 0 - 2 + 2) = 0.5, c = 4, gap 1 - 4 = -3
    pred = torch.tensor([[0.0, 1.0]])
    gt = torch.tensor([[2.0, 2.0]])
    assert ctr_eiou_loss_1d(pred, gt).item() == pytest.approx(1 - 1 / 4 + (0.25 + 9) / 16)
    assert offsets_iou(pred, gt).item() == pytest.approx(0.25)


def test_eiou_is_zero_only_at_the_target_and_bf16_stays_float32():
    gt = torch.tensor([[2.0, 3.0]])
    assert ctr_eiou_loss_1d(gt.clone(), gt).item() == pytest.approx(0.0, abs=1e-7)
    assert ctr_eiou_loss_1d(torch.tensor([[2.0, 3.5]]), gt).item() > 0
    assert ctr_eiou_loss_1d(gt.bfloat16(), gt.bfloat16()).dtype == torch.float32
    with pytest.raises(ValueError, match="non-negative"):
        ctr_eiou_loss_1d(-gt, gt)


@pytest.mark.parametrize("loss_fn", [ctr_iou_loss_1d, ctr_diou_loss_1d, ctr_eiou_loss_1d])
def test_regression_loss_gradients(loss_fn):
    g = torch.Generator().manual_seed(0)
    pred = (torch.rand(6, 2, generator=g, dtype=torch.float64) * 4 + 0.1).requires_grad_()
    gt = torch.rand(6, 2, generator=g, dtype=torch.float64) * 4 + 0.1

    def f(p):  # the losses compute in float32: check the float32 gradient against float64 differences
        return loss_fn(p, gt, reduction="sum").double()

    analytic = torch.autograd.grad(f(pred), pred)[0]
    numeric = torch.zeros_like(pred)
    step = 1e-3
    for idx in range(pred.numel()):
        delta = torch.zeros_like(pred).view(-1)
        delta[idx] = step
        delta = delta.view_as(pred)
        with torch.no_grad():
            numeric.view(-1)[idx] = (f(pred + delta) - f(pred - delta)) / (2 * step)
    # float32 evaluation: error ~ eps32 * |loss| / step ~ 1e-4
    torch.testing.assert_close(analytic, numeric, atol=2e-3, rtol=1e-2)


def test_quality_focal_hand_value_and_minimum():
    logits, q = torch.tensor([0.0, 2.0, -1.0]), torch.tensor([0.7, 0.0, 0.3])
    p = torch.sigmoid(logits)
    bce = -(q * torch.log(p) + (1 - q) * torch.log(1 - p))
    expected = (q - p).abs() ** 2 * bce
    torch.testing.assert_close(quality_focal_loss(logits, q), expected, atol=1e-6, rtol=1e-6)
    # the loss vanishes where sigmoid(x) == q: the score learns the IoU
    at_target = torch.logit(torch.tensor([0.2, 0.9]))
    assert quality_focal_loss(at_target, torch.tensor([0.2, 0.9])).abs().max().item() < 1e-6
    assert quality_focal_loss(logits.bfloat16(), q).dtype == torch.float32


def test_quality_focal_gradient():
    logits = torch.tensor([-2.0, -0.3, 0.4, 1.5], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([0.0, 0.6, 0.2, 1.0], dtype=torch.float64)
    p = torch.sigmoid(logits.detach())
    # d/dx of |q - p|^2 * BCE(x, q) = 2 (p - q) p (1 - p) * BCE + (q - p)^2 (p - q)
    bce = -(q * torch.log(p) + (1 - q) * torch.log(1 - p))
    expected = 2 * (p - q) * p * (1 - p) * bce + (q - p) ** 2 * (p - q)
    grad = torch.autograd.grad(quality_focal_loss(logits, q, reduction="sum"), logits)[0]
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=1e-5)


def test_registered_losses_and_their_options():
    assert {"diou", "giou", "iou", "eiou"} <= set(REG_LOSSES.names())
    assert {"focal", "quality_focal"} <= set(CLS_LOSSES.names())
    qfl = CLS_LOSSES.get("quality_focal").from_config({"qfl_beta": 1.5})
    assert qfl.beta == 1.5 and qfl.wants_quality_targets
    assert not CLS_LOSSES.get("focal").from_config({}).wants_quality_targets
    assert [k.path for k in CLS_LOSSES.config_keys("quality_focal")] == ["train_cfg.qfl_beta"]
    pred, gt = torch.tensor([[1.0, 1.0], [0.0, 1.0]]), torch.tensor([[2.0, 2.0], [2.0, 2.0]])
    assert REG_LOSSES.get("eiou").from_config({})(pred, gt).item() == pytest.approx(
        ctr_eiou_loss_1d(pred, gt).sum().item())
    with pytest.raises(KeyError, match="qfl"):
        REG_LOSSES.get("qfl")
