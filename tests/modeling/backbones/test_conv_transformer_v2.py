"""convTransformerv2: v1 equivalence with switches off, every switch trains and infers, bf16."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.backbones import ConvTransformerBackbone, ConvTransformerV2Backbone
from actionformer.modeling.backbones.base import BackboneSpec
from actionformer.modeling.layers.attention import MaskedMHCA
from actionformer.modeling.layers.attention_v2 import MaskedMHCAv2
from actionformer.modeling.registries import BACKBONES

SIZES = dict(n_in=24, n_embd=32, n_head=4, n_embd_ks=3, max_len=64, arch=(2, 2, 3),
             mha_win_size=[5, 5, 3, -1], with_ln=True, path_pdrop=0.1)
SWITCHES = ["use_rope", "use_flash_attn", "use_swiglu", "use_rms_norm", "n_kv_head"]
ALL_OFF = dict(use_rope=False, use_flash_attn=False, use_swiglu=False, use_rms_norm=False,
               n_kv_head=None)
ALL_ON = dict(use_rope=True, use_flash_attn=True, use_swiglu=True, use_rms_norm=True, n_kv_head=2)


def _one_switch(name):
    return {**ALL_OFF, name: 2 if name == "n_kv_head" else True}


def _perturb(module, seed=0):
    """Move every weight away from its init (LayerScale starts at 1e-4 and would hide errors)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
            if p.shape[-1] == 1 and p.dim() == 3 and p.shape[0] == 1:  # norm gains / LayerScale
                p.abs_().add_(0.5)
    return module


def _batch(lengths, t=64, channels=24):
    x = torch.randn(len(lengths), channels, t)
    mask = (torch.arange(t)[None, :] < torch.tensor(lengths)[:, None])[:, None, :]  # (B, 1, T)
    return x * mask, mask


def test_registered_under_its_config_name():
    assert BACKBONES.get("convTransformerv2") is ConvTransformerV2Backbone


def test_all_switches_off_is_v1_with_v1_weights():
    v1 = _perturb(ConvTransformerBackbone(**SIZES)).eval()
    v2 = ConvTransformerV2Backbone(**SIZES, **ALL_OFF).eval()
    v2.load_state_dict(v1.state_dict(), strict=True)  # same names and shapes
    x, mask = _batch([64, 41])
    feats1, masks1 = v1(x, mask)
    feats2, masks2 = v2(x, mask)
    for f1, f2, m1, m2 in zip(feats1, feats2, masks1, masks2):
        assert torch.equal(m1, m2)
        torch.testing.assert_close(f2, f1, atol=1e-5, rtol=1e-5)
    # SDPA alone computes the same function
    v2_sdpa = ConvTransformerV2Backbone(**SIZES, **{**ALL_OFF, "use_flash_attn": True}).eval()
    v2_sdpa.load_state_dict(v1.state_dict(), strict=True)
    for f1, f3 in zip(feats1, v2_sdpa(x, mask)[0]):
        torch.testing.assert_close(f3, f1, atol=1e-4, rtol=1e-4)


def test_gqa_with_n_kv_head_equal_n_head_is_plain_mha():
    v1_attn = _perturb(MaskedMHCA(32, 4, window_size=5, n_qx_stride=2, n_kv_stride=2)).eval()
    v2_attn = MaskedMHCAv2(32, 4, n_kv_head=4, window_size=5, stride=2).eval()
    v2_attn.load_state_dict(v1_attn.state_dict(), strict=True)
    x, mask = _batch([64, 30], channels=32)
    out1, m1 = v1_attn(x, mask)
    out2, m2 = v2_attn(x, mask)
    assert torch.equal(m1, m2)
    torch.testing.assert_close(out2, out1, atol=1e-5, rtol=1e-5)


def test_gqa_shrinks_key_value_projections():
    full = MaskedMHCAv2(32, 4, n_kv_head=4)
    grouped = MaskedMHCAv2(32, 4, n_kv_head=2)
    assert grouped.key.weight.shape == (16, 32) + (1,) and grouped.value.weight.shape[0] == 16
    assert sum(p.numel() for p in grouped.parameters()) < sum(p.numel() for p in full.parameters())


@pytest.mark.parametrize("switches", [ALL_OFF, ALL_ON] + [_one_switch(n) for n in SWITCHES],
                         ids=["all_off", "all_on"] + SWITCHES)
def test_trains_and_infers_with_each_switch(switches):
    model = ConvTransformerV2Backbone(**SIZES, **switches)
    x, mask = _batch([64, 37])
    feats, masks = model.train()(x, mask)
    assert [f.shape[-1] for f in feats] == [64, 32, 16, 8]
    for f, m in zip(feats, masks):
        assert f.shape[1] == model.out_channels and (f * ~m).abs().max() == 0
    sum((f**2).mean() for f in feats).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    with torch.no_grad():
        feats_eval, _ = model.eval()(*_batch([128, 90], t=128))  # longer than max_len
    assert all(torch.isfinite(f).all() for f in feats_eval)


def test_padding_does_not_change_valid_outputs():
    model = _perturb(ConvTransformerV2Backbone(**SIZES, **ALL_ON)).eval()
    x, mask = _batch([40], t=64)
    x_long = torch.nn.functional.pad(x, (0, 64))
    mask_long = torch.nn.functional.pad(mask, (0, 64))
    with torch.no_grad():
        short, short_masks = model(x, mask)
        long, _ = model(x_long, mask_long)
    for f_short, f_long, m in zip(short, long, short_masks):
        valid = int(m.sum())
        torch.testing.assert_close(f_long[..., :valid], f_short[..., :valid], atol=1e-5, rtol=1e-5)


