import random

import pytest
import torch

from actionformer.data.transforms import resize_feats, truncate_feats


def _item(T=100, segs=((10.0, 20.0), (50.0, 80.0)), labels=(0, 1)):
    return {"video_id": "v", "feats": torch.arange(T, dtype=torch.float32).repeat(3, 1),
            "segments": torch.tensor(segs, dtype=torch.float32), "labels": torch.tensor(labels),
            "fps": 30.0, "duration": 10.0, "feat_stride": 4, "feat_num_frames": 16}


def test_short_video_without_crop_is_returned_unchanged():
    item = _item()
    assert truncate_feats(item, 200, 0.5) is item


def test_crop_ratio_crops_short_videos_and_keeps_actions():
    rng = random.Random(3)
    for _ in range(20):
        out = truncate_feats(_item(), 200, 0.5, 0.0, (0.5, 0.9), rng=rng)
        assert 50 <= out["feats"].shape[1] <= 90
        assert out["segments"].shape[0] >= 1 and out["labels"].shape[0] == out["segments"].shape[0]
        assert (out["segments"][:, 0] >= 0).all() and (out["segments"][:, 1] <= out["feats"].shape[1]).all()


def test_truncation_keeps_only_actions_over_threshold_and_shifts_them():
    item = _item(T=400, segs=((10.0, 30.0), (100.0, 140.0), (300.0, 310.0)), labels=(0, 1, 2))
    rng = random.Random(0)
    for _ in range(30):
        out = truncate_feats(item, 64, 0.5, 0.0, None, rng=rng)
        start = int(out["feats"][0, 0].item())  # feats hold the time index
        assert out["feats"].shape == (3, 64)
        for seg, lab in zip(out["segments"], out["labels"]):
            orig = item["segments"][lab]
            inter = min(orig[1].item(), start + 64) - max(orig[0].item(), start)
            assert inter / (orig[1] - orig[0]).item() >= 0.5
            assert seg[0] >= 0 and seg[1] <= 64
            assert seg[0].item() == pytest.approx(max(orig[0].item(), start) - start)
    assert item["feats"].shape == (3, 400), "input must not be modified"


def test_offset_widens_the_window():
    item = _item(T=200, segs=((-2.0, 10.0),), labels=(0,))
    out = truncate_feats(item, 100, 0.9, 2.0, None, rng=random.Random(0))
    # the window starts at 0 for the only valid draw; with offset 2 the action is not clipped
    assert out["segments"][0, 0].item() == pytest.approx(-2.0)


def test_old_signature_crop_ratio_in_fourth_position():
    out = truncate_feats(_item(), 200, 0.5, (0.5, 0.6), rng=random.Random(1))
    assert 50 <= out["feats"].shape[1] <= 60


def test_same_seed_same_window_and_module_random_fallback():
    item = _item(T=500, segs=((10.0, 400.0),), labels=(0,))
    a = truncate_feats(item, 64, 0.1, 0.0, (0.9, 1.0), rng=random.Random(7))
    b = truncate_feats(item, 64, 0.1, 0.0, (0.9, 1.0), rng=random.Random(7))
    assert torch.equal(a["feats"], b["feats"])
    random.seed(5)
    c = truncate_feats(item, 64, 0.1)
    random.seed(5)
    d = truncate_feats(item, 64, 0.1)
    assert torch.equal(c["feats"], d["feats"])


def test_resize_feats_linear():
    x = torch.arange(4, dtype=torch.float32).view(1, 4)
    y = resize_feats(x, 8)
    assert y.shape == (1, 8)
    assert y[0, 0].item() == 0.0 and y[0, -1].item() == 3.0
    assert resize_feats(x, 4) is x


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=60, deadline=None)
@given(T=st.integers(20, 300), max_len=st.integers(8, 120), thresh=st.floats(0.1, 1.0),
       offset=st.sampled_from([0.0, 2.0]), starts=st.lists(st.floats(-2, 290), min_size=1, max_size=6),
       lengths=st.lists(st.floats(0.5, 60), min_size=6, max_size=6), seed=st.integers(0, 1000))
def test_truncation_invariants(T, max_len, thresh, offset, starts, lengths, seed):
    segs = torch.tensor([[s, s + n] for s, n in zip(starts, lengths)], dtype=torch.float32)
    item = {"feats": torch.arange(T, dtype=torch.float32).view(1, T), "segments": segs,
            "labels": torch.arange(len(starts))}
    out = truncate_feats(item, max_len, thresh, offset, (0.9, 1.0), rng=random.Random(seed))
    new_len = out["feats"].shape[1]
    assert new_len <= max(max_len, T) and new_len >= 1
    if out is item:
        return
    start = int(out["feats"][0, 0].item())
    assert out["segments"].shape == (len(out["labels"]), 2)
    assert (out["segments"][:, 0] >= -offset - 1e-4).all() and (out["segments"][:, 1] <= new_len + offset + 1e-4).all()
    for seg, lab in zip(out["segments"], out["labels"].tolist()):
        orig = segs[lab]
        assert torch.allclose(seg + start, torch.stack([orig[0].clamp(min=start - offset),
                                                        orig[1].clamp(max=start + new_len + offset)]), atol=1e-3)
        assert ((seg[1] - seg[0]) / (orig[1] - orig[0])).item() >= thresh - 1e-5
