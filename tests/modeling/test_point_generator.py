from __future__ import annotations

import torch

from actionformer.modeling import make_generator


def _original_points(buffer_len, strides, ranges, lengths):
    """The original's buffered construction, for comparison."""
    base = torch.arange(0, buffer_len, 1.0)
    out = []
    for s, r, t in zip(strides, ranges, lengths):
        pts = base[::s][:, None]
        rows = torch.cat([pts, torch.tensor(r, dtype=torch.float)[None].repeat(len(pts), 1),
                          torch.tensor(float(s))[None].repeat(len(pts), 1)[:, None].squeeze(-1)], dim=1)
        out.append(rows[:t])
    return out


def test_points_equal_original_buffer_and_extend_beyond_it():
    strides = [1, 2, 4, 8]
    ranges = [(0, 4), (4, 8), (8, 16), (16, 10000)]
    gen = make_generator("point", max_seq_len=64 * 1.0, fpn_strides=strides, regression_range=ranges)
    feats = [torch.zeros(1, 3, 64 // s) for s in strides]
    ours = gen(feats)
    for a, b in zip(ours, _original_points(64, strides, ranges, [f.shape[-1] for f in feats])):
        assert torch.equal(a, b)
    long = gen([torch.zeros(1, 3, 4096 // s) for s in strides])  # 64x past the original's buffer
    assert [p.shape for p in long] == [(4096 // s, 4) for s in strides]
    assert long[3][-1].tolist() == [4088.0, 16.0, 10000.0, 8.0]
    assert long[1].dtype == torch.float32
