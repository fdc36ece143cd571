"""ModelEma: the moving average, copying, and unwrapping."""

from __future__ import annotations

import torch
from torch import nn

from actionformer.engine import ModelEma


def test_update_moves_towards_the_model_by_one_minus_decay():
    model = nn.Linear(3, 2)
    ema = ModelEma(model, decay=0.9)
    before = ema.module.weight.clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    torch.testing.assert_close(ema.module.weight, 0.9 * before + 0.1 * model.weight)
    assert not ema.module.training and not ema.module.weight.requires_grad


def test_set_copies_and_integer_buffers_are_copied():
    model = nn.BatchNorm1d(2)
    ema = ModelEma(model, decay=0.999)
    model.num_batches_tracked += 5
    with torch.no_grad():
        model.weight.fill_(3.0)
    ema.update(model)
    assert int(ema.module.num_batches_tracked) == 5
    ema.set(model)
    torch.testing.assert_close(ema.module.weight, model.weight)


def test_ema_is_independent_of_the_model():
    model = nn.Linear(2, 2)
    ema = ModelEma(model)
    with torch.no_grad():
        model.weight.zero_()
    assert not torch.equal(ema.module.weight, model.weight)
