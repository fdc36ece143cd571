"""Backbones (registry ``BACKBONES``): importing this package registers the built-in ones."""

from .base import BackboneSpec, EmbeddingBackbone
from .conv import ConvBackbone
from .conv_transformer import ConvTransformerBackbone

__all__ = ["BackboneSpec", "ConvBackbone", "ConvTransformerBackbone", "EmbeddingBackbone"]
