"""Windowed (local) and global attention through ``scaled_dot_product_attention``, with
grouped-query heads and padding masks, in O(T * window) memory (the v2 backbone's attention core).

A query at time ``i`` attends the keys ``j`` with ``|i - j| <= window_size // 2`` (the
original ActionFormer's rule), or every key when ``window_size == -1``. Padded keys are never
attended and padded queries produce zeros.

Windowed attention never builds a T x T score matrix or mask: it is the banded attention of
:func:`~actionformer.modeling.layers.local_attention.local_attention` (blocks of ``block_size``
queries, each scored against the keys around it), whose memory is linear in T.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .local_attention import local_attention

GLOBAL_WINDOW = -1  # unlike the backbone configs, 1 here means "attend to yourself only"


def default_block_size(window_size: int) -> int:
    """Queries per block: one window, at least 32 so that each matmul stays reasonably large.

    Smaller blocks waste less on scores outside the band (span / window ~ (b + w) / w) but pay
    per-block overhead; on CPU the optimum for windows 7-19 is around 32-64 (bench/).
    """
    return max(window_size, 32)


def sdpa_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    window_size: int,
    key_valid: torch.Tensor,
    query_valid: torch.Tensor | None = None,
    block_size: int | None = None,
    dropout_p: float = 0.0,
    use_sdpa: bool = True,
    scale: float | None = None,
    time_major: bool = False,
) -> torch.Tensor:
    """Attention of ``q`` (B, H, T, d) over ``k``, ``v`` (B, H_kv, T, d); returns (B, H, T, d),
    or (B, T, H, d) with ``time_major`` (what a following projection wants, without a copy).

    ``H`` must be a multiple of ``H_kv`` (grouped-query attention; query head ``h`` uses key/value
    head ``h // (H / H_kv)``). ``key_valid`` / ``query_valid`` are boolean (B, T), True = valid;
    ``query_valid`` defaults to ``key_valid``. For global attention ``use_sdpa`` selects torch's
    fused ``scaled_dot_product_attention`` (flash / memory-efficient kernels where available)
    rather than the explicit matmul-softmax-matmul; both give the same result. Windowed
    attention is always the banded block products of ``local_attention``.
    """
    _check_inputs(q, k, v, key_valid, query_valid, window_size)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if window_size == GLOBAL_WINDOW or window_size // 2 >= q.shape[2] - 1:
        query_valid = key_valid if query_valid is None else query_valid
        out = _global_attention(q, k, v, key_valid, query_valid, dropout_p, use_sdpa, scale)
        return out.transpose(1, 2) if time_major else out
    block = default_block_size(window_size) if block_size is None else block_size
    if block <= 0:
        raise ValueError(f"sdpa_attention: block_size must be positive, got {block}")
    n_rep = q.shape[1] // k.shape[1]
    out = local_attention(
        q * scale, _repeat_kv(k, n_rep), _repeat_kv(v, n_rep), key_valid, 2 * (window_size // 2) + 1,
        dropout_p=dropout_p, training=dropout_p > 0, block=block, query_mask=query_valid,
    )  # (B, H, T, d)
    return out.transpose(1, 2) if time_major else out


def _check_inputs(q, k, v, key_valid, query_valid, window_size) -> None:
    if q.dim() != 4 or k.dim() != 4 or v.shape != k.shape:
        raise ValueError(
            "sdpa_attention expects q (B, H, T, d) and k, v (B, H_kv, T, d); got "
            f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    batch, n_head, length, _ = q.shape
    if k.shape[0] != batch or k.shape[2] != length or k.shape[3] != q.shape[3]:
        raise ValueError(f"sdpa_attention: q {tuple(q.shape)} and k {tuple(k.shape)} disagree")
    if n_head % k.shape[1] != 0:
        raise ValueError(
            f"sdpa_attention: n_head ({n_head}) must be a multiple of n_kv_head ({k.shape[1]})"
        )
    for name, m in (("key_valid", key_valid), ("query_valid", query_valid)):
        if m is not None and (m.dtype != torch.bool or tuple(m.shape) != (batch, length)):
            raise ValueError(
                f"sdpa_attention: {name} must be a bool tensor of shape {(batch, length)}, "
                f"got {m.dtype} {tuple(m.shape)}"
            )
    if window_size != GLOBAL_WINDOW and window_size < 1:
        raise ValueError(f"sdpa_attention: window_size must be >= 1 or -1, got {window_size}")


def _zero_rows(out: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """out * keep; in place when autograd does not need ``out`` (inference)."""
    if out.requires_grad:
        return out * keep.to(out.dtype)
    return out.mul_(keep.to(out.dtype))


def _global_attention(q, k, v, key_valid, query_valid, dropout_p, use_sdpa, scale):
    mask = key_valid[:, None, None, :]  # (B, 1, 1, T)
    out, has_key = _attend(q, k, v, mask, dropout_p, use_sdpa, scale)
    return _zero_rows(out, has_key & query_valid[:, None, :, None])  # (B, H, T, d)


def _attend(q, k, v, mask, dropout_p, use_sdpa, scale):
    """Masked attention; rows without any allowed key are computed unmasked, flagged False."""
    has_key = mask.any(dim=-1, keepdim=True)  # (N, 1, L, 1)
    # a fully masked row would give NaN (0/0); let it see everything, its output is zeroed later
    mask = mask | ~has_key
    n_rep = q.shape[1] // k.shape[1]
    if use_sdpa:
        # CUDA's memory-efficient kernel (the one that takes a mask) lacks native GQA
        if n_rep > 1 and q.is_cuda:
            k, v = _repeat_kv(k, n_rep), _repeat_kv(v, n_rep)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=dropout_p, scale=scale,
            enable_gqa=k.shape[1] != q.shape[1],
        )
        return out, has_key
    k, v = _repeat_kv(k, n_rep), _repeat_kv(v, n_rep)
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale  # (N, H, L, S)
    scores = scores.masked_fill(~mask, float("-inf"))
    attn = F.dropout(scores.softmax(dim=-1), p=dropout_p, training=dropout_p > 0)
    return torch.matmul(attn.to(v.dtype), v), has_key


def _repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(N, H_kv, S, d) -> (N, H_kv * n_rep, S, d), each key/value head serving n_rep query heads."""
    return x if n_rep == 1 else x.repeat_interleave(n_rep, dim=1)
