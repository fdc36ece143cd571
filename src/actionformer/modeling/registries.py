"""Registries of the model's parts: a new architecture plugs in by registering a name."""

from __future__ import annotations

from actionformer.registry import Registry

BACKBONES: Registry = Registry("backbone")
NECKS: Registry = Registry("neck")
GENERATORS: Registry = Registry("point generator")
META_ARCHS: Registry = Registry("meta architecture")
