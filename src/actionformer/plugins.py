"""Importing the user's modules named in ``custom_imports``, so their registrations take effect.

A plug-in module registers its parts (``@DATASETS.register("mine")``, ``@HEADS.register(...)``,
``@META_ARCHS.register(...)``) and may declare their config keys; the config loader imports the
modules before it validates, so ``model_name: Mine`` and Mine's own keys are checked like the
built-in ones. Importing is idempotent: a module (or file) already imported is not run again.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any, Iterable, Mapping, Union


def _module_name_for_file(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _import_file(name: str) -> None:
    path = os.path.abspath(os.path.expanduser(name))
    if not os.path.isfile(path):
        raise ImportError(f"file not found: {path}")
    module_name = _module_name_for_file(path)
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        if os.path.abspath(getattr(loaded, "__file__", "") or "") == path:
            return  # already imported: running it again would register its parts twice
        raise ImportError(f"a different module named {module_name!r} is already imported "
                          f"({getattr(loaded, '__file__', None)}); rename {path}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        del sys.modules[module_name]
        raise


def _import_module(name: str) -> None:
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


def import_custom_modules(cfg: Union[Mapping[str, Any], Iterable[str]]) -> None:
    """Import the modules named in ``cfg['custom_imports']`` (or a list of names): dotted module
    names (looked up in the working directory too) or paths to ``.py`` files.

    Raises ``ImportError`` naming the module and the cause.
    """
    names = (cfg.get("custom_imports") or []) if isinstance(cfg, Mapping) else list(cfg)
    if isinstance(names, str):
        names = [names]
    for name in names:
        name = str(name)
        try:
            if name.endswith(".py") or os.sep in name or "/" in name:
                _import_file(name)
            else:
                _import_module(name)
        except Exception as exc:
            raise ImportError(f"custom_imports: could not import {name!r}: {type(exc).__name__}: {exc}") from exc