def test_rope_positions_are_true_time_per_level():
    model = ConvTransformerV2Backbone(**SIZES, **ALL_ON)
    assert [blk.attn.position_stride for blk in model.stem] == [1, 1]
    assert [blk.attn.position_stride for blk in model.branch] == [2, 4, 8]
    assert all(blk.attn.rope is not None for blk in list(model.stem) + list(model.branch))


def test_bf16_autocast_trains_and_infers():
    model = _perturb(ConvTransformerV2Backbone(**SIZES, **ALL_ON))
    x, mask = _batch([64, 50])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        feats, _ = model.train()(x, mask)
        loss = sum((f.float() ** 2).mean() for f in feats)
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in model.parameters())
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        feats_bf16, _ = model.eval()(x, mask)
    feats_fp32, _ = model(x, mask)
    for a, b in zip(feats_bf16, feats_fp32):
        assert (a.float() - b).abs().max() <= 0.05 * b.abs().max() + 0.05


def _spec(**options):
    return BackboneSpec(input_dim=24, embd_dim=32, n_head=4, embd_kernel_size=3, max_seq_len=64,
                        arch=(2, 2, 3), mha_win_size=[5, 5, 3, -1], scale_factor=2,
                        embd_with_ln=True, options=options)


def test_from_spec_reads_the_config_backbone_section():
    model = ConvTransformerV2Backbone.from_spec(_spec(use_rope=True, n_kv_head=1, use_swiglu=None))
    attn = model.stem[0].attn
    assert attn.rope is not None and attn.n_kv_head == 1 and attn.use_sdpa  # None -> default
    assert not hasattr(model.stem[0].mlp, "gate_up")


@pytest.mark.parametrize(
    "spec, match",
    [
        (_spec(use_ropes=True), "unknown backbone option"),
        (_spec(n_kv_head=3), "n_kv_head"),
    ],
)
def test_bad_options_are_clear_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        ConvTransformerV2Backbone.from_spec(spec)


def test_rel_pe_and_even_window_are_clear_errors():
    with pytest.raises(ValueError, match="use_rope"):
        ConvTransformerV2Backbone(**SIZES, use_rel_pe=True)
    with pytest.raises(ValueError, match="odd"):
        ConvTransformerV2Backbone(**{**SIZES, "mha_win_size": [4, 5, 3, -1]})


# ------------------------------------------------------------ through the whole model


@pytest.mark.parametrize("options", [ALL_OFF, ALL_ON], ids=["all_off", "all_on"])
def test_whole_model_trains_infers_and_ignores_padding(tiny_config, make_video, options):
    from actionformer.modeling import make_meta_arch
    from actionformer.modeling.meta_archs.inputs import batch_videos

    cfg = tiny_config(backbone_type="convTransformerv2", backbone={**options, "n_kv_head": 1
                                                                   if options["n_kv_head"] else None})
    model = make_meta_arch("LocPointTransformer", **cfg).train()
    videos = [make_video(64, seed=1), make_video(37, seed=2), make_video(50, seed=3, num_gt=0)]
    losses = model(videos)
    assert all(torch.isfinite(v) for v in losses.values())
    losses["final_loss"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert model([make_video(64, seed=4, num_gt=0)])["reg_loss"].item() == 0.0

    model.eval()
    short, long = make_video(37, seed=5), make_video(64, seed=6)
    with torch.no_grad():
        alone = model.forward_dense(*batch_videos([short], 64, torch.device("cpu")))
        batched = model.forward_dense(*batch_videos([long, short], 64, torch.device("cpu")))
        detections = model([make_video(150, seed=7)])  # longer than max_seq_len
    for a, b, m in zip(alone.cls_logits, batched.cls_logits, alone.masks):
        torch.testing.assert_close(a[0][m[0]], b[1][m[0]], atol=1e-5, rtol=1e-5)
    assert detections[0]["segments"].shape[1] == 2 and torch.isfinite(detections[0]["scores"]).all()


def test_whole_model_bf16_autocast(tiny_config, make_video):
    from actionformer.modeling import make_meta_arch

    cfg = tiny_config(backbone_type="convTransformerv2", backbone={**ALL_ON, "n_kv_head": 1})
    model = make_meta_arch("LocPointTransformer", **cfg).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model([make_video(64, seed=7), make_video(40, seed=8)])
    assert torch.isfinite(losses["final_loss"])
    losses["final_loss"].backward()
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        detections = model([make_video(100, seed=9)])
    assert torch.isfinite(detections[0]["scores"]).all()


def test_v1_config_options_are_rejected_by_v1_but_read_by_v2(tiny_config):
    from actionformer.modeling import make_meta_arch

    with pytest.raises(ValueError, match="convTransformerv2"):
        make_meta_arch("LocPointTransformer", **tiny_config(backbone={"use_rope": True}))
    model = make_meta_arch("LocPointTransformer", **tiny_config(
        backbone_type="convTransformerv2", backbone={"use_rope": True, "n_kv_head": 1}))
    assert model.backbone.stem[0].attn.n_kv_head == 1
