"""Our model built from each original config has exactly the original's state-dict keys and shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from actionformer.modeling import make_meta_arch

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
NAMES = sorted(p.name[: -len(".keys.txt")] for p in (FIXTURES / "original_keys").glob("*.keys.txt"))


def _read_keys(path: Path):
    entries = []
    for line in path.read_text().splitlines():
        if line.strip():
            key, shape = line.split("\t")
            entries.append((key, tuple(int(s) for s in shape.strip("()").split(",") if s.strip())))
    return entries


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_keys_match_original(name, original_configs, original_keys_dir):
    cfg = original_configs["merged"][name]
    with torch.device("meta"):
        model = make_meta_arch(cfg["model_name"], **cfg["model"])
    ours = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    expected = _read_keys(original_keys_dir / f"{name}.keys.txt")
    assert ours == expected


def test_all_original_configs_are_covered():
    assert len(NAMES) == 11


SHIPPED = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize("name", NAMES)
def test_shipped_config_builds_the_original_model(name, original_keys_dir):
    config = pytest.importorskip("actionformer.config")
    path = SHIPPED / f"{name}.yaml"
    if not path.is_file():
        pytest.skip(f"{path} not shipped")
    cfg = config.load_config(str(path))
    with torch.device("meta"):
        model = make_meta_arch(cfg["model_name"], **cfg["model"])
    ours = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert ours == _read_keys(original_keys_dir / f"{name}.keys.txt")
