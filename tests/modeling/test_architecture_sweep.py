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
] + [
    # 32 channels: the embedding and head towers' 3-tap convolutions take the Winograd kernel
    dict(head_kernel_size=k, embd_dim=32, fpn_dim=32, head_dim=32) for k in (1, 3, 5)
] + [dict(head_kernel_size=5, embd_kernel_size=5)]


def _ids(variant):
    return "-".join(f"{k}={v}" for k, v in variant.items()).replace(" ", "")[:60]


def _build(tiny_config, variant, cpu_kernels=True):
    variant = dict(variant)
    patch = variant.pop("train_cfg_patch", {})
    cfg = tiny_config(**variant)
    cfg["train_cfg"] = {**cfg["train_cfg"], **patch}
    if cfg["fpn_type"] == "fpn" and "fpn_dim" not in variant:
        cfg["fpn_dim"] = 8
    torch.manual_seed(0)
    model = make_meta_arch("LocPointTransformer", **cfg, cpu_kernels=cpu_kernels)
    with torch.no_grad():  # away from the init (layer norm biases of zero would hide padding effects)
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


def _pair(tiny_config, variant):
    """The CPU-kernel model and the reference model, with the same weights."""
    ours, reference = _build(tiny_config, variant), _build(tiny_config, variant, cpu_kernels=False)
    reference.load_state_dict(ours.state_dict())
    return ours, reference


def _losses_and_grads(model, videos, length, time_major=False):
    """Training losses and their gradients w.r.t. the parameters and the input features, for
    the batch padded to ``length``; the input gradient is cut to the valid steps per video."""
    from actionformer.modeling.meta_archs.inputs import batch_videos

    feats, masks = batch_videos(videos, length, torch.device("cpu"), time_major=time_major)
    feats = feats.detach().requires_grad_(True)
    model.train().zero_grad(set_to_none=True)
    model.loss_normalizer = 100.0
    torch.manual_seed(1)  # the same dropout / drop-path draws for every model
    out = model.forward_dense(feats, masks)
    losses = model.losses(out, [v["segments"] for v in videos], [v["labels"] for v in videos])
    losses["final_loss"].backward()
    input_grads = [feats.grad[i, :, : v["feats"].shape[-1]] for i, v in enumerate(videos)]
    param_grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    return {k: v.detach() for k, v in losses.items()}, param_grads, input_grads


def _assert_same_losses_and_grads(a, b, atol=1e-4):
    for key in a[0]:
        torch.testing.assert_close(a[0][key], b[0][key], atol=1e-5, rtol=1e-5, msg=key)
    assert a[1].keys() == b[1].keys()
    for name in a[1]:
        torch.testing.assert_close(a[1][name], b[1][name], atol=atol, rtol=1e-4, msg=name)
    for ours, theirs in zip(a[2], b[2]):
        torch.testing.assert_close(ours, theirs, atol=atol, rtol=1e-4)


def _assert_same_dense_outputs(a, b):
    """Dense outputs equal on the valid steps of ``a`` (``b`` may be padded longer)."""
    for x, y, m in zip(a.cls_logits + a.offsets, b.cls_logits + b.offsets, a.masks + a.masks):
        t = m.shape[-1]
        torch.testing.assert_close(x[m], y[:, :t][m], atol=1e-5, rtol=1e-5)


def _without_dropout(variant):
    """The variant with dropout off: its random masks are drawn in memory order, so they differ
    between layouts (time-major or not) and lengths; drop-path draws one number per video and
    stays on."""
    variant = dict(variant)
    variant["train_cfg_patch"] = {**variant.get("train_cfg_patch", {}), "dropout": 0.0}
    return variant


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
def test_cpu_kernels_and_reference_agree(tiny_config, make_video, variant):
    """Forward outputs, losses and their gradients (parameters and inputs) of the CPU-kernel
    model equal the reference model's."""
    from actionformer.modeling.meta_archs.inputs import batch_videos

    ours, reference = _pair(tiny_config, _without_dropout(variant))
    videos = [make_video(64, seed=10), make_video(45, seed=11)]
    with torch.no_grad():
        fast = ours.eval().forward_dense(*batch_videos(videos, 64, torch.device("cpu"), time_major=True))
        ref = reference.eval().forward_dense(*batch_videos(videos, 64, torch.device("cpu")))
    _assert_same_dense_outputs(fast, ref)
    _assert_same_losses_and_grads(
        _losses_and_grads(ours, videos, 64, time_major=True), _losses_and_grads(reference, videos, 64)
    )


@pytest.mark.parametrize("cpu_kernels", [True, False], ids=["cpu-kernels", "reference"])
@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_shortened_padding_equals_full_padding(tiny_config, make_video, variant, cpu_kernels):
    """Our shorter padding (train_length / inference_length) gives the predictions, losses and
    gradients of the original's full padding (max_seq_len / padded_length)."""
    from actionformer.modeling.meta_archs.inputs import batch_videos, padded_length

    model = _build(tiny_config, _without_dropout(variant), cpu_kernels)
    videos = [make_video(37, seed=12), make_video(21, seed=13)]
    short = model.train_length([37, 21])
    assert short < model.max_seq_len
    _assert_same_losses_and_grads(
        _losses_and_grads(model, videos, short), _losses_and_grads(model, videos, model.max_seq_len)
    )
    full_length = padded_length(37, model.max_seq_len, model.max_div_factor)
    with torch.no_grad():
        model.eval()
        short_out = model.forward_dense(*batch_videos(videos[:1], model.inference_length(37), torch.device("cpu")))
        full_out = model.forward_dense(*batch_videos(videos[:1], full_length, torch.device("cpu")))
    _assert_same_dense_outputs(short_out, full_out)
