"""Fixtures for the config tests: the original release's config facts and the configs folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[2]
_ORIGINAL_CONFIGS = _REPO_ROOT.parent / "shared" / "fixtures" / "original_configs.json"


@pytest.fixture(scope="session")
def original_configs() -> dict:
    if not _ORIGINAL_CONFIGS.is_file():
        pytest.skip(f"original config facts not found at {_ORIGINAL_CONFIGS}")
    return json.loads(_ORIGINAL_CONFIGS.read_text())


@pytest.fixture(scope="session")
def configs_dir() -> Path:
    return _REPO_ROOT / "configs"
