"""Fixtures of the fault-injection tests: a fresh tiny dataset per test (tests damage it), a
trained run to evaluate (helpers in reliability_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

for folder in (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "cli"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from engine_cli_fixtures import write_tiny_config, write_tiny_dataset  # noqa: E402
from reliability_helpers import FAST  # noqa: E402


@pytest.fixture
def data(tmp_path) -> Path:
    """A tiny dataset and its config (tiny.yaml), writable: tests corrupt it."""
    return write_tiny_config(tmp_path, write_tiny_dataset(tmp_path))


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    """The config of a 1-epoch run; its experiment folder is ckpt/tiny_ok next to it."""
    from actionformer.cli.main import main

    root = tmp_path_factory.mktemp("trained")
    config = write_tiny_config(root, write_tiny_dataset(root))
    assert main(["train", str(config), "--output", "ok", "--eval-freq", "0", *FAST]) == 0
    return config
