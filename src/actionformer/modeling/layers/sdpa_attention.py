"""Windowed (local) and global attention through ``scaled_dot_product_attention``, with
grouped-query heads and padding masks, in O(T * window) memory (the v2 backbone's attention core).

A query at time ``i`` attends the keys ``j`` with ``|i - j| <= window_size // 2`` (the
original ActionFormer's rule), or every key when ``window_size == -1``. Padded keys are never
attended and padded queries produce zeros.

Windowed attention never builds a T x T score matrix or mask: the sequence is cut into blocks
of ``block_size`` queries; block ``n`` attends the ``block_size + 2 * (window_size // 2)`` keys
around it through one batched attention call with a small (block, span) boolean mask. Scores,
masks and the unfolded keys/values are all linear in T.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

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
    ``query_valid`` defaults to ``key_valid``. ``use_sdpa`` selects torch's fused
    ``scaled_dot_product_attention`` (flash / memory-efficient kernels where available) rather
    than the explicit matmul-softmax-matmul; both give the same result.
    """
    _check_inputs(q, k, v, key_valid, query_valid, window_size)
    query_valid = key_valid if query_valid is None else query_valid
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if window_size == GLOBAL_WINDOW or window_size // 2 >= q.shape[2] - 1:
        out = _global_attention(q, k, v, key_valid, query_valid, dropout_p, use_sdpa, scale)
        return out.transpose(1, 2) if time_major else out
    block = default_block_size(window_size) if block_size is None else block_size
    if block <= 0:
        raise ValueError(f"sdpa_attention: block_size must be positive, got {block}")
    out = _blocked_attention(
        q, k, v, key_valid, query_valid, window_size // 2, block, dropout_p, use_sdpa, scale
    )  # (B, T, H, d)
    return out if time_major else out.transpose(1, 2)


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


def _blocked_attention(q, k, v, key_valid, query_valid, half, block, dropout_p, use_sdpa, scale):
    batch, n_head, length, head_dim = q.shape
    n_kv_head = k.shape[1]
    n_blocks = -(-length // block)
    pad_len = n_blocks * block - length
    span = block + 2 * half

    # queries: (B, H, T, d) -> (B, T, H, d) -> (B*nb, b, H, d) -> (B*nb, H, b, d); no copy when
    # q is stored time-major (as projections leave it) and T is a multiple of the block
    q_time = q.transpose(1, 2)
    if pad_len:
        q_time = F.pad(q_time, (0, 0, 0, 0, 0, pad_len))
    q_blocks = q_time.reshape(batch * n_blocks, block, n_head, head_dim).transpose(1, 2)
    k_blocks = _unfold_keys(k, half, pad_len, block, span)  # (B*nb, H_kv, span, d)
    v_blocks = _unfold_keys(v, half, pad_len, block, span)  # (B*nb, H_kv, span, d)

    # key validity per block: (B, T) -> (B, nb, span); zero-padding beyond [0, T) is invalid
    kv_valid = F.pad(key_valid, (half, pad_len + half), value=False).unfold(1, span, block)
    # band: query r of a block sits at span index r + half; keys r .. r + 2*half are in window
    rows = torch.arange(block, device=q.device)[:, None]
    cols = torch.arange(span, device=q.device)[None, :]
    band = (cols >= rows) & (cols <= rows + 2 * half)  # (b, span)
    mask = band[None, None] & kv_valid[:, :, None, :]  # (B, nb, b, span)
    mask = mask.reshape(batch * n_blocks, 1, block, span)  # (B*nb, 1, b, span)

    out, has_key = _attend(q_blocks, k_blocks, v_blocks, mask, dropout_p, use_sdpa, scale)
    q_valid = F.pad(query_valid, (0, pad_len), value=False).view(batch * n_blocks, 1, block, 1)
    out = _zero_rows(out, has_key & q_valid)  # (B*nb, H, b, d)
    # (B*nb, H, b, d) -> (B*nb, b, H, d) -> (B, nb*b, H, d) -> crop to T
    out = out.transpose(1, 2).reshape(batch, n_blocks * block, n_head, head_dim)
    return out[:, :length]


def _zero_rows(out: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """out * keep; in place when autograd does not need ``out`` (inference)."""
    if out.requires_grad:
        return out * keep.to(out.dtype)
    return out.mul_(keep.to(out.dtype))


def _unfold_keys(x: torch.Tensor, half: int, pad_len: int, block: int, span: int) -> torch.Tensor:
    """(B, H, T, d) -> (B*nb, H, span, d): for each query block, the keys it may see."""
    batch, n_head, _, head_dim = x.shape
    padded = F.pad(x, (0, 0, half, pad_len + half))  # (B, H, nb*b + 2*half, d)
    windows = padded.unfold(2, span, block)  # (B, H, nb, d, span)
    n_blocks = windows.shape[2]
    windows = windows.permute(0, 2, 1, 4, 3)  # (B, nb, H, span, d)
    return windows.reshape(batch * n_blocks, n_head, span, head_dim)


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
