"""Fixtures of the fault-injection tests: a fresh tiny dataset per test (tests damage it), a
trained run to evaluate, and a snapshot of every file to prove that a refused run changed none."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Dict

import pytest

CLI_TESTS = Path(__file__).resolve().parents[1] / "cli"
if str(CLI_TESTS) not in sys.path:
    sys.path.insert(0, str(CLI_TESTS))

from engine_cli_fixtures import write_tiny_config, write_tiny_dataset  # noqa: E402

FAST = ["--no-progress", "--set", "opt.epochs=1", "opt.warmup_epochs=0"]


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


def snapshot(root: Path) -> Dict[str, str]:
    """Relative path -> sha1 of every file under ``root``."""
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def unchanged(before: Dict[str, str], root: Path) -> bool:
    """True when every file of ``before`` still has the same bytes (new files are allowed)."""
    after = snapshot(root)
    return all(after.get(name) == digest for name, digest in before.items())
