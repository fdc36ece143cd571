"""Fixed sinusoid position encodings."""

from __future__ import annotations

import numpy as np
import torch


def sinusoid_encoding(n_position: int, d_hid: int) -> torch.Tensor:
    """Sinusoid table of shape (1, d_hid, n_position): sin on even channels, cos on odd ones.

    Computed in float64 then cast to float32, exactly as the original release does.
    """
    position = np.arange(n_position, dtype=np.float64)[:, None]  # (T, 1)
    exponent = 2 * (np.arange(d_hid) // 2) / d_hid
    table = position / np.power(10000, exponent)[None, :]  # (T, C)
    table[:, 0::2] = np.sin(table[:, 0::2])
    table[:, 1::2] = np.cos(table[:, 1::2])
    return torch.from_numpy(table.astype(np.float32)).T.unsqueeze(0).contiguous()  # (1, C, T)
