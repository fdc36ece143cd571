"""One shared test run over every registered backbone and neck (and model options)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import BACKBONES, NECKS, make_meta_arch

VARIANTS = [
    dict(backbone_type=b, fpn_type=n) for b in BACKBONES.names() for n in NECKS.names()
] + [
    dict(use_abs_pe=True),
    dict(use_rel_pe=True),
    dict(n_mha_win_size=-1),
    dict(n_mha_win_size=[5, 5, 3, 3]),
    dict(input_dim=[8, 4], embd_dim=[6, 10]),
    dict(fpn_type="fpn", fpn_start_level=1, regression_range=[(0, 8), (8, 16), (16, 10000)]),
    dict(train_cfg_patch=dict(center_sample="none", label_smoothing=0.1, loss_weight=-1, dropout=0.1)),
]


def _ids(variant):
    return "-".join(f"{k}={v}" for k, v in variant.items()).replace(" ", "")[:60]


def _build(tiny_config, variant):
    variant = dict(variant)
    patch = variant.pop("train_cfg_patch", {})
    cfg = tiny_config(**variant)
    cfg["train_cfg"] = {**cfg["train_cfg"], **patch}
    if cfg["fpn_type"] == "fpn":
        cfg["fpn_dim"] = 8
    return make_meta_arch("LocPointTransformer", **cfg)


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_train_step_backward_and_padded_batch(tiny_config, make_video, variant):
    model = _build(tiny_config, variant).train()
    videos = [make_video(64, seed=1), make_video(37, seed=2), make_video(50, seed=3, num_gt=0)]
    losses = model(videos)
    assert set(losses) == {"cls_loss", "reg_loss", "final_loss"}
    assert all(torch.isfinite(v) for v in losses.values())
    losses["final_loss"].backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_empty_ground_truth_gives_zero_reg_loss(tiny_config, make_video, variant):
    model = _build(tiny_config, variant).train()
    losses = model([make_video(64, seed=4, num_gt=0)])
    assert losses["reg_loss"].item() == 0.0
    assert losses["cls_loss"].item() > 0.0
    losses["final_loss"].backward()


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_dense_outputs_ignore_padding(tiny_config, make_video, variant):
    """A video padded alone or next to a longer one gives the same predictions on its valid steps."""
    model = _build(tiny_config, variant).eval()
    from actionformer.modeling.meta_archs.inputs import batch_videos

    short, long = make_video(37, seed=5), make_video(64, seed=6)
    with torch.no_grad():
        alone = model.forward_dense(*batch_videos([short], 64, torch.device("cpu")))
        batched = model.forward_dense(*batch_videos([long, short], 64, torch.device("cpu")))
    for a, b, m in zip(alone.cls_logits, batched.cls_logits, alone.masks):
        torch.testing.assert_close(a[0][m[0]], b[1][m[0]], atol=1e-5, rtol=1e-5)
    for a, b, m in zip(alone.offsets, batched.offsets, alone.masks):
        torch.testing.assert_close(a[0][m[0]], b[1][m[0]], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_bf16_autocast_on_cpu(tiny_config, make_video, variant):
    model = _build(tiny_config, variant).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model([make_video(64, seed=7), make_video(40, seed=8)])
    assert torch.isfinite(losses["final_loss"])
    losses["final_loss"].backward()
    model.eval()
    from actionformer.modeling.meta_archs.inputs import batch_videos

    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.forward_dense(*batch_videos([make_video(100, seed=9)], 128, torch.device("cpu")))
    assert all(torch.isfinite(x.float()).all() for x in out.cls_logits + out.offsets)


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_fast_and_reference_kernels_agree(tiny_config, make_video, variant):
    from actionformer.modeling.layers import fast_kernels
    from actionformer.modeling.meta_archs.inputs import batch_videos

    model = _build(tiny_config, variant).eval()
    feats, masks = batch_videos([make_video(64, seed=10), make_video(45, seed=11)], 64, torch.device("cpu"))
    with torch.no_grad():
        fast = model.forward_dense(feats, masks)
        with fast_kernels(False):
            ref = model.forward_dense(feats, masks)
    for a, b in zip(fast.cls_logits + fast.offsets, ref.cls_logits + ref.offsets):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
