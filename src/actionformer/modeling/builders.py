"""Builders: name -> part, through the registries (importing this module registers the built-ins)."""

from __future__ import annotations

from typing import Any

from torch import nn

from . import assign as _assign  # noqa: F401  (registers the target assigner)
from . import backbones as _backbones  # noqa: F401  (registers backbones)
from . import heads as _heads  # noqa: F401  (registers heads)
from . import heads_distribution as _heads_distribution  # noqa: F401  (registers distribution heads)
from . import losses as _losses  # noqa: F401  (registers losses)
from . import meta_archs as _meta_archs  # noqa: F401  (registers meta-architectures)
from . import necks as _necks  # noqa: F401  (registers necks)
from . import point_generator as _point_generator  # noqa: F401  (registers generators)
from .registries import BACKBONES, GENERATORS, META_ARCHS, NECKS


def make_backbone(name: str, **kwargs: Any) -> nn.Module:
    """A backbone from its constructor arguments, e.g. ``make_backbone('conv', n_in=..., ...)``."""
    return BACKBONES.build(name, **kwargs)


def make_neck(name: str, **kwargs: Any) -> nn.Module:
    return NECKS.build(name, **kwargs)


def make_generator(name: str, **kwargs: Any) -> nn.Module:
    return GENERATORS.build(name, **kwargs)


def make_meta_arch(name: str, **kwargs: Any) -> nn.Module:
    """The whole model, e.g. ``make_meta_arch(cfg['model_name'], **cfg['model'])``."""
    return META_ARCHS.build(name, **kwargs)
