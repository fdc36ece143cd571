"""LossLogger: moving averages of every loss term and of the model's diagnostics during training.

Shown in the tqdm line (``loss``, ``iou``: mean over levels), written to TensorBoard at every
logged step (``train/ema/<term>``, ``train/pos_per_level/<L>``, ``train/iou_per_level/<L>``)
and summarised in the log file once per epoch. The diagnostics (positives per pyramid level,
mean IoU of predicted vs ground-truth segment at positive points) come from the model's
``diagnostics()``; the logger only averages them. Averages are exponential with bias correction
(momentum 0.9: about the last ten steps); a NaN (a level without positives) leaves its average
unchanged.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional

import torch


class LossLogger:
    def __init__(self, momentum: float = 0.9) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"LossLogger: momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self._sums: Dict[str, float] = {}
        self._weights: Dict[str, float] = {}
        self.steps = 0

    def reset(self) -> None:
        self._sums.clear()
        self._weights.clear()
        self.steps = 0

    def update(self, losses: Mapping[str, Any], diagnostics: Optional[Mapping[str, Any]] = None) -> None:
        """One micro-batch: its loss terms and the model's diagnostic scalars (tensors or floats)."""
        values = dict(losses)
        values.update(diagnostics or {})
        names = list(values)
        # one device->host copy for all scalars (a single sync on GPU)
        numbers = torch.stack([torch.as_tensor(v, dtype=torch.float32).detach().reshape(()).cpu()
                               if isinstance(v, torch.Tensor) else torch.tensor(float(v)) for v in values.values()])
        for name, value in zip(names, numbers.tolist()):
            if math.isnan(value):
                continue
            m = self.momentum
            self._sums[name] = m * self._sums.get(name, 0.0) + (1 - m) * value
            self._weights[name] = m * self._weights.get(name, 0.0) + (1 - m)
        self.steps += 1

    def averages(self) -> Dict[str, float]:
        """Bias-corrected moving average of every scalar seen."""
        return {name: self._sums[name] / self._weights[name] for name in self._sums if self._weights[name] > 0}

    def _per_level(self, prefix: str) -> Dict[int, float]:
        avg = self.averages()
        return {int(k.split("/", 1)[1]): v for k, v in avg.items() if k.startswith(prefix + "/")}

    def postfix(self) -> Dict[str, str]:
        """Short fields for the tqdm line."""
        avg = self.averages()
        out = {"loss": f"{avg.get('final_loss', math.nan):.3f}"}
        iou = self._per_level("iou")
        if iou:
            out["iou"] = f"{sum(iou.values()) / len(iou):.2f}"
        return out

    def summary(self) -> str:
        """One log line: averaged loss terms, positives and IoU per level."""
        avg = self.averages()
        terms = " ".join(f"{k} {v:.4f}" for k, v in avg.items() if "/" not in k)
        line = f"moving avg: {terms}"
        pos, iou = self._per_level("pos"), self._per_level("iou")
        if pos:
            line += " | positives/level " + " ".join(f"{pos[k]:.1f}" for k in sorted(pos))
        if iou:
            line += " | IoU/level " + " ".join(f"{iou[k]:.3f}" for k in sorted(iou))
        return line

    def write(self, tb_writer: Any, step: int) -> None:
        if tb_writer is None:
            return
        for name, value in self.averages().items():
            if name.startswith("pos/"):
                tb_writer.add_scalar(f"train/pos_per_level/{name[4:]}", value, step)
            elif name.startswith("iou/"):
                tb_writer.add_scalar(f"train/iou_per_level/{name[4:]}", value, step)
            else:
                tb_writer.add_scalar(f"train/ema/{name}", value, step)
