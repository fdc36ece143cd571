"""Shared test fixtures: deterministic seeds, the repository's test fixtures (tests/fixtures/),
the original release's config names, an in-process CLI runner."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings as _hypothesis_settings

# property tests explore the same examples on every run: CI must not be flaky
_hypothesis_settings.register_profile("deterministic", derandomize=True, deadline=None)
_hypothesis_settings.load_profile("deterministic")

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

# in-process CLI runs take their default thread count from here (actionformer.threads): one
# thread, as the autouse fixture below sets for everything else
os.environ.setdefault("OMP_NUM_THREADS", "1")

# The original release's 11 configs (configs/<name>.yaml there and here).
ORIGINAL_NAMES = (
    "thumos_i3d", "anet_tsp", "anet_i3d", "epic_slowfast_verb", "epic_slowfast_noun",
    "ego4d_slowfast", "ego4d_omnivore", "ego4d_egovlp", "ego4d_slowfast_egovlp",
    "ego4d_omnivore_egovlp", "ego4d_slowfast_omnivore_egovlp",
)


def fixture_path(name: str) -> Path:
    """``tests/fixtures/<name>``; a missing fixture fails the test (it never skips)."""
    path = FIXTURES_DIR / name
    if not path.exists():
        pytest.fail(f"test fixture missing: {path} (the tests ship their fixtures under tests/fixtures/; "
                    f"see tests/fixtures/README.md)", pytrace=False)
    return path


def pytest_generate_tests(metafunc):
    """A test with an ``original_name`` argument runs once per original config."""
    if "original_name" in metafunc.fixturenames:
        metafunc.parametrize("original_name", ORIGINAL_NAMES)


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same random state."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tiny tensors: more threads only add contention
    yield


@pytest.fixture(scope="session")
def original_names():
    return ORIGINAL_NAMES


@pytest.fixture(scope="session")
def original_configs() -> dict:
    """The original release's config facts: ``defaults``, ``user_settings`` and ``merged``, by name."""
    return json.loads(fixture_path("original_configs.json").read_text())


@pytest.fixture(scope="session")
def original_keys_dir() -> Path:
    """``<name>.keys.txt``: the original model's state-dict keys and shapes, per original config."""
    return fixture_path("original_keys")


@pytest.fixture(scope="session")
def parity_data():
    """The original release's outputs on a small THUMOS-like model (see tests/fixtures/README.md)."""
    return torch.load(fixture_path("parity_thumos.pt"), weights_only=True)


@pytest.fixture(scope="session")
def thumos14_json() -> Path:
    """The real THUMOS14 annotation file (original release format)."""
    return fixture_path("thumos14.json")


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
