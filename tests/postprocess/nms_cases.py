"""Random NMS inputs with many ties, for the comparisons against the scalar references."""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np
import torch


def random_nms_case(rng: np.random.Generator, n: int, num_classes: int, tie_levels: int, max_start: int,
                    lengths: Sequence[float]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` float32 segments (N, 2) starting on a quarter-step grid below ``max_start`` with lengths
    drawn from ``lengths``, scores from ``tie_levels`` values (ties when few) and class ids."""
    starts = rng.integers(0, max_start, n).astype(np.float32) + rng.choice([0, 0.5, 0.25], n).astype(np.float32)
    drawn_lengths = rng.choice(lengths, n).astype(np.float32)
    scores = rng.choice(np.linspace(0.002, 0.9, tie_levels), n).astype(np.float32)
    return (torch.from_numpy(np.stack([starts, starts + drawn_lengths], 1)), torch.from_numpy(scores),
            torch.from_numpy(rng.integers(0, num_classes, n)))
