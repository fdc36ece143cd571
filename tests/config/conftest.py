"""Fixtures for the config tests: the configs folder (the original's config facts are in ../conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def configs_dir() -> Path:
    return _REPO_ROOT / "configs"
