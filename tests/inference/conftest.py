"""Fixtures of the inference tests (see inference_fixtures.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from inference_fixtures import write_checkpoint, write_config, write_features  # noqa: E402


@pytest.fixture(scope="session")
def infer_config(tmp_path_factory) -> Path:
    return write_config(tmp_path_factory.mktemp("infer_cfg"))


@pytest.fixture(scope="session")
def infer_checkpoint(infer_config) -> Path:
    return write_checkpoint(infer_config, infer_config.parent / "tiny.pth.tar")


@pytest.fixture(scope="session")
def infer_features(infer_config) -> Path:
    return write_features(infer_config.parent / "new_videos")
