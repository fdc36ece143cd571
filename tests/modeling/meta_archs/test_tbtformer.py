"""TBTFormer and TriDet (boundary-distribution meta-architectures): the shared model checks run
for both over necks and backbones, then the losses and decoding by hand."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import make_meta_arch
from actionformer.modeling.meta_archs.inputs import batch_videos
from actionformer.modeling.meta_archs.tbtformer import TBTFormer
from actionformer.modeling.meta_archs.tridet import TriDet

CPU = torch.device("cpu")
MODELS = ["TBTFormer", "TriDet"]
VARIANTS = [dict(fpn_type=n) for n in ("identity", "fpn", "cs_fpn")] + [
    dict(backbone_type="convTransformerv2", backbone=dict(mlp_ratio=6)),
    dict(backbone_type="conv"),
    dict(n_head=4, backbone=dict(mlp_ratio=6), fpn_type="cs_fpn"),  # the scaled backbone
    dict(head_type="v2", train_cfg_patch=dict(cls_loss_type="quality_focal", reg_loss_type="eiou")),
]


def _ids(variant):
    return "-".join(f"{k}={v}" for k, v in variant.items()).replace(" ", "")[:50]


def build(tiny_config, name, cpu_kernels=True, perturb=True, **overrides):
    patch = overrides.pop("train_cfg_patch", {})  # the detection-quality options live in train_cfg
    cfg = tiny_config(**overrides)
    cfg["train_cfg"] = {**cfg["train_cfg"], **patch}
    torch.manual_seed(0)
    model = make_meta_arch(name, **cfg, cpu_kernels=cpu_kernels)
    if perturb:
        with torch.no_grad():  # away from the init (zero norm biases would hide padding effects)
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.1)
    return model


def _losses_and_grads(model, videos, length, time_major=False):
    feats, masks = batch_videos(videos, length, CPU, time_major=time_major)
    model.train().zero_grad(set_to_none=True)
    model.loss_normalizer = 100.0
    torch.manual_seed(1)
    losses = model.losses(model.forward_dense(feats, masks), [v["segments"] for v in videos],
                          [v["labels"] for v in videos])
    losses["final_loss"].backward()
    return {k: v.detach() for k, v in losses.items()}, {n: p.grad for n, p in model.named_parameters()}


def _assert_same(a, b):
    for key in a[0]:
        torch.testing.assert_close(a[0][key], b[0][key], atol=1e-5, rtol=1e-5, msg=key)
    for name, grad in a[1].items():
        if grad is not None:
            torch.testing.assert_close(grad, b[1][name], atol=1e-4, rtol=1e-4, msg=name)


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
@pytest.mark.parametrize("name", MODELS)
def test_train_step_padded_batch_and_empty_ground_truth(tiny_config, make_video, name, variant):
    model = build(tiny_config, name, **variant).train()
    losses = model([make_video(64, seed=1), make_video(37, seed=2), make_video(50, seed=3, num_gt=0)])
    expected = {"cls_loss", "reg_loss", "final_loss"} | ({"dfl_loss"} if name == "TBTFormer" else set())
    assert set(losses) == expected
    assert all(torch.isfinite(v) for v in losses.values())
    losses["final_loss"].backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)

    empty = model([make_video(64, seed=4, num_gt=0)])
    assert empty["reg_loss"].item() == 0.0 and empty.get("dfl_loss", torch.tensor(0.0)).item() == 0.0
    assert empty["cls_loss"].item() > 0.0


@pytest.mark.parametrize("variant", VARIANTS[:3], ids=_ids)
@pytest.mark.parametrize("name", MODELS)
def test_predictions_ignore_padding_and_kernels_match_reference(tiny_config, make_video, name, variant):
    ours = build(tiny_config, name, **variant).eval()
    reference = build(tiny_config, name, cpu_kernels=False, **variant).eval()
    reference.load_state_dict(ours.state_dict())
    short, long = make_video(37, seed=5), make_video(64, seed=6)
    with torch.no_grad():
        alone = ours.forward_dense(*batch_videos([short], 64, CPU))
        batched = ours.forward_dense(*batch_videos([long, short], 64, CPU))
        ref = reference.forward_dense(*batch_videos([short], 64, CPU))
    for a, b, r, m in zip(alone.offsets, batched.offsets, ref.offsets, alone.masks):
        torch.testing.assert_close(a[0][m[0]], b[1][m[0]], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(a[0][m[0]], r[0][m[0]], atol=1e-5, rtol=1e-5)
    videos = [make_video(64, seed=10), make_video(45, seed=11)]
    _assert_same(_losses_and_grads(ours, videos, 64, time_major=True), _losses_and_grads(reference, videos, 64))


@pytest.mark.parametrize("name", MODELS)
def test_shortened_padding_equals_full_padding(tiny_config, make_video, name):
    model = build(tiny_config, name, fpn_type="cs_fpn")
    videos = [make_video(37, seed=12), make_video(21, seed=13)]
    short = model.train_length([37, 21])
    assert short < model.max_seq_len
    _assert_same(_losses_and_grads(model, videos, short), _losses_and_grads(model, videos, model.max_seq_len))


@pytest.mark.parametrize("name", MODELS)
def test_bf16_autocast_forward_backward_on_cpu(tiny_config, make_video, name):
    model = build(tiny_config, name, fpn_type="cs_fpn").train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model([make_video(64, seed=7), make_video(40, seed=8)])
    assert all(torch.isfinite(v) for v in losses.values())
    losses["final_loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        results = model([make_video(100, seed=9)])
    assert torch.isfinite(results[0]["segments"]).all()


def test_final_loss_adds_dfl_weight_times_dfl(tiny_config, make_video):
    videos = [make_video(64, seed=14)]
    weighted = build(tiny_config, "TBTFormer", dfl_weight=0.5, perturb=False)
    plain = build(tiny_config, "TBTFormer", dfl_weight=0.0, perturb=False)
    plain.load_state_dict(weighted.state_dict())
    a, _ = _losses_and_grads(weighted, videos, 64)
    b, _ = _losses_and_grads(plain, videos, 64)
    assert "dfl_loss" not in b and a["dfl_loss"] > 0
    torch.testing.assert_close(a["cls_loss"], b["cls_loss"])
    torch.testing.assert_close(a["final_loss"], a["cls_loss"] + a["reg_loss"] + 0.5 * a["dfl_loss"])


def test_offset_targets_are_clamped_to_the_bins(tiny_config, make_video):
    model = build(tiny_config, "TBTFormer", reg_max=2).train()
    video = make_video(64, seed=15)
    video["segments"] = torch.tensor([[2.0, 60.0]])  # long: offsets far beyond 2 strides
    out = model.forward_dense(*batch_videos([video], 64, CPU))
    gt_cls, gt_offsets = model.assign_targets(out, [video["segments"]], [torch.tensor([1])])
    pos = gt_cls.sum(-1) > 0
    assert bool(pos.any()) and float(gt_offsets[pos].max()) == 2.0
    assert torch.isfinite(model.losses(out, [video["segments"]], [torch.tensor([1])])["final_loss"])


def _constant_offsets(model, start: int, end: int):
    """Zero weights in the regression head's last layer and a bias that puts (nearly) all the
    mass on bin ``start`` (side 0) and ``end`` (side 1)."""
    conv = model.reg_head.tower.last.conv
    with torch.no_grad():
        conv.weight.zero_()
        bias = torch.full((2, model.num_bins + 1), -30.0)
        bias[0, start], bias[1, end] = 30.0, 30.0
        conv.bias.copy_(bias.flatten())


def test_expected_offsets_feed_the_shared_decoding(tiny_config, make_video):
    """A TBTFormer whose distributions sit on bins (3, 5) detects exactly what a
    LocPointTransformer with the same other weights and constant offsets (3, 5) detects."""
    tbt = build(tiny_config, "TBTFormer").eval()
    _constant_offsets(tbt, 3, 5)
    lpt = make_meta_arch("LocPointTransformer", **tiny_config()).eval()
    shared = {k: v for k, v in tbt.state_dict().items() if not k.startswith("reg_head.")}
    assert not lpt.load_state_dict(shared, strict=False).unexpected_keys
    with torch.no_grad():
        lpt.reg_head.offset_head.conv.weight.zero_()
        lpt.reg_head.offset_head.conv.bias.copy_(torch.tensor([3.0, 5.0]))
    video = make_video(64, seed=16)
    dense = tbt.forward_dense(*batch_videos([video], 64, CPU))
    torch.testing.assert_close(dense.offsets[1][0, :5], torch.tensor([[3.0, 5.0]] * 5))
    ours, theirs = tbt([video])[0], lpt([video])[0]
    assert ours["segments"].shape[0] > 0
    for key in ("segments", "scores", "labels"):
        torch.testing.assert_close(ours[key], theirs[key], msg=key)


def test_tridet_weights_positive_class_targets_by_iou(tiny_config, make_video):
    videos = [make_video(64, seed=17)]
    cfg = tiny_config()
    powered = build(tiny_config, "TriDet", train_cfg=dict(cfg["train_cfg"], iou_weight_power=1.0), perturb=False)
    plain = build(tiny_config, "TriDet", train_cfg=dict(cfg["train_cfg"], iou_weight_power=0.0), perturb=False)
    plain.load_state_dict(powered.state_dict())
    a, _ = _losses_and_grads(powered, videos, 64)
    b, _ = _losses_and_grads(plain, videos, 64)
    torch.testing.assert_close(a["reg_loss"], b["reg_loss"])
    assert a["cls_loss"] != b["cls_loss"]
    # by hand: the base losses with the positive targets scaled by IoU
    from actionformer.modeling.losses import offsets_iou
    from actionformer.modeling.meta_archs.tbtformer import BoundaryDistributionDetector

    powered.train()
    powered.loss_normalizer = 100.0
    out = powered.forward_dense(*batch_videos(videos, 64, CPU))
    gt_cls, gt_offsets = powered.assign_targets(out, [videos[0]["segments"]], [videos[0]["labels"]])
    valid = torch.cat(out.masks, dim=1)
    pos = (gt_cls.sum(-1) > 0) & valid
    scaled = gt_cls.clone()
    scaled[pos] *= offsets_iou(torch.cat(out.offsets, 1)[pos].detach(), gt_offsets[pos])[:, None]
    by_hand = BoundaryDistributionDetector.compute_losses(powered, out, scaled, gt_offsets, valid, pos, 50.0)
    ours = powered.compute_losses(out, gt_cls, gt_offsets, valid, pos, 50.0)
    torch.testing.assert_close(ours["cls_loss"], by_hand["cls_loss"])


def test_bad_settings_are_clear_errors(tiny_config):
    with pytest.raises(ValueError, match="boundary_kernel_size must be odd"):
        make_meta_arch("TriDet", **tiny_config(), boundary_kernel_size=4)
    with pytest.raises(ValueError, match=">= 1"):
        make_meta_arch("TBTFormer", **tiny_config(), reg_max=0)
    with pytest.raises(ValueError, match="dfl_weight"):
        make_meta_arch("TBTFormer", **tiny_config(), dfl_weight=-1.0)


def test_both_are_loc_point_transformers_with_their_own_heads(tiny_config):
    from actionformer.modeling.meta_archs import LocPointTransformer

    tbt, tri = build(tiny_config, "TBTFormer"), build(tiny_config, "TriDet")
    assert isinstance(tbt, LocPointTransformer) and isinstance(tri, LocPointTransformer)
    assert isinstance(tbt, TBTFormer) and isinstance(tri, TriDet)
    keys = set(tri.state_dict())
    assert {"reg_head.start_head.last.conv.weight", "reg_head.end_head.last.conv.weight"} <= keys
    assert tri.reg_head.start_head.kernel_size == 3 and tbt.reg_max == 16
