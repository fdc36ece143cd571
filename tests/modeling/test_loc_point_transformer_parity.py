"""Parity with the original release on its stored outputs (tolerances from fixtures/README.md)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.meta_archs.inputs import batch_videos, padded_length

HEAD_TOL = 1e-5
DET_TOL = 1e-4


@pytest.mark.parametrize("cpu_kernels", [True, False], ids=["cpu-kernels", "reference"])
def test_head_outputs_match_original(build_parity_model, parity_data, cpu_kernels):
    model = build_parity_model(cpu_kernels).eval()
    with torch.no_grad():
        for video, expected in zip(parity_data["videos"], parity_data["eval"]):
            length = padded_length(video["feats"].shape[-1], model.max_seq_len, model.max_div_factor)
            out = model.forward_dense(*batch_videos([video], length, torch.device("cpu")))
            assert len(out.cls_logits) == len(expected["cls_logits"]) == 6
            for ours, theirs in zip(out.cls_logits, expected["cls_logits"]):
                assert ours.permute(0, 2, 1).shape == theirs.shape
                torch.testing.assert_close(ours.permute(0, 2, 1), theirs, atol=HEAD_TOL, rtol=0)
            for ours, theirs in zip(out.offsets, expected["offsets"]):
                assert ours.permute(0, 2, 1).shape == theirs.shape
                torch.testing.assert_close(ours.permute(0, 2, 1), theirs, atol=HEAD_TOL, rtol=0)


@pytest.mark.parametrize("cpu_kernels", [True, False], ids=["cpu-kernels", "reference"])
def test_training_losses_match_original(build_parity_model, parity_data, cpu_kernels):
    model = build_parity_model(cpu_kernels).train()
    videos = [v for v in parity_data["videos"] if v["feats"].shape[-1] <= model.max_seq_len]
    assert len(videos) == 2
    losses = model(videos)
    for key in ("cls_loss", "reg_loss", "final_loss"):
        assert abs(losses[key].item() - parity_data["train_losses"][key]) < HEAD_TOL, key
    losses["final_loss"].backward()
    assert all(p.grad is not None for p in model.cls_head.parameters())


def test_loss_normalizer_ema(parity_model, parity_data):
    model = parity_model.train()
    videos = parity_data["videos"][:2]
    assert model.loss_normalizer == 100.0
    model(videos)
    first = model.loss_normalizer
    assert first != 100.0
    num_pos = (first - 0.9 * 100.0) / 0.1
    assert num_pos == pytest.approx(round(num_pos), abs=1e-6) and num_pos >= 1
    model(videos)
    assert model.loss_normalizer == pytest.approx(0.9 * first + 0.1 * round(num_pos))


@pytest.mark.parametrize("cpu_kernels", [True, False], ids=["cpu-kernels", "reference"])
@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "one-call"])
def test_detections_match_original(build_parity_model, parity_data, batched, cpu_kernels):
    model = build_parity_model(cpu_kernels).eval()
    videos = parity_data["videos"]
    if batched:
        results = model(videos)
    else:
        results = [model([video])[0] for video in videos]
    assert len(results) == len(videos)
    for video, ours, theirs in zip(videos, results, parity_data["eval"]):
        assert ours["video_id"] == video["video_id"] == theirs["video_id"]
        assert ours["segments"].shape == theirs["segments"].shape
        assert torch.equal(ours["labels"], theirs["labels"])
        torch.testing.assert_close(ours["scores"], theirs["scores"], atol=DET_TOL, rtol=0)
        torch.testing.assert_close(ours["segments"], theirs["segments"], atol=DET_TOL, rtol=0)


def test_shorter_padding_leaves_outputs_unchanged(parity_model, parity_data):
    """We pad less than the original where that changes no prediction on a valid step."""
    model = parity_model.eval()
    assert model.inference_length(180) == 224  # the original: 256
    assert model.inference_length(700) == 736  # the original: 768
    assert model.inference_length(256) == 256
    assert model.train_length([180, 100]) == 224 and model.train_length([250, 3]) == 256
    for idx in (1, 2):
        video = parity_data["videos"][idx]
        length = model.inference_length(video["feats"].shape[-1])
        with torch.no_grad():
            out = model.forward_dense(*batch_videos([video], length, torch.device("cpu")))
        expected = parity_data["eval"][idx]
        for ours, theirs, mask in zip(out.cls_logits + out.offsets, expected["cls_logits"] + expected["offsets"],
                                      out.masks + out.masks):
            valid = mask[0]
            torch.testing.assert_close(ours[0][valid], theirs[0].T[: valid.shape[0]][valid], atol=HEAD_TOL, rtol=0)


def test_shorter_training_batch_gives_the_same_losses(parity_model, parity_data):
    model = parity_model.train()
    video = parity_data["videos"][1]
    short = model([video])
    assert model.train_length([180]) == 224
    model.loss_normalizer = 100.0
    model.train_length = lambda lengths: 256  # the original's padding
    full = model([video])
    for key in short:
        assert abs(short[key].item() - full[key].item()) < HEAD_TOL
