"""Seeding: one call fixes python, numpy and torch (CPU and CUDA) random generators."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def fix_random_seed(seed: int, include_cuda: bool = True, deterministic: bool = False) -> torch.Generator:
    """Seed every generator and return a fresh ``torch.Generator`` seeded with ``seed``.

    As the original, ``include_cuda`` also seeds CUDA and turns cuDNN benchmarking off.
    ``deterministic=True`` further asks torch for deterministic algorithms (slower on GPU,
    errors on ops that have none), which the original turned on together with ``include_cuda``.
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if include_cuda and torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.enabled = True
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    if deterministic:
        # required by cuBLAS for deterministic matmuls (CUDA >= 10.2)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
