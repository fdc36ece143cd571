"""Our model built from each original config has exactly the original's state-dict keys and shapes."""

from __future__ import annotations

from pathlib import Path

import torch

from actionformer.config import load_config
from actionformer.modeling import make_meta_arch

SHIPPED = Path(__file__).resolve().parents[2] / "configs"


def _read_keys(path: Path):
    entries = []
    for line in path.read_text().splitlines():
        if line.strip():
            key, shape = line.split("\t")
            entries.append((key, tuple(int(s) for s in shape.strip("()").split(",") if s.strip())))
    return entries


def _keys_and_shapes(cfg: dict):
    with torch.device("meta"):
        model = make_meta_arch(cfg["model_name"], **cfg["model"])
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_state_dict_keys_match_original(original_name, original_configs, original_keys_dir):
    expected = _read_keys(original_keys_dir / f"{original_name}.keys.txt")
    assert expected, f"{original_name}.keys.txt is empty"
    assert _keys_and_shapes(original_configs["merged"][original_name]) == expected


def test_all_original_configs_are_covered(original_keys_dir, original_names):
    shipped = sorted(p.name[: -len(".keys.txt")] for p in original_keys_dir.glob("*.keys.txt"))
    assert shipped == sorted(original_names) and len(shipped) == 11


def test_shipped_config_builds_the_original_model(original_name, original_keys_dir):
    cfg = load_config(str(SHIPPED / f"{original_name}.yaml"))
    assert _keys_and_shapes(cfg) == _read_keys(original_keys_dir / f"{original_name}.keys.txt")
