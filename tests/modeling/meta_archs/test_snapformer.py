"""SnapFormer: losses, backward, inference output, every neck, autocast (meta_archs/snapformer.py)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling import NECKS, make_meta_arch


def _config(tiny_config, **overrides):
    cfg = tiny_config(**overrides)
    cfg["test_cfg"] = {**cfg["test_cfg"], "nms_window": 1.0, "score_temperature": 1.0, "peak_kernel": 3}
    cfg["train_cfg"] = {**cfg["train_cfg"], "offset_weight": 1.0}
    return cfg


def _point_video(make_video, length, seed, num_gt=2):
    video = make_video(length, seed=seed, num_gt=num_gt)
    centre = video["segments"].mean(dim=1, keepdim=True)
    video["segments"] = centre.repeat(1, 2)  # point events: zero-length segments
    return video


def _model(tiny_config, **overrides):
    torch.manual_seed(0)
    return make_meta_arch("SnapFormer", **_config(tiny_config, **overrides))


def test_training_returns_finite_losses_and_gradients_with_an_empty_video(tiny_config, make_video):
    model = _model(tiny_config, heatmap_sigma=[0.5, 1.0, 2.0]).train()
    empty = _point_video(make_video, 40, seed=2)
    empty["segments"], empty["labels"] = torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)
    unlabelled = dict(empty, segments=None, labels=None)  # no events at all: a negative example too
    losses = model([_point_video(make_video, 64, seed=1), empty, unlabelled])
    assert set(losses) == {"heatmap_loss", "offset_loss", "final_loss"}
    assert all(torch.isfinite(v) for v in losses.values()) and losses["offset_loss"] > 0
    losses["final_loss"].backward()
    assert model.cls_head.cls_head.conv.weight.grad.abs().sum() > 0
    assert model.offset_head.cls_head.conv.weight.grad.abs().sum() > 0


def test_inference_returns_point_events_in_seconds(tiny_config, make_video):
    model = _model(tiny_config).eval()
    videos = [_point_video(make_video, 50, seed=3), _point_video(make_video, 90, seed=4)]
    results = model(videos)
    assert [r["video_id"] for r in results] == ["vid3", "vid4"]
    for video, result in zip(videos, results):
        assert set(result) == {"video_id", "times", "scores", "labels"}
        times, scores = result["times"], result["scores"]
        assert times.shape == scores.shape == result["labels"].shape and times.numel() > 0
        assert (times >= 0).all() and (times <= video["duration"]).all()
        assert (scores >= 0).all() and (scores <= 1).all() and (scores[:-1] >= scores[1:]).all()
        assert int(result["labels"].max()) < 3


def test_score_temperature_keeps_the_ranking(tiny_config, make_video):
    video = [_point_video(make_video, 64, seed=5)]
    plain = _model(tiny_config).eval()(video)[0]
    warm = _model(tiny_config).eval()
    warm.test_cfg["score_temperature"] = 2.0
    flat = warm(video)[0]
    assert torch.equal(plain["labels"], flat["labels"]) and torch.allclose(plain["times"], flat["times"])
    assert flat["scores"].max() > plain["scores"].max()  # logits below 0 move towards 0.5


@pytest.mark.parametrize("neck", NECKS.names())
def test_every_registered_neck_trains(tiny_config, make_video, neck):
    model = _model(tiny_config, fpn_type=neck).train()
    losses = model([_point_video(make_video, 64, seed=6)])
    assert torch.isfinite(losses["final_loss"])


def test_bf16_autocast_gives_float32_losses(tiny_config, make_video):
    model = _model(tiny_config).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model([_point_video(make_video, 64, seed=7)])
    assert losses["final_loss"].dtype == torch.float32 and torch.isfinite(losses["final_loss"])


def test_per_class_values_need_one_per_class(tiny_config):
    with pytest.raises(ValueError, match="heatmap_sigma has 2 values"):
        _model(tiny_config, heatmap_sigma=[1.0, 2.0])
    cfg = _config(tiny_config)
    cfg["test_cfg"]["nms_window"] = [1.0]
    with pytest.raises(ValueError, match="nms_window has 1 values"):
        make_meta_arch("SnapFormer", **cfg)


def test_ddp_rank_gradients_average_to_the_single_process_gradient(tiny_config, make_video, monkeypatch):
    """Each rank divides by the global batch's events / world size (simulated: 2 ranks, one process)."""
    import copy

    from actionformer.modeling.meta_archs import snapformer

    cfg = _config(tiny_config)
    cfg["train_cfg"]["droppath"] = 0.0
    torch.manual_seed(0)
    model = make_meta_arch("SnapFormer", **cfg).train()
    videos = [_point_video(make_video, 64, seed=s, num_gt=3) for s in range(4)]

    def gradients(net, batch):
        net.zero_grad()
        net(batch)["final_loss"].backward()
        return {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}

    expected = gradients(copy.deepcopy(model), videos)
    counts = []
    monkeypatch.setattr(snapformer, "_training_world_size", lambda: 2)
    monkeypatch.setattr(snapformer, "_sum_over_ranks", lambda count, device: counts.append(count) or count)
    for half in (videos[:2], videos[2:]):
        copy.deepcopy(model)(half)
    total = sum(counts)
    assert total > 0
    monkeypatch.setattr(snapformer, "_sum_over_ranks", lambda count, device: total)
    ranks = [gradients(copy.deepcopy(model), half) for half in (videos[:2], videos[2:])]
    for name, grad in expected.items():
        torch.testing.assert_close((ranks[0][name] + ranks[1][name]) / 2, grad, rtol=1e-4, atol=1e-6)


def test_times_follow_each_videos_fps_and_bf16_inference_matches(tiny_config, make_video):
    """Same features at 30 and 15 fps in one batch: the second's times are twice the first's
    (feature centres (g * stride + frames / 2) / fps); under bf16 autocast inference still
    gives float32 seconds within a step of float32's."""
    model = _model(tiny_config).eval()
    model.test_cfg["nms_window"] = 0.0  # a window in seconds would keep different peaks at 15 and 30 fps
    a = _point_video(make_video, 64, seed=8)
    a["duration"] = 1e4  # no clipping
    b = dict(a, video_id="slow", fps=15.0)
    ra, rb = model([a, b])
    assert ra["times"].numel() > 0 and torch.equal(ra["labels"], rb["labels"])
    assert torch.allclose(rb["times"], 2 * ra["times"], atol=1e-4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        (low,) = model([a])
    assert low["times"].dtype == torch.float32 and low["scores"].dtype == torch.float32
    assert ((low["scores"] >= 0) & (low["scores"] <= 1)).all()
    step = 4 / 30.0
    best = ra["times"][0]
    assert (low["times"] - best).abs().min() <= step
