"""Sliding-window (banded) attention with memory linear in the sequence length: the one
implementation of the banded maths (the v1 attention calls it, and so does ``sdpa_attention``
for windowed v2 attention).

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
    query_mask: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Banded attention.

    q, k, v: (B, H, T, D), q already scaled; key_mask: (B, T) bool, True = valid;
    rel_pe: optional (H, window_size) additive bias by relative offset -w..w.
    Returns (B, H, T, D). Rows of invalid queries are zero, as in the original release.
    ``query_mask`` (B, T) bool: valid queries when they differ from the valid keys; then rows
    that see no valid key are zero too (with one mask a valid query always sees itself).
    """
    bsz, n_head, seq_len, head_dim = q.shape
    w = window_size // 2
    block = block or max(2 * w, 16)
    num_blocks = -(-seq_len // block)
    padded = num_blocks * block
    span = block + 2 * w

    key_valid = F.pad(key_mask, (w, w + padded - seq_len), value=False)  # (B, padded + 2w)
    key_valid = _windows(key_valid.unsqueeze(-1), num_blocks, block, span).squeeze(-1)  # (B, nb, span)
    own_mask = query_mask is None
    query_mask = key_mask if own_mask else query_mask
    query_valid = F.pad(query_mask, (0, padded - seq_len), value=False).view(bsz, 1, num_blocks, block, 1)
    every_query_valid = own_mask and padded == seq_len and mask_is_full(key_mask)
    bias = rel_pe_bias(rel_pe, block, w)[None, :, None] if rel_pe is not None else None
    band = band_mask(block, w, q.device)

    def probabilities(scores: torch.Tensor, b0: int, b1: int) -> torch.Tensor:
        """Scores (B, H, nb, block, span) of blocks b0..b1-1 -> masked softmax (B * H, nb, block, span)."""
        if bias is not None:
            scores = scores + bias
        allowed = band[None, None] & key_valid[:, b0:b1, None, :]  # (B, nb, block, span)
        # a finite fill keeps softmax NaN-free on rows with no valid key (they are zeroed below)
        scores = scores.masked_fill(~allowed[:, None], torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)
        if not every_query_valid:
            keep = query_valid[:, :, b0:b1]
            if not own_mask:
                keep = keep & allowed.any(dim=-1)[:, None, :, :, None]
            probs = probs * keep.to(scores.dtype)
        if dropout_p > 0.0 and training:
            probs = F.dropout(probs, dropout_p, training=True)
        return probs.view(bsz * n_head, b1 - b0, block, span)

    if 2 * w <= block:  # always with the default block
        out = _paired_block_attention(q, k, v, num_blocks, block, w, probabilities)
    else:
        out = _windowed_attention(q, k, v, num_blocks, block, w, probabilities)
    return out.view(bsz, n_head, padded, head_dim)[:, :, :seq_len]


def _paired_block_attention(q, k, v, num_blocks: int, block: int, w: int, probabilities) -> torch.Tensor:
    """Banded attention with the window of block i = block i of the keys (shifted by w) and the
    first 2w steps of block i + 1, never copied into windows: each half is its own batched
    product. Every head gets two dummy blocks at its end so that "block i + 1" is a constant
    offset in the flattened (head, block) batch. Returns (B * H, nb, block, D)."""
    bsz, n_head, seq_len, head_dim = q.shape
    per_head = num_blocks + 2
    n = bsz * n_head * per_head
    q_blk = F.pad(q, (0, 0, 0, per_head * block - seq_len)).reshape(n, block, head_dim)
    kv_pad = (0, 0, w, per_head * block - w - seq_len)
    k_blk = F.pad(k, kv_pad).reshape(n, block, head_dim)
    v_blk = F.pad(v, kv_pad).reshape(n, block, head_dim)

    def per_block(x: torch.Tensor) -> torch.Tensor:
        """(n - 1, ...) -> (B, H, nb, ...): one zero entry appended, the dummy blocks dropped."""
        x = torch.cat([x, x.new_zeros((1,) + x.shape[1:])])
        return x.view((bsz, n_head, per_head) + x.shape[1:])[:, :, :num_blocks]

    own = torch.bmm(q_blk[:-1], k_blk[:-1].transpose(1, 2))  # (n - 1, block, block)
    ahead = torch.bmm(q_blk[:-1], k_blk[1:, : 2 * w].transpose(1, 2))  # (n - 1, block, 2w)
    probs = probabilities(per_block(torch.cat([own, ahead], dim=-1)), 0, num_blocks)  # (BH, nb, block, span)
    probs = F.pad(probs, (0, 0, 0, 0, 0, 2)).reshape(n, block, block + 2 * w)
    out = torch.bmm(probs[:-1, :, :block], v_blk[:-1]) + torch.bmm(probs[:-1, :, block:], v_blk[1:, : 2 * w])
    return per_block(out).reshape(bsz * n_head, num_blocks, block, head_dim)


def _windowed_attention(q, k, v, num_blocks: int, block: int, w: int, probabilities) -> torch.Tensor:
    """Banded attention over key/value windows copied out of the padded sequence (any block
    size; used when a window reaches past the next block). Returns (B * H, nb, block, D)."""
    bsz, n_head, seq_len, head_dim = q.shape
    padded, span = num_blocks * block, block + 2 * w
    pad = (0, 0, w, w + padded - seq_len)
    k_win = _windows(F.pad(k, pad).flatten(0, 1), num_blocks, block, span)  # (BH, nb, span, D)
    v_win = _windows(F.pad(v, pad).flatten(0, 1), num_blocks, block, span)
    q_blk = F.pad(q, (0, 0, 0, padded - seq_len)).reshape(bsz * n_head, num_blocks, block, head_dim)

    def attend(b0: int, b1: int) -> torch.Tensor:
        scores = torch.matmul(q_blk[:, b0:b1], k_win[:, b0:b1].transpose(-1, -2))  # (BH, nb, block, span)
        probs = probabilities(scores.view(bsz, n_head, b1 - b0, block, span), b0, b1)
        return torch.matmul(probs, v_win[:, b0:b1])

    # without autograd, long sequences go in groups of blocks to bound the windowed copies
    group = num_blocks if torch.is_grad_enabled() else max(1, 4096 // block)
    if group >= num_blocks:
        return attend(0, num_blocks)
    return torch.cat([attend(b, min(b + group, num_blocks)) for b in range(0, num_blocks, group)], dim=1)
