"""Reading a YAML config and resolving it: defaults, ``--set`` overrides, derived fields.

The resolution is the original release's: the file's settings win, every default the file does
not set is filled in (recursively, section by section), then ``model.input_dim``,
``model.num_classes`` and ``model.max_seq_len`` are copied from ``dataset`` and
``model.train_cfg`` / ``model.test_cfg`` are set to the top-level ``train_cfg`` / ``test_cfg``
(the same dict objects, as in the original). Unlike the original, the defaults are never
mutated and the result is validated.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import yaml

from .components import component_keys, merge_component_defaults, normalize_spellings
from .defaults import load_default_config
from .errors import ConfigurationError
from .overrides import apply_overrides
from .schema import all_keys, lookup
from .valuetypes import show

PathLike = Union[str, "os.PathLike[str]"]


def load_config(
    path: PathLike,
    defaults: Optional[Mapping[str, Any]] = None,
    overrides: Optional[Sequence[str]] = None,
    validate: bool = True,
) -> Dict[str, Any]:
    """Load a YAML config file and resolve it into the full config dict.

    Args:
        path: the YAML file (a mapping of settings, e.g. ``configs/thumos_i3d.yaml``).
        defaults: the defaults to fill in; ``None`` uses :func:`load_default_config`.
        overrides: ``"key.path=value"`` strings (the CLI's ``--set``), values parsed as YAML,
            applied on top of the file before the derived fields are computed.
        validate: check the result against the schema (raises on any problem).

    Raises:
        ConfigurationError: missing file, YAML syntax error, not a mapping, or (with
            ``validate``) every problem found in the resolved config, naming the file.
    """
    user = read_config_file(path)
    return config_from_dict(user, defaults=defaults, overrides=overrides, validate=validate,
                            source=str(path))


def read_config_file(path: PathLike) -> Dict[str, Any]:
    """The settings in a YAML file, exactly as written (no defaults)."""
    name = str(path)
    if not os.path.exists(path):
        raise ConfigurationError(f"config file not found: {name}")
    if os.path.isdir(path):
        raise ConfigurationError(f"config path is a directory, not a YAML file: {name}")
    try:
        with open(path, "r", encoding="utf-8") as fd:
            text = fd.read()
        data = yaml.safe_load(text)
        duplicates = duplicate_keys(text)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigurationError(f"YAML syntax error: {detail}", source=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read config file: {exc}", source=name) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else show(data)
        raise ConfigurationError(
            f"expected a mapping of settings (key: value) at the top level, got {got}", source=name)
    if duplicates:
        raise ConfigurationError(duplicates, source=name)
    return data


def duplicate_keys(text: str) -> List[str]:
    """Keys set twice in one mapping of a YAML text (YAML keeps the last one silently)."""
    problems: List[str] = []
    seen_nodes: set = set()

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen_nodes:  # an alias of a node already checked
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for idx, item in enumerate(node.value):
                walk(item, f"{path}[{idx}]")
        if not isinstance(node, yaml.MappingNode):
            return
        first_line: Dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            key_path = f"{path}.{key}" if path else key
            if key in first_line:
                problems.append(f"{key_path}: set twice (lines {first_line[key]} and {line}); "
                                f"YAML would silently keep the last one")
            else:
                first_line[key] = line
            walk(value_node, key_path)

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, "")
    return problems


def config_from_dict(
    settings: Mapping[str, Any],
    defaults: Optional[Mapping[str, Any]] = None,
    overrides: Optional[Sequence[str]] = None,
    validate: bool = True,
    source: Optional[str] = None,
) -> Dict[str, Any]:
    """Resolve user settings (a dict, as a YAML file would give) like :func:`load_config`.

    ``settings`` is not modified. The order: ``--set`` overrides on the file's settings, the
    seed fork's spellings (``model.meta_arch``, flat backbone options) normalised, the modules of
    ``custom_imports`` imported (they may register components and their keys), the table's
    defaults, then those of the selected components, then the derived fields.
    """
    cfg = copy.deepcopy(dict(settings))
    if overrides:
        cfg = apply_overrides(cfg, overrides)
        _drop_stale_derived_copies(settings, cfg, overrides)
    conflicts = normalize_spellings(cfg)
    _import_plugins(cfg, source)
    base = load_default_config() if defaults is None else copy.deepcopy(dict(defaults))
    merge_defaults(cfg, base)
    merge_component_defaults(cfg, component_keys(cfg))
    conflicts += derive_fields(cfg)
    if validate:
        from .validation import collect_problems

        problems = conflicts + collect_problems(cfg)
        if problems:
            raise ConfigurationError(problems, source=source)
    elif conflicts:
        raise ConfigurationError(conflicts, source=source)
    return cfg


def _drop_stale_derived_copies(settings: Mapping[str, Any], cfg: Dict[str, Any], overrides: Sequence[str]) -> None:
    """A run's saved ``config.yaml`` holds the derived copies (``model.test_cfg``,
    ``model.max_seq_len``, ...) equal to their sources. A ``--set`` of a source (or of a key
    under it, as ``test_cfg.constraints``) then leaves the copy stale, which ``derive_fields``
    would report as a conflict although the user did what it asks. Such a copy, equal to its
    source in the file, is removed so that it is derived again; a copy the file sets to another
    value, or one an override sets, is kept (and still reported)."""
    from .overrides import parse_override

    if isinstance(overrides, str):
        overrides = [overrides]
    paths = []
    for text in overrides:
        try:
            paths.append(".".join(parse_override(text)[0]))
        except ConfigurationError:
            continue  # apply_overrides has reported it
    model = cfg.get("model")
    saved = settings.get("model")
    if not isinstance(model, dict) or not isinstance(saved, Mapping):
        return
    for key in all_keys():
        if not key.is_derived or key.name not in saved:
            continue
        source = key.vtype.source  # type: ignore[attr-defined]
        touched = [p for p in paths if p == source or p.startswith(source + ".") or source.startswith(p + ".")]
        if not touched or any(p == key.path or p.startswith(key.path + ".") for p in paths):
            continue
        try:
            was = lookup(settings, source)
        except KeyError:
            continue
        if saved[key.name] == was:
            model.pop(key.name, None)


def _import_plugins(cfg: Mapping[str, Any], source: Optional[str]) -> None:
    """Import ``custom_imports`` before validation, so their components' keys are known."""
    names = cfg.get("custom_imports")
    if not names or not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        return  # absent, or not a list of names: reported by the validator (nothing is imported)
    from actionformer.plugins import import_custom_modules

    try:
        import_custom_modules(cfg)
    except ImportError as exc:
        raise ConfigurationError(str(exc), source=source) from None


