"""engine/loss_logger.py: moving averages, per-level fields, TensorBoard names."""

from __future__ import annotations

import math

import pytest
import torch

from actionformer import LossLogger


class _Writer:
    def __init__(self):
        self.scalars = {}

    def add_scalar(self, name, value, step):
        self.scalars[name] = (value, step)


def test_bias_corrected_average_and_nan_skipped():
    logger = LossLogger(momentum=0.5)
    logger.update({"final_loss": torch.tensor(4.0)}, {"iou/0": torch.tensor(0.5), "pos/0": 3})
    assert logger.averages() == {"final_loss": 4.0, "iou/0": 0.5, "pos/0": 3.0}  # first value, not 0.5 * 4
    logger.update({"final_loss": 2.0}, {"iou/0": torch.tensor(math.nan), "pos/0": 0})
    avg = logger.averages()
    # weights 0.25 / 0.5 on the two steps: (0.25 * 4 + 0.5 * 2) / 0.75
    assert avg["final_loss"] == pytest.approx(8 / 3)
    assert avg["iou/0"] == 0.5  # a level without positives leaves its IoU as it was


def test_summary_postfix_and_tensorboard():
    logger = LossLogger()
    logger.update({"cls_loss": 1.0, "final_loss": 2.0}, {"pos/0": 4.0, "pos/1": 2.0, "iou/0": 0.2, "iou/1": 0.6})
    assert logger.postfix() == {"loss": "2.000", "iou": "0.40"}
    line = logger.summary()
    assert "cls_loss 1.0000" in line and "positives/level 4.0 2.0" in line and "IoU/level 0.200 0.600" in line
    writer = _Writer()
    logger.write(writer, 7)
    assert writer.scalars["train/ema/cls_loss"] == (1.0, 7)
    assert writer.scalars["train/iou_per_level/1"] == (pytest.approx(0.6), 7)
    assert writer.scalars["train/pos_per_level/0"] == (4.0, 7)


def test_bad_momentum():
    with pytest.raises(ValueError, match="momentum"):
        LossLogger(momentum=1.0)
