"""ModelEma: the moving average, its warm-up, copying, and unwrapping."""

from __future__ import annotations

import torch
from torch import nn

from actionformer.engine import ModelEma


def test_update_moves_towards_the_model_by_one_minus_decay():
    model = nn.Linear(3, 2)
    ema = ModelEma(model, decay=0.9, warmup=False)
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


def test_warmup_decay_grows_with_updates_up_to_the_cap():
    ema = ModelEma(nn.Linear(1, 1), decay=0.999)
    assert [ema.decay_at(t) for t in (1, 2, 7)] == [0.5, 0.6, 0.8]
    assert ema.decay_at(1996) < 0.999 and ema.decay_at(1997) == 0.999 and ema.decay_at(10**6) == 0.999
    assert ModelEma(nn.Linear(1, 1), decay=0.9, warmup=False).decay_at(1) == 0.9


def test_after_k_updates_the_initial_weights_keep_six_over_k_plus_2_times_k_plus_3():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = ModelEma(model, decay=0.999)
    with torch.no_grad():
        model.weight.fill_(1.0)  # every update sees 1: the EMA is 1 minus the weight left on the start
    for _ in range(10):
        ema.update(model)
    assert ema.updates == 10
    # prod_{t=1..k} (1 + t) / (3 + t) = 6 / ((k + 2)(k + 3))
    torch.testing.assert_close(ema.module.weight, torch.full((1, 1), 1.0 - 6.0 / (12 * 13)))


def test_constant_decay_without_warmup_keeps_the_initial_weights():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = ModelEma(model, decay=0.999, warmup=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    for _ in range(10):
        ema.update(model)
    torch.testing.assert_close(ema.module.weight, torch.full((1, 1), 1.0 - 0.999 ** 10))
