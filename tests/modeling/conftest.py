"""Fixtures for the modeling tests: the original release's parity fixture and config facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def parity_data():
    path = FIXTURES / "parity_thumos.pt"
    if not path.is_file():
        pytest.skip(f"parity fixture not found at {path}")
    return torch.load(path, weights_only=True)


@pytest.fixture(scope="session")
def original_configs():
    path = FIXTURES / "original_configs.json"
    if not path.is_file():
        pytest.skip(f"config facts not found at {path}")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def original_keys_dir() -> Path:
    path = FIXTURES / "original_keys"
    if not path.is_dir():
        pytest.skip(f"original state-dict keys not found at {path}")
    return path


@pytest.fixture
def parity_model(parity_data):
    """Our LocPointTransformer built from the fixture's config, with its weights (strict)."""
    from actionformer.modeling import make_meta_arch

    cfg = parity_data["config"]
    model = make_meta_arch(cfg["model_name"], **cfg["model"])
    model.load_state_dict(parity_data["state_dict"], strict=True)
    return model
