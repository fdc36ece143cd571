"""Shared test fixtures: deterministic seeds, paths to the shared fixtures, an in-process CLI runner."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

try:  # property tests explore the same examples on every run: CI must not be flaky
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("deterministic", derandomize=True, deadline=None)
    _hypothesis_settings.load_profile("deterministic")
except ImportError:  # pragma: no cover
    pass

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
CONFIGS = REPO_ROOT / "configs"


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same random state."""
    random.seed(0)
    try:
        import numpy as np

        np.random.seed(0)
    except ImportError:  # pragma: no cover
        pass
    try:
        import torch

        torch.manual_seed(0)
        torch.set_num_threads(1)  # tiny tensors: more threads only add contention
    except ImportError:  # pragma: no cover
        pass
    yield


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture
def run_cli(capsys):
    """Run ``actionformer ARGS...`` in-process; returns (exit_code, stdout, stderr)."""
    from actionformer.cli.main import main

    def _run(*argv: str):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse errors
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run
