"""Backbones (registry ``BACKBONES``): importing this package registers the built-in ones."""

from .base import BackboneSpec, EmbeddingBackbone
from .conv import ConvBackbone
from .conv_transformer import ConvTransformerBackbone
from .conv_transformer_v2 import ConvTransformerV2Backbone
from .pyramid import PyramidBackbone

__all__ = ["BackboneSpec", "ConvBackbone", "ConvTransformerBackbone", "ConvTransformerV2Backbone",
           "EmbeddingBackbone", "PyramidBackbone"]
