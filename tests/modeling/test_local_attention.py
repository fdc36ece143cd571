"""Banded local attention equals dense attention restricted to the window (the original's semantics)."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.layers import local_attention


def dense_reference(q, k, v, key_mask, window_size, rel_pe=None):
    """The original's semantics on a full T x T matrix: keys outside [t - w, t + w] excluded,
    invalid keys get -1e4, invalid query rows are zero."""
    t = q.shape[2]
    w = window_size // 2
    scores = q @ k.transpose(-1, -2)  # (B, H, T, T)
    offset = torch.arange(t)[None, :] - torch.arange(t)[:, None]  # key - query
    if rel_pe is not None:
        idx = (offset + w).clamp(0, window_size - 1)
        scores = scores + rel_pe[:, idx]  # (H, T, T)
    scores = scores + (~key_mask)[:, None, None, :].float() * -1e4
    scores = scores.masked_fill((offset.abs() > w)[None, None], float("-inf"))
    probs = torch.softmax(scores, -1) * key_mask[:, None, :, None].float()
    return probs @ (v * key_mask[:, None, :, None].float())


@pytest.mark.parametrize("t,window,block", [(64, 9, None), (37, 5, None), (50, 19, 7), (8, 9, None), (1, 3, None)])
@pytest.mark.parametrize("with_rel_pe", [False, True])
def test_matches_dense_reference(t, window, block, with_rel_pe):
    g = torch.Generator().manual_seed(t + window)
    b, h, d = 2, 3, 4
    q, k, v = (torch.randn(b, h, t, d, generator=g) for _ in range(3))
    key_mask = torch.ones(b, t, dtype=torch.bool)
    key_mask[1, max(t // 2, 1):] = False
    rel_pe = torch.randn(h, window, generator=g) if with_rel_pe else None
    ours = local_attention(q, k, v, key_mask, window, rel_pe, block=block)
    torch.testing.assert_close(ours, dense_reference(q, k, v, key_mask, window, rel_pe), atol=1e-5, rtol=1e-5)


def test_fully_masked_video_gives_zeros_and_finite_gradients():
    q, k, v = (torch.randn(1, 2, 16, 4, requires_grad=True) for _ in range(3))
    mask = torch.zeros(1, 16, dtype=torch.bool)
    out = local_attention(q, k, v, mask, 5)
    assert torch.count_nonzero(out) == 0
    out.sum().backward()
    assert all(torch.isfinite(x.grad).all() for x in (q, k, v))


def test_memory_is_linear_in_length():
    """The largest intermediate is O(T * window), never T x T (checked via saved tensor sizes)."""
    sizes = []

    def pack(x):
        sizes.append(x.numel())
        return x

    t, w = 4096, 9
    q, k, v = (torch.randn(1, 1, t, 4, requires_grad=True) for _ in range(3))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        local_attention(q, k, v, torch.ones(1, t, dtype=torch.bool), w)
    assert max(sizes) < t * 64


@pytest.mark.parametrize("t,window", [(64, 9), (36, 19), (8, 5)])
@pytest.mark.parametrize("with_rel_pe", [False, True])
def test_sliding_chunk_reference_matches_banded(t, window, with_rel_pe):
    from sliding_chunks_reference import sliding_chunk_attention

    g = torch.Generator().manual_seed(t)
    b, h, d = 2, 2, 4
    q, k, v = (torch.randn(b, h, t, d, generator=g) for _ in range(3))
    key_mask = torch.ones(b, t, dtype=torch.bool)
    key_mask[0, t - 3:] = False
    rel_pe = torch.randn(h, window, generator=g) if with_rel_pe else None
    ours = local_attention(q, k, v, key_mask, window, rel_pe)
    theirs = sliding_chunk_attention(q, k, v, key_mask, window, rel_pe)
    torch.testing.assert_close(theirs, ours, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(theirs, dense_reference(q, k, v, key_mask, window, rel_pe), atol=1e-5, rtol=1e-5)


def test_grouped_inference_equals_single_pass():
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(1, 2, 9000, 4, generator=g) for _ in range(3))
    mask = torch.ones(1, 9000, dtype=torch.bool)
    mask[0, 8000:] = False
    with torch.no_grad():
        grouped = local_attention(q, k, v, mask, 9)  # 9000 > 4096 steps: runs in groups
    single = local_attention(q, k, v, mask, 9)  # with autograd: one pass
    torch.testing.assert_close(grouped, single.detach(), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(
    "t,window,old_block,with_rel_pe",
    [(37, 9, 7, False), (37, 9, 7, True), (50, 19, 5, True), (16, 9, 3, False), (5, 9, 6, True)],
)
def test_block_pairs_path_matches_strided_windows_path(t, window, old_block, with_rel_pe):
    """The default block (2w <= block: windows built from block pairs) and an explicit block with
    2w > block (the as_strided windows) give the same outputs and gradients."""
    w = window // 2
    assert 2 * w > old_block
    g = torch.Generator().manual_seed(t + window)
    b, h, d = 2, 2, 3
    q, k, v = (torch.randn(b, h, t, d, generator=g, dtype=torch.float64) for _ in range(3))
    rel_pe = torch.randn(h, window, generator=g, dtype=torch.float64) if with_rel_pe else None
    key_mask = torch.ones(b, t, dtype=torch.bool)
    key_mask[1, max(t - 6, 1):] = False
    grad_out = torch.randn(b, h, t, d, generator=g, dtype=torch.float64)

    def run(block):
        leaves = [x.clone().requires_grad_(True) for x in (q, k, v)]
        pe = rel_pe.clone().requires_grad_(True) if rel_pe is not None else None
        out = local_attention(*leaves, key_mask, window, pe, block=block)
        out.backward(grad_out)
        return [out.detach()] + [x.grad for x in leaves] + ([pe.grad] if pe is not None else [])

    # None: the default block; 2w: the smallest block the block-pair path takes
    for block in (None, 2 * w):
        for new, old in zip(run(block), run(old_block)):
            torch.testing.assert_close(new, old, atol=1e-12, rtol=1e-10)
    new_out = run(None)[0]
    torch.testing.assert_close(new_out, dense_reference(q, k, v, key_mask, window, rel_pe), atol=1e-10, rtol=1e-10)
