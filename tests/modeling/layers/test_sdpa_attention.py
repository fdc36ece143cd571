"""Windowed attention equals a naive masked full attention; GQA, padding and memory properties."""

from __future__ import annotations

import pytest
import torch

from actionformer.modeling.layers import sdpa_attention as la
from actionformer.modeling.layers.sdpa_attention import sdpa_attention


def naive_attention(q, k, v, window_size, key_valid, query_valid=None):
    """Full T x T attention with an explicit window + padding mask (the definition)."""
    query_valid = key_valid if query_valid is None else query_valid
    n_rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(n_rep, dim=1)
    v = v.repeat_interleave(n_rep, dim=1)
    length = q.shape[2]
    idx = torch.arange(length)
    allowed = key_valid[:, None, None, :].expand(-1, 1, length, -1)  # (B, 1, T, T)
    if window_size != -1:
        band = (idx[:, None] - idx[None, :]).abs() <= window_size // 2
        allowed = allowed & band
    scores = (q.double() @ k.double().transpose(-2, -1)) / q.shape[-1] ** 0.5
    scores = scores.masked_fill(~allowed, float("-inf"))
    attn = torch.nan_to_num(scores.softmax(-1), nan=0.0)
    out = attn @ v.double()
    return (out * query_valid[:, None, :, None]).to(q.dtype)


def _inputs(batch, n_head, n_kv_head, length, head_dim=8, lengths=None):
    q = torch.randn(batch, n_head, length, head_dim)
    k = torch.randn(batch, n_kv_head, length, head_dim)
    v = torch.randn(batch, n_kv_head, length, head_dim)
    lengths = lengths if lengths is not None else [length] * batch
    valid = torch.arange(length)[None, :] < torch.tensor(lengths)[:, None]  # (B, T)
    return q, k, v, valid


@pytest.mark.parametrize("use_sdpa", [True, False])
@pytest.mark.parametrize("window_size", [1, 3, 4, 7, 19, -1])
@pytest.mark.parametrize("length", [5, 37, 64])
def test_windowed_equals_naive_masked_attention(use_sdpa, window_size, length):
    q, k, v, valid = _inputs(3, 4, 4, length, lengths=[length, length - 3, 2])
    out = sdpa_attention(q, k, v, window_size=window_size, key_valid=valid, use_sdpa=use_sdpa)
    expected = naive_attention(q, k, v, window_size, valid)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("block_size", [1, 4, 9, 19, 50, 128])
