"""Registries of the model's parts: a new architecture, head or loss plugs in by registering a name.

Looking a name up imports ``actionformer.modeling.builders`` first, which registers the built-in
parts, so ``META_ARCHS.names()`` is complete whichever module asked.
"""

from __future__ import annotations

from actionformer.registry import Registry

_BUILTINS = "actionformer.modeling.builders"

META_ARCHS: Registry = Registry("meta architecture", _BUILTINS)
BACKBONES: Registry = Registry("backbone", _BUILTINS)
NECKS: Registry = Registry("neck", _BUILTINS)
GENERATORS: Registry = Registry("point generator", _BUILTINS)
HEADS: Registry = Registry("head", _BUILTINS)
CLS_LOSSES: Registry = Registry("classification loss", _BUILTINS)
REG_LOSSES: Registry = Registry("regression loss", _BUILTINS)
ASSIGNERS: Registry = Registry("target assigner", _BUILTINS)
