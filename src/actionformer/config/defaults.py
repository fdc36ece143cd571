"""The default config: every key of the schema that has a default, as a fresh nested dict."""

from __future__ import annotations

import copy
from typing import Any, Dict

from .schema import all_keys


def load_default_config() -> Dict[str, Any]:
    """The defaults (the original release's DEFAULTS plus our extra keys, and the keys of the
    components the defaults select: the LocPointTransformer's), as a new dict.

    Each call returns a fresh deep copy, so callers may change it freely.
    """
    cfg: Dict[str, Any] = {}
    for key in all_keys():
        if key.is_derived:
            continue
        if key.is_section:
            _section(cfg, key.path)
        elif key.has_default:
            _section(cfg, key.parent)[key.name] = copy.deepcopy(key.default)
    from .components import component_keys, merge_component_defaults

    merge_component_defaults(cfg, component_keys(cfg))
    return cfg


def _section(cfg: Dict[str, Any], path: str) -> Dict[str, Any]:
    node = cfg
    for part in path.split(".") if path else []:
        node = node.setdefault(part, {})
    return node
