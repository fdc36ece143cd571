"""Exponential moving average of a model's weights (the original's ModelEma, decay 0.999)."""

from __future__ import annotations

from copy import deepcopy
from typing import Optional, Union

import torch
from torch import nn


def unwrap_model(model: nn.Module) -> nn.Module:
    """The bare model inside DistributedDataParallel / DataParallel wrappers."""
    while isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        model = model.module
    return model


class ModelEma(nn.Module):
    """Keeps ``module``, a copy of the model whose weights trail the trained ones.

    After each optimizer step ``update(model)`` sets ``ema = decay * ema + (1 - decay) * w`` for
    every floating-point entry of the state dict (buffers included, as the original); integer
    buffers are copied. Evaluation uses ``module``.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, device: Optional[Union[str, torch.device]] = None) -> None:
        super().__init__()
        self.module = deepcopy(unwrap_model(model))
        self.module.eval()
        for param in self.module.parameters():
            param.requires_grad_(False)
        self.decay = float(decay)
        self.device = device
        if device is not None:
            self.module.to(device=device)

    @torch.no_grad()
    def _update(self, model: nn.Module, weight_of_model: float) -> None:
        ema_state = self.module.state_dict()
        model_state = unwrap_model(model).state_dict()
        for key, ema_value in ema_state.items():
            model_value = model_state[key].detach()
            if self.device is not None:
                model_value = model_value.to(device=self.device)
            if ema_value.is_floating_point():
                ema_value.lerp_(model_value.to(ema_value.dtype), weight_of_model)
            else:
                ema_value.copy_(model_value)

    def update(self, model: nn.Module) -> None:
        """One EMA step towards ``model``'s current weights."""
        self._update(model, 1.0 - self.decay)

    def set(self, model: nn.Module) -> None:
        """Copy ``model``'s weights."""
        self._update(model, 1.0)
