"""``--set key.path=value`` overrides: parsing and applying them to a config dict."""

from __future__ import annotations

import argparse
import copy
import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

import yaml

from .errors import ConfigurationError

# YAML 1.1 reads "1e-4" (no dot) as a string; on a command line that is surely a number
_EXPONENT_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")


def parse_override(text: str) -> Tuple[List[str], Any]:
    """Split ``"opt.epochs=5"`` into ``(["opt", "epochs"], 5)``.

    The value is read as a YAML scalar or flow list/mapping: ``5`` is an int, ``1e-4`` and
    ``0.1`` floats, ``null`` None, ``true`` a bool, ``[9, 9, -1]`` a list, anything else a
    string. An empty value is null.
    """
    if not isinstance(text, str) or "=" not in text:
        raise ConfigurationError(f"override {text!r}: expected KEY.PATH=VALUE, e.g. opt.epochs=5",
                                 source="--set")
    raw_key, raw_value = text.split("=", 1)
    parts = raw_key.strip().split(".")
    if not all(p.strip() for p in parts):
        raise ConfigurationError(f"override {text!r}: empty key in {raw_key.strip()!r}",
                                 source="--set")
    try:
        value = yaml.safe_load(raw_value) if raw_value.strip() else None
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigurationError(f"override {text!r}: value is not valid YAML: {detail}",
                                 source="--set") from None
    if isinstance(value, str) and _EXPONENT_FLOAT.match(value.strip()):
        value = float(value)
    return [p.strip() for p in parts], value


def apply_overrides(cfg: Mapping[str, Any], overrides: Union[str, Sequence[str]]) -> Dict[str, Any]:
    """A copy of ``cfg`` with each ``"key.path=value"`` set (later ones win).

    Missing sections on the way are created (the validator then names an unknown key); a
    path through a value that is not a section is an error. Every malformed override is
    reported at once. Derived fields are not recomputed: use ``load_config(...,
    overrides=...)`` or call ``derive_fields`` afterwards.
    """
    if isinstance(overrides, str):
        overrides = [overrides]
    out = copy.deepcopy(dict(cfg))
    problems: List[str] = []
    for text in overrides:
        try:
            parts, value = parse_override(text)
        except ConfigurationError as exc:
            problems.extend(exc.problems)
            continue
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                problems.append(f"override {text!r}: {where} is a value, not a section")
                break
            node = child
        else:
            node[parts[-1]] = value
    if problems:
        raise ConfigurationError(problems, source="--set")
    return out


def add_override_argument(parser: argparse.ArgumentParser) -> None:
    """Add the standard ``--set KEY.PATH=VALUE ...`` option (collected in ``args.set``)."""
    parser.add_argument(
        "--set", dest="set", nargs="+", action="extend", default=[], metavar="KEY.PATH=VALUE",
        help="override config keys, values read as YAML (repeatable), e.g. "
             "--set opt.epochs=5 'model.n_mha_win_size=[9,9,9,9,9,-1]' dataset.crop_ratio=null")
