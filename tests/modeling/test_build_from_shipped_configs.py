"""Every YAML shipped under configs/ resolves and builds its model (on the meta device: no memory)."""

from pathlib import Path

import pytest
import torch

from actionformer.config import ConfigurationError, load_config
from actionformer.modeling import make_meta_arch

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
SHIPPED = sorted(CONFIG_DIR.glob("*.yaml"))


def test_configs_are_shipped():
    assert len(SHIPPED) >= 11


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_config_builds_its_model(path):
    cfg = load_config(path)
    with torch.device("meta"):
        model = make_meta_arch(cfg["model_name"], **cfg["model"])
    assert sum(p.numel() for p in model.parameters()) > 0


def test_v2_options_on_a_v1_backbone_are_an_error():
    # refused by the config (an option of a backbone the config does not select) ...
    with pytest.raises(ConfigurationError, match="use_rope"):
        load_config(CONFIG_DIR / "thumos_i3d.yaml", overrides=["model.backbone.use_rope=true"])
    # ... and by the model when built by hand
    cfg = load_config(CONFIG_DIR / "thumos_i3d.yaml")
    with torch.device("meta"), pytest.raises(ValueError, match="use_rope"):
        make_meta_arch(cfg["model_name"], **dict(cfg["model"], backbone={"use_rope": True}))
