"""The original release's formulation of local attention (Longformer-style sliding chunks).

A test helper: parity tests compare our banded attention against the original's
way of computing the same thing: overlapping chunks of 2w queries x 2w keys, rearranged into
(T, 2w + 1) diagonals, with out-of-sequence keys at -inf and invalid keys at -1e4. Needs T to be
a multiple of 2w (w = window_size // 2), as the original does.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F


def _overlapping_chunks(x: torch.Tensor, w: int) -> torch.Tensor:
    """(N, T, D) -> (N, T // w - 1, 2w, D): chunks of 2w steps that overlap by w (a view)."""
    n, t, d = x.shape
    x = x.reshape(n, t // (2 * w), 2 * w, d)
    size = [n, t // w - 1, 2 * w, d]
    stride = list(x.stride())
    stride[1] //= 2
    return x.as_strided(size, stride)


def _mask_out_of_sequence(scores: torch.Tensor, w: int) -> None:
    """In place: -inf where query t would look at key t + j outside [0, T). scores: (B, T, H, 2w + 1)."""
    begin = scores.new_ones(w, w + 1).tril().flip(dims=[0]).bool()[None, :, None, :]  # (1, w, 1, w + 1)
    end = begin.flip(dims=(1, 3))
    head = scores[:, :w, :, : w + 1]
    head.masked_fill_(begin.expand(head.shape), float("-inf"))
    tail = scores[:, -w:, :, -(w + 1):]
    tail.masked_fill_(end.expand(tail.shape), float("-inf"))


def chunked_scores(query: torch.Tensor, key: torch.Tensor, num_heads: int, w: int) -> torch.Tensor:
    """Banded q.k scores. query, key: (B * H, T, D) -> (B, T, H, 2w + 1), column j = offset j - w."""
    bh, t, _ = query.shape
    chunks = t // w - 1
    scores = torch.einsum("bcxd,bcyd->bcxy", _overlapping_chunks(query, w), _overlapping_chunks(key, w))
    # pad one row and re-view: diagonals of each 2w x 2w chunk become columns
    scores = F.pad(scores, (0, 0, 0, 1)).view(bh, chunks, 2 * w, 2 * w + 1)
    diag = scores.new_zeros(bh, chunks + 1, w, 2 * w + 1)
    diag[:, :-1, :, w:] = scores[:, :, :w, : w + 1]
    diag[:, -1, :, w:] = scores[:, -1, w:, : w + 1]
    diag[:, 1:, :, :w] = scores[:, :, -(w + 1) : -1, w + 1 :]
    if w > 1:  # (the original fails here for window 3, where this block is empty)
        diag[:, 0, 1:w, 1:w] = scores[:, 0, : w - 1, 1 - w :]
    diag = diag.view(bh // num_heads, num_heads, t, 2 * w + 1).transpose(2, 1)  # (B, T, H, 2w + 1)
    _mask_out_of_sequence(diag, w)
    return diag


def chunked_context(probs: torch.Tensor, value: torch.Tensor, num_heads: int, w: int) -> torch.Tensor:
    """probs: (B, T, H, 2w + 1); value: (B * H, T, D) -> (B, H, T, D)."""
    bh, t, d = value.shape
    chunks = t // w - 1
    probs = probs.transpose(1, 2).reshape(bh, t // w, w, 2 * w + 1)
    padded = F.pad(value, (0, 0, w, w), value=-1)
    s = padded.stride()
    windows = padded.as_strided((bh, chunks + 1, 3 * w, d), (s[0], w * s[1], s[1], s[2]))
    # shift row r of each chunk right by r steps: (.., w, 2w + 1) -> (.., w, 3w)
    probs = F.pad(probs, (0, w + 1)).view(bh, chunks + 1, -1)[:, :, :-w]
    probs = probs.view(bh, chunks + 1, w, 3 * w + 1)[:, :, :, :-1]
    context = torch.einsum("bcwd,bcdh->bcwh", probs, windows)
    return context.reshape(bh // num_heads, num_heads, t, d)


def sliding_chunk_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    key_mask: torch.Tensor,
    window_size: int,
    rel_pe: Optional[torch.Tensor] = None,
    dropout_p: float = 0.0,
    training: bool = False,
) -> torch.Tensor:
    """Same contract as ``local_attention`` (q already scaled), T a multiple of window_size - 1."""
    b, h, t, d = q.shape
    w = window_size // 2
    scores = chunked_scores(q.reshape(b * h, t, d), k.reshape(b * h, t, d), h, w)  # (B, T, H, 2w + 1)
    if rel_pe is not None:
        scores = scores + rel_pe.view(1, 1, h, window_size)
    invalid = ~key_mask[:, :, None]  # (B, T, 1)
    penalty = invalid.to(q.dtype).masked_fill(invalid, -1e4)
    scores = scores + chunked_scores(torch.ones_like(penalty), penalty, 1, w)
    probs = torch.softmax(scores, dim=-1)
    probs = probs.masked_fill(invalid[:, :, :, None], 0.0)
    if dropout_p > 0.0 and training:
        probs = F.dropout(probs, dropout_p, training=True)
    return chunked_context(probs, v.reshape(b * h, t, d), h, w)