def test_block_size_does_not_change_result(block_size):
    q, k, v, valid = _inputs(2, 2, 2, 53, lengths=[53, 30])
    out = sdpa_attention(q, k, v, window_size=9, key_valid=valid, block_size=block_size)
    torch.testing.assert_close(out, naive_attention(q, k, v, 9, valid), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("n_kv_head", [1, 2, 4])
@pytest.mark.parametrize("use_sdpa", [True, False])
def test_grouped_query_attention_matches_repeated_heads(n_kv_head, use_sdpa):
    q, k, v, valid = _inputs(2, 4, n_kv_head, 41, lengths=[41, 20])
    out = sdpa_attention(q, k, v, window_size=7, key_valid=valid, use_sdpa=use_sdpa)
    # query head h shares key/value head h // (H / H_kv)
    k_full = k.repeat_interleave(4 // n_kv_head, dim=1)
    v_full = v.repeat_interleave(4 // n_kv_head, dim=1)
    mha = sdpa_attention(q, k_full, v_full, window_size=7, key_valid=valid, use_sdpa=use_sdpa)
    torch.testing.assert_close(out, mha, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(out, naive_attention(q, k, v, 7, valid), atol=1e-5, rtol=1e-5)


def test_padded_keys_never_attended_and_padded_queries_zero():
    q, k, v, valid = _inputs(2, 2, 2, 30, lengths=[30, 17])
    out = sdpa_attention(q, k, v, window_size=9, key_valid=valid)
    assert out[1, :, 17:].abs().max() == 0
    # changing padded keys/values must not change any valid output
    k2, v2 = k.clone(), v.clone()
    k2[1, :, 17:] = 1e3 * torch.randn_like(k2[1, :, 17:])
    v2[1, :, 17:] = 1e3 * torch.randn_like(v2[1, :, 17:])
    out2 = sdpa_attention(q, k2, v2, window_size=9, key_valid=valid)
    torch.testing.assert_close(out2, out)


def test_fully_padded_video_gives_zeros_not_nan_and_finite_gradients():
    q, k, v, valid = _inputs(2, 2, 2, 12, lengths=[12, 0])
    q.requires_grad_(True)
    for window in (5, -1):
        for use_sdpa in (True, False):
            out = sdpa_attention(q, k, v, window_size=window, key_valid=valid, use_sdpa=use_sdpa)
            assert torch.isfinite(out).all() and out[1].abs().max() == 0
            out.sum().backward()
            assert torch.isfinite(q.grad).all()
            q.grad = None


def test_query_valid_differing_from_key_valid():
    q, k, v, key_valid = _inputs(1, 2, 2, 20)
    key_valid[0, 5:8] = False  # queries 5..7 valid, their own keys not
    query_valid = torch.ones_like(key_valid)
    out = sdpa_attention(
        q, k, v, window_size=3, key_valid=key_valid, query_valid=query_valid
    )
    expected = naive_attention(q, k, v, 3, key_valid, query_valid)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    assert out[0, :, 6].abs().max() == 0  # no valid key within +-1 of position 6


def test_windowed_attention_is_the_banded_local_attention(monkeypatch):
    """Windowed attention goes through the one banded implementation (whose memory is linear
    in T, see test_local_attention), with key/value heads repeated for grouped queries."""
    seen = []
    real = la.local_attention

    def spy(q, k, v, key_mask, window_size, *args, **kw):
        seen.append((tuple(q.shape), tuple(k.shape), window_size, kw.get("block")))
        return real(q, k, v, key_mask, window_size, *args, **kw)

    monkeypatch.setattr(la, "local_attention", spy)
    q, k, v, valid = _inputs(1, 4, 2, 100)
    sdpa_attention(q, k, v, window_size=19, key_valid=valid)
    assert seen == [((1, 4, 100, q.shape[-1]), (1, 4, 100, q.shape[-1]), 19, 32)]


def test_bf16_inputs_close_to_float32():
    q, k, v, valid = _inputs(2, 4, 2, 33, lengths=[33, 21])
    ref = sdpa_attention(q, k, v, window_size=7, key_valid=valid)
    out = sdpa_attention(q.bfloat16(), k.bfloat16(), v.bfloat16(), window_size=7, key_valid=valid)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), ref, atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(window_size=0), "window_size"),
        (dict(window_size=-2), "window_size"),
        (dict(window_size=5, block_size=0), "block_size"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, match):
    q, k, v, valid = _inputs(1, 2, 2, 10)
    with pytest.raises(ValueError, match=match):
        sdpa_attention(q, k, v, key_valid=valid, **kwargs)


def test_heads_not_divisible_and_bad_mask_are_clear_errors():
    q, k, v, valid = _inputs(1, 4, 3, 10)
    with pytest.raises(ValueError, match="multiple of n_kv_head"):
        sdpa_attention(q, k, v, window_size=3, key_valid=valid)
    q, k, v, valid = _inputs(1, 2, 2, 10)
    with pytest.raises(ValueError, match="bool"):
        sdpa_attention(q, k, v, window_size=3, key_valid=valid.float())


@pytest.mark.parametrize("window_size", [7, -1])
def test_time_major_output_is_the_transpose(window_size):
    q, k, v, valid = _inputs(2, 4, 2, 45, lengths=[45, 30])
    out = sdpa_attention(q, k, v, window_size=window_size, key_valid=valid)
    out_tm = sdpa_attention(q, k, v, window_size=window_size, key_valid=valid, time_major=True)
    assert out_tm.shape == (2, 45, 4, 8)
    torch.testing.assert_close(out_tm, out.transpose(1, 2))
    with torch.inference_mode():  # the in-place path
        out_inf = sdpa_attention(q, k, v, window_size=window_size, key_valid=valid)
    torch.testing.assert_close(out_inf, out)
