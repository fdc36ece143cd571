"""The export tests run on the inference tests' tiny local-attention model (tests/inference)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

INFERENCE_TESTS = Path(__file__).resolve().parent.parent / "inference"
if str(INFERENCE_TESTS) not in sys.path:
    sys.path.insert(0, str(INFERENCE_TESTS))

from inference_fixtures import write_checkpoint, write_config  # noqa: E402


@pytest.fixture(scope="session")
def export_config(tmp_path_factory) -> Path:
    return write_config(tmp_path_factory.mktemp("export_cfg"))


@pytest.fixture(scope="session")
def export_checkpoint(export_config) -> Path:
    return write_checkpoint(export_config, export_config.parent / "tiny.pth.tar")
