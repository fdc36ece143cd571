"""The config keys of the components a config selects, and the accepted alternative spellings.

A key whose type is :class:`Registered` selects a component: ``model_name`` a meta-architecture,
``model.backbone_type`` a backbone, ``test_cfg.nms_method`` an NMS method, ``dataset_name`` a
dataset, and so on. Each registered component may declare config keys of its own next to its
code (``config_keys`` on its class, or ``keys=`` when registering). The schema of a config is
the table of ``keys.py`` plus the keys of the components it selects, found to a fixed point
(a selected meta-architecture may declare a key that selects a loss, whose keys join too). The
meta-architecture's ``task`` (``"detection"`` by default) selects the evaluator.

Keys declared by a component the config does *not* select are refused unless they hold their
default (a run's saved ``config.yaml`` from another backbone then still loads).
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .keys import BACKBONES, META_ARCHS
from .schema import Key, all_keys, get_key, lookup
from .valuetypes import ListOf, Registered, show

# the meta-architecture's task picks the evaluator; tasks are evaluator names
_EVALUATORS = Registered("actionformer.evaluation.evaluators:EVALUATORS")
_META_ARCHS = Registered(META_ARCHS)


def selector_type(key: Key) -> Optional[Registered]:
    """The registry a key selects from (``None`` for a plain key)."""
    vtype = key.vtype
    if isinstance(vtype, ListOf):
        vtype = vtype.item
    return vtype if isinstance(vtype, Registered) else None


def _selected_names(key: Key, cfg: Mapping[str, Any]) -> List[str]:
    try:
        value = lookup(cfg, key.path)
    except KeyError:
        value = key.default if key.has_default else None
    values = value if isinstance(value, (list, tuple)) else [value]
    registry = selector_type(key).registry  # type: ignore[union-attr]
    return [v for v in values if isinstance(v, str) and v in registry]


def task_of(model_name: str) -> str:
    """The task of a registered meta-architecture (its evaluator's name)."""
    return str(getattr(_META_ARCHS.registry.get(model_name), "task", "detection"))


def selected_components(cfg: Mapping[str, Any]) -> List[Tuple[str, Registered, str]]:
    """(selecting key path, registry type, component name) for every component ``cfg`` selects,
    the evaluator of the meta-architecture's task included."""
    keys = {k.path: k for k in all_keys()}
    chosen: List[Tuple[str, Registered, str]] = []
    seen: set = set()
    pending = [k for k in keys.values() if selector_type(k) is not None]
    while pending:
        key = pending.pop(0)
        choices = [(key.path, selector_type(key), n) for n in _selected_names(key, cfg)]
        if key.path == "model_name":
            choices += [("model_name", _EVALUATORS, task_of(n)) for _, _, n in choices
                        if task_of(n) in _EVALUATORS.registry]
        for path, vtype, name in choices:
            ident = (vtype.registry_path, name)  # type: ignore[union-attr]
            if ident in seen:
                continue
            seen.add(ident)
            chosen.append((path, vtype, name))  # type: ignore[arg-type]
            for new in vtype.registry.config_keys(name):  # type: ignore[union-attr]
                if new.path not in keys:
                    keys[new.path] = new
                    if selector_type(new) is not None:
                        pending.append(new)
    return chosen


def component_keys(cfg: Mapping[str, Any]) -> List[Key]:
    """The keys the components selected by ``cfg`` declare (not those of the table)."""
    table = {k.path for k in all_keys()}
    out: Dict[str, Key] = {}
    for _, vtype, name in selected_components(cfg):
        for key in vtype.registry.config_keys(name):
            if key.path not in table:
                out.setdefault(key.path, key)
    return list(out.values())


def schema_keys(cfg: Mapping[str, Any]) -> Tuple[Key, ...]:
    """The table's keys plus those of the components ``cfg`` selects."""
    return tuple(all_keys()) + tuple(component_keys(cfg))


def declared_elsewhere(path: str) -> List[Tuple[str, str, Key]]:
    """(registry kind, component name, key) of every registered component declaring ``path``."""
    owners = []
    for _, vtype in _selector_paths():
        registry = vtype.registry
        for name in registry.names():
            owners += [(registry.kind, name, key) for key in registry.config_keys(name) if key.path == path]
    return owners


def merge_component_defaults(cfg: Dict[str, Any], keys: Iterable[Key]) -> None:
    """Fill in the defaults of component keys the config does not set (in place)."""
    for key in keys:
        if key.is_derived or not (key.has_default or key.is_section):
            continue
        node = cfg
        parts = key.path.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break  # the validator reports the non-mapping
            node = child
        else:
            if parts[-1] not in node:
                node[parts[-1]] = {} if key.is_section else copy.deepcopy(key.default)


# ---------------------------------------------------------------- alternative spellings
def normalize_spellings(cfg: Dict[str, Any]) -> List[str]:
    """Accept the seed fork's spellings (in place); returns the conflicts found.

    - ``model.meta_arch: NAME`` (the seed's README) means the top-level ``model_name: NAME``.
    - Backbone options may be written flat (``model.use_rope``) or nested
      (``model.backbone.use_rope``); the nested form is kept. A flat key is moved only when it
      is an option of the selected backbone and not a key of ``model`` itself.
    """
    problems: List[str] = []
    model = cfg.get("model")
    if not isinstance(model, dict):
        return problems
    if "meta_arch" in model:
        name = model.pop("meta_arch")
        if "model_name" in cfg and cfg["model_name"] != name:
            problems.append(f"model.meta_arch: says {show(name)} but model_name says "
                            f"{show(cfg['model_name'])}; set one of them")
        else:
            cfg["model_name"] = name
    problems += _nest_backbone_options(cfg, model)
    return problems


def _nest_backbone_options(cfg: Dict[str, Any], model: Dict[str, Any]) -> List[str]:
    backbone_type = model.get("backbone_type", get_key("model.backbone_type").default)  # type: ignore[union-attr]
    backbones = Registered(BACKBONES).registry
    if not isinstance(backbone_type, str) or backbone_type not in backbones:
        return []
    model_keys = {k.name for k in all_keys() if k.parent == "model"}
    options = [k.name for k in backbones.config_keys(backbone_type) if k.parent == "model.backbone"]
    problems: List[str] = []
    for name in options:
        if name not in model or name in model_keys:
            continue
        value = model.pop(name)
        nested = model.setdefault("backbone", {})
        if not isinstance(nested, dict):
            continue  # the validator reports the non-mapping
        if name in nested and nested[name] != value:
            problems.append(f"model.{name}: set to {show(value)} here and to {show(nested[name])} as "
                            f"model.backbone.{name}; keep one")
        nested[name] = value
    return problems


def describe_components(builtin_only: bool = True) -> List[Tuple[str, str, Sequence[Key]]]:
    """(selecting key, component name, declared keys) of every registered component that
    declares keys, for the generated reference (``builtin_only``: this package's components,
    not those a plug-in registered in this process)."""
    out = []
    for path, vtype in _selector_paths():
        registry = vtype.registry
        for name in registry.names():
            module = str(getattr(registry.get(name), "__module__", ""))
            keys = registry.config_keys(name)
            if keys and (not builtin_only or module.startswith("actionformer.")):
                out.append((path, name, keys))
    return out


def _selector_paths() -> List[Tuple[str, Registered]]:
    paths: List[Tuple[str, Registered]] = []
    seen: set = set()
    stack = list(all_keys())
    while stack:
        key = stack.pop(0)
        vtype = selector_type(key)
        if vtype is None or key.path in seen:
            continue
        seen.add(key.path)
        paths.append((key.path, vtype))
        for name in vtype.registry.names():
            stack.extend(vtype.registry.config_keys(name))
    paths.append(("task of model_name", _EVALUATORS))
    return paths
