"""Input checks, inference on any length, backbone options and the import direction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from actionformer.modeling import make_meta_arch


def test_eval_returns_detections_for_videos_beyond_the_original_buffer(tiny_config, make_video):
    # buffer of the original: max_seq_len * max_buffer_len_factor = 64 steps; abs PE is interpolated
    model = make_meta_arch("LocPointTransformer", **tiny_config(use_abs_pe=True)).eval()
    videos = [make_video(300, seed=1), make_video(20, seed=2)]
    results = model(videos)
    assert [r["video_id"] for r in results] == ["vid1", "vid2"]
    for r, v in zip(results, videos):
        assert r["segments"].shape[1] == 2 and r["segments"].shape[0] == r["scores"].shape[0] == r["labels"].shape[0]
        assert r["labels"].dtype == torch.int64
        assert float(r["segments"].max()) <= v["duration"] + 1e-6 and float(r["segments"].min()) >= 0


def test_training_rejects_too_long_inputs_with_the_video_name(tiny_config, make_video):
    model = make_meta_arch("LocPointTransformer", **tiny_config()).train()
    with pytest.raises(ValueError, match="long_one.*max_seq_len"):
        model([make_video(65, video_id="long_one")])
    bad = make_video(30, video_id="no_gt")
    bad["segments"] = None
    with pytest.raises(ValueError, match="no_gt.*segments"):
        model([bad])
    with pytest.raises(ValueError, match="non-empty list"):
        model([])


def test_backbone_options_rejected_by_v1(tiny_config):
    make_meta_arch("LocPointTransformer", **tiny_config(backbone={"use_rope": False, "n_kv_head": None}))
    with pytest.raises(ValueError, match="use_rope=True"):
        make_meta_arch("LocPointTransformer", **tiny_config(backbone={"use_rope": True}))


def test_unknown_parts_name_the_registered_ones(tiny_config):
    with pytest.raises(KeyError, match="convTransformer"):
        make_meta_arch("LocPointTransformer", **tiny_config(backbone_type="convTransfomer"))
    with pytest.raises(KeyError, match="LocPointTransformer"):
        make_meta_arch("LocPointTransfomer", **tiny_config())


def test_config_errors_are_clear(tiny_config):
    with pytest.raises(ValueError, match="regression_range"):
        make_meta_arch("LocPointTransformer", **tiny_config(regression_range=[(0, 4)]))
    with pytest.raises(ValueError, match="divisible"):
        make_meta_arch("LocPointTransformer", **tiny_config(max_seq_len=60))


def test_head_empty_cls_never_fire(tiny_config, make_video):
    cfg = tiny_config()
    cfg["train_cfg"] = {**cfg["train_cfg"], "head_empty_cls": [1]}
    model = make_meta_arch("LocPointTransformer", **cfg)
    bias = model.cls_head.cls_head.conv.bias
    assert bias[1].item() == pytest.approx(-13.8155, abs=1e-3) and bias[0].item() == pytest.approx(-4.5951, abs=1e-3)


def test_modeling_never_imports_engine_data_evaluation_or_cli():
    src = Path(__file__).resolve().parents[2] / "src"
    code = (
        "import sys, actionformer.modeling as m; "
        "bad = [n for n in sys.modules if n.split('.')[:2] in "
        "(['actionformer','engine'], ['actionformer','data'], ['actionformer','evaluation'], ['actionformer','cli'])]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(src)}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_chunked_inference_mlp_is_exact(tiny_config, make_video, monkeypatch):
    from actionformer.modeling.kernels.transformer import CpuTransformerBlock
    from actionformer.modeling.meta_archs.inputs import batch_videos

    model = make_meta_arch("LocPointTransformer", **tiny_config()).eval()
    feats, masks = batch_videos([make_video(300, seed=3)], 320, torch.device("cpu"))
    with torch.no_grad():
        whole = model.forward_dense(feats, masks)
        monkeypatch.setattr(CpuTransformerBlock, "inference_chunk", 48)
        chunked = model.forward_dense(feats, masks)
    for a, b in zip(whole.cls_logits + whole.offsets, chunked.cls_logits + chunked.offsets):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_chunked_inference_convs_are_exact(tiny_config, make_video, monkeypatch):
    from actionformer.modeling.kernels.conv import CpuMaskedConv1D
    from actionformer.modeling.meta_archs.inputs import batch_videos

    model = make_meta_arch("LocPointTransformer", **tiny_config(backbone_type="conv")).eval()
    feats, masks = batch_videos([make_video(300, seed=4)], 320, torch.device("cpu"))
    with torch.no_grad():
        whole = model.forward_dense(feats, masks)
        monkeypatch.setattr(CpuMaskedConv1D, "inference_chunk", 37)
        chunked = model.forward_dense(feats, masks)
    for a, b in zip(whole.cls_logits + whole.offsets, chunked.cls_logits + chunked.offsets):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_padding_per_level_counts_steps_after_the_valid_ones():
    from actionformer.modeling.meta_archs.inputs import padding_per_level

    # 37 valid steps padded to 48: levels of stride 1, 2, 4, 8 keep 37, 19, 10, 5 valid steps
    assert padding_per_level(37, 48, (1, 2, 4, 8)) == [11, 5, 2, 1]


@pytest.mark.parametrize(
    "length, original, reach, expected",
    [
        (37, 64, 1, 48),  # 40 would leave the stride-4 level without padding (the original: 6 steps)
        (37, 64, 2, 56),  # a 5-tap layer reads 2 steps past: the top level needs 2 padded steps
        (40, 64, 3, 64),  # never longer than the original
        (64, 64, 1, 64),
        (33, 40, 1, 40),  # the original's own length when nothing shorter keeps its padding
    ],
)
def test_shortest_equivalent_length(length, original, reach, expected):
    from actionformer.modeling.meta_archs.inputs import padding_per_level, shortest_equivalent_length

    strides = (1, 2, 4, 8)
    short = shortest_equivalent_length(length, original, strides, reach)
    assert short == expected and short % 8 == 0
    kept = [min(p, reach) for p in padding_per_level(length, short, strides)]
    assert kept == [min(p, reach) for p in padding_per_level(length, original, strides)]


def test_kernel_reach_is_the_widest_kernel(tiny_config):
    three = make_meta_arch("LocPointTransformer", **tiny_config())
    five = make_meta_arch("LocPointTransformer", **tiny_config(head_kernel_size=5))
    one = make_meta_arch("LocPointTransformer", **tiny_config(head_kernel_size=1, embd_kernel_size=1))
    assert (three.kernel_reach, five.kernel_reach, one.kernel_reach) == (1, 2, 1)  # 1: depthwise / max-pool
