"""Configuration: the original release's defaults, a typed schema, YAML loading, overrides.

``load_config("configs/thumos_i3d.yaml", overrides=["opt.epochs=5"])`` gives the resolved
config dict (defaults filled in, derived fields set, validated). See ``docs/config.md``.
"""

from .defaults import load_default_config
from .errors import ConfigurationError
from .loading import config_from_dict, derive_fields, load_config, merge_defaults, read_config_file
from .overrides import add_override_argument, apply_overrides, parse_override
from .schema import NO_DEFAULT, Key, all_keys, get_key
from .validation import collect_problems, validate_config

__all__ = [
    "ConfigurationError",
    "Key",
    "NO_DEFAULT",
    "add_override_argument",
    "all_keys",
    "apply_overrides",
    "collect_problems",
    "config_from_dict",
    "derive_fields",
    "get_key",
    "load_config",
    "load_default_config",
    "merge_defaults",
    "parse_override",
    "read_config_file",
    "validate_config",
]