def merge_defaults(cfg: Dict[str, Any], defaults: Mapping[str, Any]) -> Dict[str, Any]:
    """Fill every key of ``defaults`` that ``cfg`` lacks, recursing into sections (in place).

    A value ``cfg`` sets always wins, also when it is not a mapping where the default is one
    (the validator then reports it). The defaults are copied, never shared or modified.
    """
    for key, default in defaults.items():
        if key not in cfg:
            cfg[key] = copy.deepcopy(default)
        elif isinstance(default, Mapping) and isinstance(cfg[key], dict):
            merge_defaults(cfg[key], default)
    return cfg


def derive_fields(cfg: Dict[str, Any]) -> List[str]:
    """Copy the derived fields into ``model`` (in place); returns the conflicts found.

    A derived key that the config already holds with a different value is a conflict (the
    original silently overwrote it): the message says which key to set instead.
    """
    conflicts: List[str] = []
    model = cfg.get("model")
    if not isinstance(model, dict):
        return conflicts
    for key in all_keys():
        if not key.is_derived:
            continue
        source = key.vtype.source  # type: ignore[attr-defined]
        try:
            value = lookup(cfg, source)
        except KeyError:
            continue
        if key.name in model and model[key.name] is not value and model[key.name] != value:
            conflicts.append(_conflict(key.path, source, value, model[key.name]))
        model[key.name] = value
    return conflicts


def _conflict(path: str, source: str, value: Any, given: Any) -> str:
    if isinstance(value, dict):
        return (f"{path}: is the same dict as {source} (the loader sets it); set the keys under "
                f"{source} instead")
    return (f"{path}: is filled in from {source} ({show(value)}), but the config sets it to "
            f"{show(given)}; set {source} instead")
