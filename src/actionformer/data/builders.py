"""The dataset registry and builder (``import_custom_modules`` lives in ``actionformer.plugins``)."""

from __future__ import annotations

import inspect
from typing import Any, Dict, Sequence

from ..plugins import import_custom_modules  # noqa: F401  (its old home; kept importable)
from ..registry import Registry

DATASETS: Registry = Registry("dataset", builtins="actionformer.data.datasets")

# keys our datasets accept beyond the original's; a user dataset that does not take them (and
# has no **kwargs) simply does not receive them
EXTENSION_KEYS = ("on_bad_video", "video_list", "class_list", "exclude_videos")


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
    cls = DATASETS.get(name)
    return cls(is_training, split, **_accepted_kwargs(cls, kwargs))
