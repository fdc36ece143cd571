"""The dataset registry and builder, and importing user modules that register their own parts."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from typing import Any, Dict, Iterable, Mapping, Sequence

from ..registry import Registry

DATASETS: Registry = Registry("dataset")

# keys our datasets accept beyond the original's; a user dataset that does not take them (and
# has no **kwargs) simply does not receive them
EXTENSION_KEYS = ("on_bad_video", "video_list", "class_list", "exclude_videos")


def _register_builtin() -> None:
    from . import datasets  # noqa: F401  (registers thumos, anet, epic, ego4d, custom)


def _accepted_kwargs(cls: Any, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params or k not in EXTENSION_KEYS}


def make_dataset(name: str, is_training: bool, split: Sequence[str], **kwargs: Any):
    """Build the dataset registered as ``name`` (the original's signature).

    ``make_dataset(cfg['dataset_name'], True, cfg['train_split'], **cfg['dataset'])``.
    """
    _register_builtin()
    cls = DATASETS.get(name)
    return cls(is_training, split, **_accepted_kwargs(cls, kwargs))


def _import_one(name: str) -> None:
    if name.endswith(".py") or os.sep in name or "/" in name:
        path = os.path.abspath(os.path.expanduser(name))
        if not os.path.isfile(path):
            raise ImportError(f"custom_imports: file not found: {path}")
        module_name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # the `actionformer` console script does not put the working directory on sys.path,
        # but a user's `my_datasets.py` next to their config usually lives there
        cwd = os.getcwd()
        if exc.name != name.split(".")[0] or cwd in sys.path:
            raise
        sys.path.insert(0, cwd)
        importlib.import_module(name)


def import_custom_modules(cfg: Mapping[str, Any] | Iterable[str]) -> None:
    """Import the modules named in ``cfg['custom_imports']`` (module names or .py paths).

    Their ``@DATASETS.register("mine")`` (or model-part registrations) then take effect, so a
    config can say ``dataset_name: mine`` without any change to this package.
    """
    names = (cfg.get("custom_imports") or []) if isinstance(cfg, Mapping) else list(cfg)
    if isinstance(names, str):
        names = [names]
    for name in names:
        try:
            _import_one(str(name))
        except Exception as exc:
            raise ImportError(f"custom_imports: could not import {name!r}: {type(exc).__name__}: {exc}") from exc
