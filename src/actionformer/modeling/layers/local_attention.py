"""Sliding-window (banded) attention with memory linear in the sequence length.

Query t attends to keys t - w .. t + w (w = window_size // 2) that lie inside the sequence and are
valid. The sequence is cut into blocks of ``block`` queries; each block is scored against the
``block + 2w`` keys around it with one batched matrix product, and positions outside the band
are masked. No T x T matrix is ever built: memory is O(T * (block + 2w)).
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .masking import mask_is_full


def _windows(x: torch.Tensor, num_blocks: int, block: int, span: int) -> torch.Tensor:
    """Overlapping windows (as a strided view) over dim 1 of x: (N, L, *rest) -> (N, nb, span, *rest)."""
    stride = list(x.stride())
    size = [x.shape[0], num_blocks, span] + list(x.shape[2:])
    new_stride = [stride[0], block * stride[1]] + stride[1:]
    return x.as_strided(size, new_stride)


def _block_pairs(x: torch.Tensor, num_blocks: int, block: int, span: int) -> torch.Tensor:
    """Windows of ``span <= 2 * block`` steps starting at every block: (B, H, (nb + 1) * block, D)
    -> (B * H, nb, span, D). Built from block i and the head of block i + 1, so its backward is
    two slices, where overlapping ``as_strided`` windows need a slow scatter-add."""
    blocks = x.flatten(0, 1).view(-1, num_blocks + 1, block, x.shape[-1])
    return torch.cat([blocks[:, :-1], blocks[:, 1:, : span - block]], dim=2)


def band_mask(block: int, window_overlap: int, device: torch.device) -> torch.Tensor:
    """(block, block + 2w) bool: row r may see columns r .. r + 2w (keys t - w .. t + w)."""
    rows = torch.arange(block, device=device)[:, None]
    cols = torch.arange(block + 2 * window_overlap, device=device)[None, :]
    return (cols >= rows) & (cols <= rows + 2 * window_overlap)


def rel_pe_bias(rel_pe: torch.Tensor, block: int, window_overlap: int) -> torch.Tensor:
    """Scatter a (n_head, 2w + 1) relative bias onto the block layout: (n_head, block, block + 2w)."""
    n_head, width = rel_pe.shape
    bias = rel_pe.new_zeros(n_head, block, block + 2 * window_overlap)
    rows = torch.arange(block, device=rel_pe.device)[:, None]
    cols = rows + torch.arange(width, device=rel_pe.device)[None, :]  # (block, 2w + 1)
    index = cols.unsqueeze(0).expand(n_head, -1, -1)
    src = rel_pe[:, None, :].expand(-1, block, -1)
    return bias.scatter(2, index, src)


def local_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    key_mask: torch.Tensor,
    window_size: int,
    rel_pe: Optional[torch.Tensor] = None,
    dropout_p: float = 0.0,
    training: bool = False,
    block: Optional[int] = None,
) -> torch.Tensor:
    """Banded attention.

    q, k, v: (B, H, T, D), q already scaled; key_mask: (B, T) bool, True = valid;
    rel_pe: optional (H, window_size) additive bias by relative offset -w..w.
    Returns (B, H, T, D). Rows of invalid queries are zero, as in the original release.
    """
    bsz, n_head, seq_len, head_dim = q.shape
    w = window_size // 2
    block = block or max(2 * w, 16)
    num_blocks = -(-seq_len // block)
    padded = num_blocks * block
    span = block + 2 * w

    # keys / values (BH, nb, span, D): w steps of padding before, the rest after
    if 2 * w <= block:  # always with the default block
        pad = (0, 0, w, (num_blocks + 1) * block - w - seq_len)
        k_win = _block_pairs(F.pad(k, pad), num_blocks, block, span)
        v_win = _block_pairs(F.pad(v, pad), num_blocks, block, span)
    else:
        pad = (0, 0, w, w + padded - seq_len)
        k_win = _windows(F.pad(k, pad).flatten(0, 1), num_blocks, block, span)
        v_win = _windows(F.pad(v, pad).flatten(0, 1), num_blocks, block, span)
    q_blk = F.pad(q, (0, 0, 0, padded - seq_len)).reshape(bsz * n_head, num_blocks, block, head_dim)

    key_valid = F.pad(key_mask, (w, w + padded - seq_len), value=False)  # (B, padded + 2w)
    key_valid = _windows(key_valid.unsqueeze(-1), num_blocks, block, span).squeeze(-1)  # (B, nb, span)
    query_valid = F.pad(key_mask, (0, padded - seq_len), value=False).view(bsz, 1, num_blocks, block, 1)
    every_query_valid = padded == seq_len and mask_is_full(key_mask)
    bias = rel_pe_bias(rel_pe, block, w)[None, :, None] if rel_pe is not None else None
    band = band_mask(block, w, q.device)

    def attend(b0: int, b1: int) -> torch.Tensor:
        """Output of blocks b0..b1-1: (BH, b1 - b0, block, D)."""
        nb = b1 - b0
        scores = torch.matmul(q_blk[:, b0:b1], k_win[:, b0:b1].transpose(-1, -2))  # (BH, nb, block, span)
        scores = scores.view(bsz, n_head, nb, block, span)
        if bias is not None:
            scores = scores + bias
        allowed = band[None, None] & key_valid[:, b0:b1, None, :]  # (B, nb, block, span)
        # a finite fill keeps softmax NaN-free on rows with no valid key (they are zeroed below)
        scores = scores.masked_fill(~allowed[:, None], torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)
        if not every_query_valid:
            probs = probs * query_valid[:, :, b0:b1].to(scores.dtype)
        if dropout_p > 0.0 and training:
            probs = F.dropout(probs, dropout_p, training=True)
        return torch.matmul(probs.view(bsz * n_head, nb, block, span), v_win[:, b0:b1])

    # without autograd, long sequences go in groups of blocks to bound the windowed copies
    group = num_blocks if torch.is_grad_enabled() else max(1, 4096 // block)
    if group >= num_blocks:
        out = attend(0, num_blocks)
    else:
        out = torch.cat([attend(b, min(b + group, num_blocks)) for b in range(0, num_blocks, group)], dim=1)
    return out.view(bsz, n_head, padded, head_dim)[:, :, :seq_len]
