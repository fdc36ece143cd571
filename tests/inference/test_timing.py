"""Inference resamples features exactly as the dataset does in training."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from actionformer.data.datasets.base import ActionDataset
from actionformer.inference import FeatureTiming, InferenceError


@pytest.mark.parametrize("downsample, upsample, stride", [(1, False, 4), (2, False, 4), (1, True, 16)])
def test_resample_matches_the_dataset(downsample, upsample, stride):
    feats = np.random.default_rng(0).normal(size=(90, 6)).astype(np.float32)
    timing = FeatureTiming(fps=30.0, feat_stride=stride, num_frames=16, downsample_rate=downsample,
                           force_upsampling=upsample, max_seq_len=64)
    dataset = SimpleNamespace(feat_stride=stride, num_frames=16, downsample_rate=downsample, force_upsampling=upsample,
                              max_seq_len=64)
    entry = {"id": "v", "fps": 30.0, "duration": 12.0}
    expected, exp_stride, exp_frames = ActionDataset.resample(dataset, feats, entry)
    got, got_stride, got_frames, duration = timing.resample(torch.from_numpy(feats).t(), 30.0)
    assert torch.equal(got, expected) and got_stride == exp_stride and got_frames == exp_frames
    assert duration == pytest.approx((89 * stride + 16) / 30.0)


def test_timing_from_config_and_flags():
    cfg = {"dataset": {"default_fps": None, "feat_stride": 4, "num_frames": 16}, "model": {"max_seq_len": 64}}
    assert FeatureTiming.from_config(cfg).fps is None
    assert FeatureTiming.from_config(cfg, fps=25, feat_stride=8).feat_stride == 8.0
    with pytest.raises(InferenceError, match="--fps"):
        FeatureTiming.from_config(cfg).require_fps("v")


def test_a_given_but_invalid_fps_is_not_reported_as_missing():
    cfg = {"dataset": {"default_fps": None, "feat_stride": 4, "num_frames": 16}}
    for bad in (-3.0, 0.0, float("nan")):
        with pytest.raises(InferenceError, match="must be a positive number") as err:
            FeatureTiming.from_config(cfg, fps=bad).require_fps("v")
        assert "no --fps" not in str(err.value)
