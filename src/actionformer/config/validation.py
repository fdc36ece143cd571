"""Checking a resolved config against the schema, reporting every problem at once."""

from __future__ import annotations

import difflib
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from .errors import ConfigurationError
from .rules import run_rules
from .schema import Key, children
from .valuetypes import show


def _schema(cfg: Mapping[str, Any]) -> Sequence[Key]:
    from .components import schema_keys

    return schema_keys(cfg)


def validate_config(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """Return ``cfg`` unchanged if it is a valid resolved config, else raise.

    Checks every key (unknown keys with a did-you-mean, types, allowed values and ranges,
    missing keys) and the rules spanning several keys (pyramid levels, ``max_seq_len``
    divisibility, widths). Raises :class:`ConfigurationError` listing every problem, one per
    line, each starting with its key path.
    """
    problems = collect_problems(cfg)
    if problems:
        raise ConfigurationError(problems)
    return cfg


def collect_problems(cfg: Mapping[str, Any]) -> List[str]:
    """Every problem in ``cfg``, one message per problem (empty when it is valid)."""
    if not isinstance(cfg, Mapping):
        return [f"expected the config to be a mapping, got {show(cfg)}"]
    problems: List[str] = []
    bad_paths: Set[str] = set()
    _check_section(cfg, "", problems, bad_paths, _schema(cfg))
    return problems + run_rules(cfg, bad_paths)


def _join(section: str, name: str) -> str:
    return f"{section}.{name}" if section else name


def _check_section(node: Mapping[str, Any], section: str, problems: List[str],
                   bad_paths: Set[str], schema: Sequence[Key]) -> None:
    known = {k.name: k for k in children(section, schema)}
    for name, value in node.items():
        path = _join(section, str(name))
        key = known.get(name) if isinstance(name, str) else None
        if key is None:
            reason = _not_selected(path, value)
            if reason is None:
                reason = _unknown_key_hint(str(name), section, known, schema)
            if reason != _HARMLESS:
                problems.append(f"{path}: {reason}")
                bad_paths.add(path)
            continue
        reason = _check_value(key, value)
        if reason is not None:
            problems.append(f"{path}: {reason}, got {show(value)}")
            bad_paths.add(path)
        elif key.is_section:
            _check_section(value, path, problems, bad_paths, schema)
    for name, key in known.items():
        if name not in node and (key.has_default or key.is_section or key.is_derived):
            how = (f"it is filled in from {key.vtype.source}" if key.is_derived  # type: ignore
                   else "it has a default")
            problems.append(f"{key.path}: missing ({how}: resolve configs with load_config)")
            bad_paths.add(key.path)


def _check_value(key: Key, value: object):
    if key.is_derived:
        return None
    reason = key.vtype.check(value)
    if reason is None and key.check is not None:
        reason = key.check(value)
    return reason


_HARMLESS = ""


def _not_selected(path: str, value: Any) -> Optional[str]:
    """For a key declared by a component the config does not select: ``_HARMLESS`` when it holds
    that component's default (it changes nothing: e.g. a saved config of another backbone),
    else why it is refused. ``None`` when no registered component declares it."""
    from .components import declared_elsewhere

    owners = declared_elsewhere(path)
    if not owners:
        return None
    kind, name, key = owners[0]
    # every component of that kind declaring it (e.g. use_diou_nms: NMS methods 'soft' and 'hard')
    names = [f"'{n}'" for k, n, _ in owners if k == kind]
    refused = (f"an option of the {kind} {' or '.join(names)}, which this config does not select; "
               f"select {'it' if len(names) == 1 else 'one'} or remove the key")
    if key.is_section and isinstance(value, dict):
        for child, child_value in value.items():
            reason = _not_selected(f"{path}.{child}", child_value)
            if reason != _HARMLESS:
                return f"{refused} ({path}.{child}: {show(child_value)})"
        return _HARMLESS
    if any(k.has_default and value == k.default and type(value) is type(k.default) for _, _, k in owners):
        return _HARMLESS
    return refused


def _unknown_key_hint(name: str, section: str, known: Dict[str, Key], schema: Sequence[Key]) -> str:
    if section == "model":  # the flat spelling of a backbone option (model.use_rope)
        from .components import declared_elsewhere

        owners = declared_elsewhere(f"model.backbone.{name}")
        if owners:
            kind, owner, _ = owners[0]
            return (f"an option of the {kind} '{owner}' (model.backbone.{name}), which this config does "
                    f"not select; select it or remove the key")
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    elsewhere = [k.path for k in schema if k.name == name and not k.is_derived]
    if elsewhere:
        return f"unknown key here; did you mean '{elsewhere[0]}'?"
    where = f"'{section}'" if section else "the top level"
    settable = sorted(n for n, k in known.items() if not k.is_derived)
    return f"unknown key; the keys of {where} are: {', '.join(settable)}"
