"""meta_archs/diagnostics.py: positives and IoU per level, against a plain loop."""

from __future__ import annotations

import math

import pytest
import torch

from actionformer.modeling.meta_archs.diagnostics import offset_iou, point_diagnostics


def test_offset_iou_of_segments_anchored_at_one_point():
    pred = torch.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    gt = torch.tensor([[1.0, 3.0], [1.0, 1.0], [1.0, 1.0]])
    # [-1, 1] vs [-1, 3]: 2/4; [-2, 0] vs [-1, 1]: 1/3; an empty prediction: 0
    assert offset_iou(pred, gt).tolist() == pytest.approx([0.5, 1 / 3, 0.0])


def test_per_level_counts_and_means_match_a_loop():
    gen = torch.Generator().manual_seed(0)
    lengths = [8, 4, 2]
    pred = torch.rand(2, 14, 2, generator=gen) * 3
    gt = torch.rand(2, 14, 2, generator=gen) * 3
    pos = torch.rand(2, 14, generator=gen) > 0.5
    pos[:, 12:] = False  # the last level has no positives
    out = point_diagnostics(lengths, pred, gt, pos)
    start = 0
    for level, n in enumerate(lengths):
        mask = pos[:, start:start + n]
        ious = [offset_iou(pred[b, start + t], gt[b, start + t]).item()
                for b in range(2) for t in range(n) if mask[b, t]]
        assert out[f"pos/{level}"].item() == len(ious)
        if ious:
            assert out[f"iou/{level}"].item() == pytest.approx(sum(ious) / len(ious), rel=1e-6)
        else:
            assert math.isnan(out[f"iou/{level}"].item())
        start += n


def test_the_model_records_diagnostics_only_when_asked_and_losses_stay_equal(tiny_config, make_video):
    from actionformer.modeling.meta_archs.loc_point_transformer import LocPointTransformer

    torch.manual_seed(0)
    model = LocPointTransformer(**tiny_config()).train()
    video = make_video(64, seed=1)
    state = model.state_dict()
    torch.manual_seed(1)  # the same drop-path draws in both forwards
    plain = model([video])
    assert model.diagnostics() == {}
    model.load_state_dict(state)
    model.loss_normalizer = float(tiny_config()["train_cfg"]["init_loss_norm"])
    model.record_diagnostics(True)
    torch.manual_seed(1)
    recorded = model([video])
    diag = model.diagnostics()
    levels = len(model.fpn_strides)
    assert set(diag) == {f"{k}/{i}" for k in ("pos", "iou") for i in range(levels)}
    assert sum(diag[f"pos/{i}"].item() for i in range(levels)) > 0
    assert set(recorded) == set(plain)  # diagnostics are not losses
    for name in plain:
        assert torch.equal(recorded[name], plain[name])
