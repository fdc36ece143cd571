"""The ActionFormer model: layers, backbones, necks, point generator, heads, losses, meta-archs.

``make_meta_arch(cfg['model_name'], **cfg['model'])`` builds the whole model; the registries let
new parts plug in by name. This package never imports engine / data / evaluation / cli.
"""

from .builders import make_backbone, make_generator, make_meta_arch, make_neck
from .registries import ASSIGNERS, BACKBONES, CLS_LOSSES, GENERATORS, HEADS, META_ARCHS, NECKS, REG_LOSSES
from .weights import CheckpointError, load_checkpoint

__all__ = [
    "ASSIGNERS", "BACKBONES", "CLS_LOSSES", "GENERATORS", "HEADS", "META_ARCHS", "NECKS", "REG_LOSSES",
    "CheckpointError", "load_checkpoint",
    "make_backbone", "make_generator", "make_meta_arch", "make_neck",
]
