"""The original release's 11 configs ship under configs/ and resolve exactly as the original's."""

from __future__ import annotations

import pytest
import yaml
from config_testutils import assert_contains, assert_same

from actionformer.config import load_config, validate_config


def test_all_original_configs_are_shipped(configs_dir, original_configs, original_names):
    assert sorted(original_configs["user_settings"]) == sorted(original_names)
    for name in original_names:
        assert (configs_dir / f"{name}.yaml").is_file(), f"configs/{name}.yaml is missing"


def test_shipped_file_has_exactly_the_original_settings(original_name, configs_dir, original_configs):
    with open(configs_dir / f"{original_name}.yaml", encoding="utf-8") as fd:
        settings = yaml.safe_load(fd)
    assert_same(original_configs["user_settings"][original_name], settings)


def test_shipped_file_resolves_like_the_original(original_name, configs_dir, original_configs):
    cfg = load_config(configs_dir / f"{original_name}.yaml")
    assert_contains(original_configs["merged"][original_name], cfg)


def test_every_shipped_yaml_loads_and_validates(configs_dir, original_names):
    paths = sorted(configs_dir.glob("**/*.yaml")) + sorted(configs_dir.glob("**/*.yml"))
    assert len(paths) >= len(original_names)
    for path in paths:
        cfg = load_config(path)
        assert validate_config(cfg) is cfg, path
